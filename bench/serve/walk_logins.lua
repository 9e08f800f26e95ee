-- wrk script: POSTs each pre-signed login of the file named by $KW_LOGINS once (per thread a
-- disjoint slice; $KW_THREADS = wrk's -t), then repeats nothing: requests past the end send "{}"
-- (refused fast). done() prints one summary line for scripts (bench/peers/run.sh):
--   logins: ok=N failed=N exhausted=N seconds=S ok_per_s=R p50_us=X p99_us=Y
-- where ok counts 200 answers, failed the others; a run with exhausted > 0 had too few logins
-- prepared and its latency mixes in the fast refusals (the runner then says so).
local bodies = {}
local idx = 0
ok, failed, exhausted = 0, 0, 0  -- globals: done() reads them per thread
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
  local body = bodies[idx]
  if body == nil then
    exhausted = exhausted + 1
    body = "{}"
  end
  return wrk.format("POST", "/assertion/result", {["Content-Type"] = "application/json"}, body)
end
function response(status, headers, body)
  if status == 200 then ok = ok + 1 else failed = failed + 1 end
end
function done(summary, latency, requests)
  local t_ok, t_failed, t_exhausted = 0, 0, 0
  for _, t in ipairs(threads_seen) do
    t_ok = t_ok + t:get("ok")
    t_failed = t_failed + t:get("failed")
    t_exhausted = t_exhausted + t:get("exhausted")
  end
  local secs = summary.duration / 1e6
  io.write(string.format(
    "logins: ok=%d failed=%d exhausted=%d seconds=%.2f ok_per_s=%.0f p50_us=%d p99_us=%d\n",
    t_ok, t_failed, t_exhausted, secs, t_ok / secs, latency:percentile(50),
    latency:percentile(99)))
end
