-- PUT /api/v1/master/nodes/A<random>/status with a health report. args: node count, id prefix.
local n, prefix
function init(args)
  n = tonumber(args[1]) or 1000
  prefix = args[2] or "A"
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
local body = '{"timestamp":"2025-09-24T03:24:59Z","health":{"log-fluentbit":{"status":"healthy"},"metric-node-exporter":{"status":"healthy"}}}'
local headers = { ["Content-Type"] = "application/json" }
function request()
  return wrk.format("PUT", "/api/v1/master/nodes/" .. prefix .. math.random(1, n) .. "/status", headers, body)
end
