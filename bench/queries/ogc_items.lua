-- wrk script: OGC API items of contaminated plots in random 0.1° x 0.1° boxes over Jiangsu, limit 100
math.randomseed(5)
request = function()
  local lon = 116.3 + math.random() * 5.5
  local lat = 30.7 + math.random() * 4.3
  return wrk.format("GET", string.format("/ogc/collections/contaminated_plot/items?bbox=%.4f,%.4f,%.4f,%.4f&limit=100", lon, lat, lon + 0.1, lat + 0.1))
end
