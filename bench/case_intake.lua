-- wrk script: a resident's report through the public API per request (durable: 201 only after the
-- commit), from the QR code of the demo's grid 虹桥第一网格. No account; the server runs with a large
-- --public-rate so the rate limit does not cap the figure.
local counter = 0

function request()
  counter = counter + 1
  local body = '{"category":"city.environment","node_code":"320581001001101001",' ..
               '"description":"压测：路边垃圾桶满了 ' .. counter .. '"}'
  return wrk.format("POST", "/api/v1/public/cases", {["Content-Type"] = "application/json"}, body)
end
