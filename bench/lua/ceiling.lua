-- POST a small JSON body to the bare-http ceiling server (same shape of work as a status report).
local body = '{"timestamp":"2025-09-24T03:24:59Z","health":{"log-fluentbit":{"status":"healthy"},"metric-node-exporter":{"status":"healthy"}}}'
wrk.method = "PUT"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
