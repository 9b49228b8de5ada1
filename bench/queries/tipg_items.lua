-- wrk script: the same request to tipg: its collection of the site table, filtered to plots
math.randomseed(5)
request = function()
  local lon = 116.3 + math.random() * 5.5
  local lat = 30.7 + math.random() * 4.3
  return wrk.format("GET", string.format("/collections/public.site/items?bbox=%.4f,%.4f,%.4f,%.4f&limit=100&kind=contaminated_plot", lon, lat, lon + 0.1, lat + 0.1))
end
