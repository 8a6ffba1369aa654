-- wrk script: agents polling POST /tasks with an empty queue, spread over 1,000 agent ids.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"

local agents = {}
for i = 1, 1000 do
  agents[i] = string.format("%08x-0000-4000-8000-%012x", i, i)
end

request = function()
  local id = agents[math.random(#agents)]
  local body = '{"protocol":1,"agent_id":"' .. id .. '","agent_name":"bench","agent_time":"2026-11-23T00:00:00+00:00",'
    .. '"agent_capabilities":{"wait":{"version":1},"url_http_status":{"version":1}},"max_tasks":2}'
  return wrk.format(nil, "/tasks", nil, body)
end
