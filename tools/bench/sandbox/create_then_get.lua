-- wrk script of tools/bench/sandbox/run.py: each thread alternates `POST /v1/users` (a new
-- user every time: its own email and idempotency key) and a `GET /v1/users/{id}` of a user
-- it just created, taken from a queue its POST answers fill. Statuses other than the
-- expected 201 and 200 are counted and reported by done().
--
-- Environment: BENCH_TOKEN, BENCH_API_KEY (credentials), BENCH_RUN (makes emails unique
-- across runs against one server), BENCH_MODE ("mixed", or "create" for POSTs only).
local token = os.getenv("BENCH_TOKEN") or "sandbox-token"
local api_key = os.getenv("BENCH_API_KEY") or "sandbox-api-key"
local run = os.getenv("BENCH_RUN") or "0"
local mode = os.getenv("BENCH_MODE") or "mixed"

local threads = {}
local next_thread = 0

function setup(thread)
  thread:set("tid", next_thread)
  next_thread = next_thread + 1
  table.insert(threads, thread)
end

function init(args)
  counter = 0
  unexpected = 0
  created = 0
  ids = {}
  auth = "Bearer " .. token
end

function request()
  if mode == "mixed" and #ids > 0 then
    local id = table.remove(ids)
    return wrk.format("GET", "/v1/users/" .. id, {
      ["authorization"] = auth, ["x-api-key"] = api_key,
    })
  end
  counter = counter + 1
  local n = run .. "-" .. tid .. "-" .. counter
  local body = '{"type":"individual","email":"u' .. n .. '@example.com","phone_number":"+1234567890",'
    .. '"first_name":"Ana","last_name":"Lopez","country":"US"}'
  return wrk.format("POST", "/v1/users", {
    ["authorization"] = auth, ["x-api-key"] = api_key,
    ["content-type"] = "application/json", ["idempotency-key"] = "bench-" .. n,
  }, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
    if mode == "mixed" then
      local id = body:match('"id"%s*:%s*"([^"]+)"')
      if id then table.insert(ids, id) end
    end
  elseif status ~= 200 then
    unexpected = unexpected + 1
  end
end

function done(summary, latency, requests)
  local bad, made = 0, 0
  for _, thread in ipairs(threads) do
    bad = bad + thread:get("unexpected")
    made = made + thread:get("created")
  end
  io.write(string.format(
    'BENCH {"requests": %d, "seconds": %.3f, "unexpected": %d, "created": %d, "socket_errors": %d, "p50_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration / 1e6, bad, made,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout + summary.errors.status,
    latency:percentile(50), latency:percentile(99)))
end
