-- wrk script: sites within 3 km of random points, nearest first (first page of 50)
math.randomseed(8)
request = function()
  local lon = 116.5 + math.random() * 5.2
  local lat = 30.9 + math.random() * 4.0
  return wrk.format("GET", string.format("/api/sites?near=%.5f,%.5f&radius=3000", lon, lat))
end
