-- wrk script: POST /api/polls/{code}/votes with a voter id of its own per request.
-- Arguments after `--`: a file of voter ids, one per line (bench.voter_ids signs them with the stack's key),
-- the number of wrk threads (each takes every n-th line from its own offset, wrapping around at the end),
-- then one CODE:ID,ID,... per poll (requests go round-robin over them), KIND@CODE:ID,... for a kind whose
-- ballot is no choice: scale (a rating from 1 to 5 per statement), ranking (the options in an order),
-- wordcloud (two entries out of 5,000 words) or text (a sentence of its own).
-- done() prints one line "BENCH {json}" with 200s and other statuses counted apart, and latency in us.
local threads = {}
local polls = {}
local voters = {}
local counter = 0
local nthreads = 1
ok = 0
other = 0

function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end

function init(args)
  for line in io.lines(args[1]) do
    table.insert(voters, line)
  end
  nthreads = tonumber(args[2])
  for i = 3, #args do
    local spec, kind = args[i], ""
    if spec:find("@", 1, true) then
      kind, spec = spec:match("^(%a+)@(.+)$")
    end
    local code, ids = spec:match("^([^:]+):(.+)$")
    local options = {}
    for option in ids:gmatch("%d+") do
      table.insert(options, option)
    end
    table.insert(polls, { path = "/api/polls/" .. code .. "/votes", options = options, kind = kind })
  end
end

function request()
  counter = counter + 1
  local poll = polls[(counter % #polls) + 1]
  local option = poll.options[(counter % #poll.options) + 1]
  -- Threads interleave: with two, thread 1 takes lines 1, 3, 5..., thread 2 lines 2, 4, 6...
  local voter = voters[((counter - 1) * nthreads + (id - 1)) % #voters + 1]
  local body
  if poll.kind == "scale" then
    local ratings = {}
    for i, statement in ipairs(poll.options) do
      table.insert(ratings, string.format('"%s":%d', statement, (counter + i) % 5 + 1))
    end
    body = string.format('{"voter":"%s","ratings":{%s}}', voter, table.concat(ratings, ","))
  elseif poll.kind == "ranking" then
    local order, n = {}, #poll.options
    for i = 0, n - 1 do
      table.insert(order, poll.options[(counter + i) % n + 1])
    end
    body = string.format('{"voter":"%s","ranking":[%s]}', voter, table.concat(order, ","))
  elseif poll.kind == "wordcloud" then
    body = string.format('{"voter":"%s","entries":["word %d","Word %d"]}', voter, counter % 5000, (counter * 7) % 5000)
  elseif poll.kind == "text" then
    body = string.format('{"voter":"%s","text":"An answer of its own, number %d."}', voter, counter)
  else
    body = string.format('{"voter":"%s","options":[%s]}', voter, option)
  end
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
