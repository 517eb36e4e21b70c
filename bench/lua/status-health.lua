-- PUT /api/v1/master/nodes/A<random>/status where 1% of the reports change the node's health: a failing
-- exporter (degraded) or all healthy again, at random; the rest repeat a healthy report. args: node count, id prefix.
local n, prefix
function init(args)
  n = tonumber(args[1]) or 1000
  prefix = args[2] or "A"
  math.randomseed(os.time() + math.floor(os.clock() * 1e6))
end
local healthy = '{"timestamp":"2025-09-24T03:24:59Z","health":{"log-fluentbit":{"status":"healthy"},"metric-node-exporter":{"status":"healthy"}}}'
local failing = '{"timestamp":"2025-09-24T03:24:59Z","health":{"log-fluentbit":{"status":"healthy"},"metric-node-exporter":{"status":"failed","message":"connection refused"}}}'
local headers = { ["Content-Type"] = "application/json" }
function request()
  local body = healthy
  if math.random() < 0.01 and math.random() < 0.5 then body = failing end
  return wrk.format("PUT", "/api/v1/master/nodes/" .. prefix .. math.random(1, n) .. "/status", headers, body)
end
