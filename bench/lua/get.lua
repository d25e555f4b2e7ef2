-- wrk script: GET one path (argument after `--`), counting 200s the same way as votes.lua does, so both
-- runs pay for the same Lua callbacks. done() prints one line "BENCH {json}", latency in us.
local threads = {}
local path = "/"
ok = 0
other = 0

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  path = args[1]
end

function request()
  return wrk.format("GET", path)
end

function response(status, headers, body)
  if status == 200 then
    ok = ok + 1
  else
    other = other + 1
  end
end

function done(summary, latency, requests)
  local ok_total, other_total = 0, 0
  for _, thread in ipairs(threads) do
    ok_total = ok_total + thread:get("ok")
    other_total = other_total + thread:get("other")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"duration_us":%d,"requests":%d,"ok":%d,"other_status":%d,"errors":{"connect":%d,"read":%d,' ..
    '"write":%d,"status":%d,"timeout":%d},"latency_us":{"p50":%d,"p99":%d,"max":%d,"mean":%.1f}}\n',
    summary.duration, summary.requests, ok_total, other_total, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max, latency.mean))
end
