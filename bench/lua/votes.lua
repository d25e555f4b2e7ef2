-- wrk script: POST /api/polls/{code}/votes with a voter id of its own per request, voter-<tag>-<thread>-<n>.
-- Arguments after `--`: a run tag, then one CODE:ID,ID,... per poll (requests go round-robin over them).
-- done() prints one line "BENCH {json}" with 200s and other statuses counted apart, and latency in us.
local threads = {}
local polls = {}
local tag = "x"
local counter = 0
ok = 0
other = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  tag = args[1]
  for i = 2, #args do
    local code, ids = args[i]:match("^([^:]+):(.+)$")
    local options = {}
    for option in ids:gmatch("%d+") do
      table.insert(options, option)
    end
    table.insert(polls, { path = "/api/polls/" .. code .. "/votes", options = options })
  end
end

function request()
  counter = counter + 1
  local poll = polls[(counter % #polls) + 1]
  local option = poll.options[(counter % #poll.options) + 1]
  local body = string.format('{"voter":"voter-%s-%d-%d","options":[%s]}', tag, id, counter, option)
  return wrk.format("POST", poll.path, { ["Content-Type"] = "application/json" }, body)
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
