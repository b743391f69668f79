-- bench/post_purchase.lua: wrk script for POST /api/v1/transactions, every request a new purchase of a
-- random member among the generated ones (ids 1..N), each a durable write (answered after its commit).
--
-- The API key and N come from wrk's script arguments or the environment:
--   wrk -s bench/post_purchase.lua http://127.0.0.1:8080 -- KEY N
--   BENCH_KEY=KEY BENCH_MEMBERS=N wrk -s bench/post_purchase.lua http://127.0.0.1:8080
-- Uniqueness: (store, txn_id) is the idempotency key. The store is "bench-<run>" (BENCH_RUN, default the
-- current time) and the txn_id "<thread id>-<counter>": wrk threads get ids 1..T in setup() and each counts its
-- own requests, so no two requests, in this run or an earlier one on the same database, are replays.

local thread_count = 0
local key = ""
local members = 1000000
local run = ""
local n = 0
local head = ""

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

function init(args)
  key = args[1] or os.getenv("BENCH_KEY") or ""
  members = tonumber(args[2] or os.getenv("BENCH_MEMBERS") or members)
  if members == nil or members < 1 then
    error("post_purchase.lua: N (members) must be a positive number")
  end
  run = os.getenv("BENCH_RUN") or tostring(os.time())
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  if key ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. key
  end
  head = string.format('{"type":"purchase","store":"bench-%s","txn_id":"%d-', run, thread_id or 0)
end

function request()
  n = n + 1
  -- Amounts of 10,000 to 5,000,000 rials, so the per-amount rule always gives some points.
  local body = string.format('%s%d","member_id":%d,"amount":%d}', head, n, math.random(1, members),
    math.random(1, 500) * 10000)
  return wrk.format(nil, "/api/v1/transactions", nil, body)
end
