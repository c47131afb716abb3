-- Requests for wrk from a file, one a line: METHOD \t PATH \t BODY (may be empty), then
-- header name \t value pairs. Arguments: FILE MODE THREADS.
--   cycle: every thread goes round all requests, from its own offset, until wrk stops.
--   once:  thread i sends lines i, i+THREADS, ... once each, then stops when every one has
--          been answered (the driver interrupts wrk when the server has applied them all).
-- done() prints one line "BENCH_JSON {...}" with the figures (latencies in microseconds).

local threads = {}
local made = 0

function setup(thread)
  thread:set("tid", made)
  made = made + 1
  table.insert(threads, thread)
end

function init(args)
  local file, nthreads = args[1], tonumber(args[3])
  mode = args[2]
  reqs = {}
  local i = 0
  for line in io.lines(file) do
    if mode ~= "once" or i % nthreads == tid then
      local f = {}
      for part in (line .. "\t"):gmatch("([^\t]*)\t") do f[#f + 1] = part end
      local headers = {}
      for k = 4, #f - 1, 2 do headers[f[k]] = f[k + 1] end
      local body = nil
      if f[3] ~= "" then body = f[3] end
      reqs[#reqs + 1] = wrk.format(f[1], f[2], headers, body)
    end
    i = i + 1
  end
  idx = 0
  if mode ~= "once" and #reqs > 0 then idx = (tid * 7) % #reqs end
  issued, answered, ok, dup, err = 0, 0, 0, 0, 0
  filler = wrk.format("GET", "/healthz")
end

function request()
  if mode == "once" then
    -- wrk builds one request per thread before it connects and never sends it: give it the
    -- filler, so that no delivery is lost to it.
    if not primed then
      primed = true
      return filler
    end
    if issued >= #reqs then return filler end
    issued = issued + 1
    return reqs[issued]
  end
  idx = idx % #reqs + 1
  issued = issued + 1
  return reqs[idx]
end

function response(status, headers, body)
  if mode == "once" then
    if status == 200 and not body:find('"delivery_id"', 1, true) then return end
    answered = answered + 1
    if status == 200 then
      ok = ok + 1
      if body:find('"duplicate":true', 1, true) then dup = dup + 1 end
    else
      err = err + 1
    end
    if answered >= #reqs then wrk.thread:stop() end
  else
    answered = answered + 1
    if status == 200 then ok = ok + 1 else err = err + 1 end
  end
end

function done(summary, latency, requests)
  local t = {issued = 0, answered = 0, ok = 0, dup = 0, err = 0}
  for _, th in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (th:get(k) or 0) end
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "connect_errors": %d, ' ..
    '"read_errors": %d, "write_errors": %d, "timeouts": %d, "non_2xx": %d, ' ..
    '"mean_us": %.1f, "p50_us": %d, "p90_us": %d, "p95_us": %d, "p99_us": %d, ' ..
    '"max_us": %d, "issued": %d, "answered": %d, "ok": %d, "dup": %d, "err": %d}\n',
    summary.requests, summary.duration, e.connect, e.read, e.write, e.timeout, e.status,
    latency.mean, latency:percentile(50), latency:percentile(90), latency:percentile(95),
    latency:percentile(99), latency.max, t.issued, t.answered, t.ok, t.dup, t.err))
end
