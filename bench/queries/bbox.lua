-- wrk script: sites in random 0.05° x 0.05° boxes (about 5 x 5.5 km), first page of 50
math.randomseed(9)
request = function()
  local lon = 116.5 + math.random() * 5.2
  local lat = 30.9 + math.random() * 4.0
  return wrk.format("GET", string.format("/api/sites?bbox=%.5f,%.5f,%.5f,%.5f", lon, lat, lon + 0.05, lat + 0.05))
end
