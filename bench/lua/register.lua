-- POST /api/v1/master/nodes with a new, unique name each time. args: a tag unique to this run (and
-- an optional suffix, so the warm-up registers other names than the measured run).
local counter = 0
local threads = 0
function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end
local tag
function init(args)
  tag = (args[1] or "run") .. (args[2] or "") .. "-" .. tid -- args[2]: "warmup" for the warm-up run
end
local headers = { ["Content-Type"] = "application/json" }
function request()
  counter = counter + 1
  local name = "bench-" .. tag .. "-" .. counter
  local body = '{"name":"' .. name .. '","type":"agent","version":"1.1.0","meta_data":{"hostname":"' .. name ..
    '","ip":"10.9.0.1","env":"bench","user":"bench","instance":"bench","cpu_number":8,"memory_in_bytes":34359738368,"gpu_number":1}}'
  return wrk.format("POST", "/api/v1/master/nodes", headers, body)
end
