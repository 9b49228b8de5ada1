-- wrk script: "what is here" within 3 km of random points over Jiangsu
math.randomseed(7)
request = function()
  local lon = 116.5 + math.random() * 5.2
  local lat = 30.9 + math.random() * 4.0
  return wrk.format("GET", string.format("/api/locate?lon=%.5f&lat=%.5f&radius=3000", lon, lat))
end
