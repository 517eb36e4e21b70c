-- GET /api/v1/master/nodes/A<random>. args: node count, id prefix.
local n, prefix
function init(args)
  n = tonumber(args[1]) or 1000
  prefix = args[2] or "A"
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
function request()
  return wrk.format("GET", "/api/v1/master/nodes/" .. prefix .. math.random(1, n))
end
