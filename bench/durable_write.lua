-- wrk script: an authenticated durable write per request: a grid worker's patrol report at the
-- demo's grid 虹桥第一网格 (staff intake: the case, its first event, its counts, the notices and the
-- audit entry in one commit). LINLI_TOKEN is the worker's bearer token, LINLI_NODE_ID the grid's id.
local token = os.getenv("LINLI_TOKEN")
local node_id = assert(os.getenv("LINLI_NODE_ID"), "LINLI_NODE_ID: the grid's id")
local counter = 0

function request()
  counter = counter + 1
  local body = '{"channel":"patrol","category":"city.environment","node_id":' .. node_id .. ',' ..
               '"description":"压测：巡查发现垃圾堆放 ' .. counter .. '"}'
  return wrk.format("POST", "/api/v1/cases",
                    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
