-- wrk script: an authenticated durable write per request (a new micro-grid under grid 5).
-- LINLI_TOKEN is a bearer token; LINLI_RUN makes codes unique across runs.
local token = os.getenv("LINLI_TOKEN")
local run = os.getenv("LINLI_RUN") or "1"
local next_thread = 0
local counter = 0


function setup(thread)
  thread:set("thread_no", next_thread)
  next_thread = next_thread + 1
end

function request()
  counter = counter + 1
  local code = string.format("%s%03d%09d", run, thread_no or 0, counter)
  local body = '{"parent_id":5,"type":"micro_grid","code":"' .. code .. '","name":"压测"}'
  return wrk.format("POST", "/api/v1/org/nodes",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
