-- wrk script: POSTs each pre-signed login of the file named by $KW_LOGINS once (per thread a
-- disjoint slice), then repeats nothing: requests past the end are counted as "exhausted".
local bodies = {}
local idx = 0
local step = 1
function setup(thread)
  thread:set("tid", #threads_seen)
  table.insert(threads_seen, thread)
end
threads_seen = {}
function init(args)
  local n = 0
  for line in io.lines(os.getenv("KW_LOGINS")) do
    n = n + 1
    if (n - 1) % tonumber(os.getenv("KW_THREADS")) == tid then table.insert(bodies, line) end
  end
end
function request()
  idx = idx + 1
  local body = bodies[idx] or "{}"
  return wrk.format("POST", "/assertion/result", {["Content-Type"] = "application/json"}, body)
end
