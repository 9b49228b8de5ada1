-- wrk script: tiles of our combined layer over Jiangsu at zoom $ZOOM; with $FIXED set, drawn from that
-- many fixed addresses (for warm caches), otherwise anywhere over the data
local z = tonumber(os.getenv("ZOOM") or "11")
local fixed = tonumber(os.getenv("FIXED") or "0")
local function tile(lon, lat)
  local n = 2 ^ z
  local x = math.floor((lon + 180) / 360 * n)
  local r = math.rad(lat)
  local y = math.floor((1 - math.log(math.tan(r) + 1 / math.cos(r)) / math.pi) / 2 * n)
  return x, y
end
local x0, y0 = tile(116.3, 35.1)
local x1, y1 = tile(121.9, 30.7)
math.randomseed(7)
local set = {}
for i = 1, fixed do set[i] = { math.random(x0, x1), math.random(y0, y1) } end
request = function()
  local x, y
  if fixed > 0 then
    local t = set[math.random(1, fixed)]
    x, y = t[1], t[2]
  else
    x, y = math.random(x0, x1), math.random(y0, y1)
  end
  return wrk.format("GET", string.format("/tiles/sites/%d/%d/%d.mvt", z, x, y))
end
