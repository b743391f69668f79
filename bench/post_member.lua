-- bench/post_member.lua: wrk script for POST /api/v1/members, every request a new member.
--
-- The API key comes from wrk's script arguments or the environment:
--   wrk -s bench/post_member.lua http://127.0.0.1:8080 -- KEY
--   BENCH_KEY=KEY wrk -s bench/post_member.lua http://127.0.0.1:8080
-- Uniqueness: wrk threads get ids 1..T in setup(); each thread counts its own requests, and the
-- external_ref, phone and email are built from (run, thread id, counter), so no two requests collide,
-- with each other or with bench/gen_members.py rows (those use phone prefixes 912-919/990, these 935/936).
-- BENCH_RUN (default: the current time) keeps external_ref and email distinct across runs on one
-- database; the phone has room for 10^7 per prefix, so BENCH_PHONE_PREFIX (935) can be changed per run.

local thread_count = 0
local key = ""
local run = ""
local phone_prefix = "935"
local n = 0

local given = { "Sara", "Ali", "Maryam", "Reza", "Anna", "Jonas", "سارا", "علی", "مریم", "رضا" }
local family = { "Ahmadi", "Karimi", "Schmidt", "Weber", "احمدی", "کریمی" }
local zones = { "Asia/Tehran", "Europe/Berlin", "UTC" }

function setup(thread)
  thread_count = thread_count + 1
  thread:set("thread_id", thread_count)
end

function init(args)
  key = args[1] or os.getenv("BENCH_KEY") or ""
  run = os.getenv("BENCH_RUN") or tostring(os.time())
  phone_prefix = os.getenv("BENCH_PHONE_PREFIX") or phone_prefix
  if thread_id == nil or thread_id > 9 then
    error("post_member.lua: at most 9 wrk threads (the thread id is one phone digit)")
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Accept"] = "application/json"
  if key ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. key
  end
end

function request()
  n = n + 1
  -- 7 subscriber digits: thread id, then a 6-digit counter (10^6 members per thread per run).
  local phone = string.format("+98%s%d%06d", phone_prefix, thread_id, n % 1000000)
  local body = string.format(
    '{"external_ref":"W-%s-%d-%d","given_name":"%s","family_name":"%s","phone":"%s",' ..
    '"email":"w%s.%d.%d@bench.example.com","time_zone":"%s","locale":"%s",' ..
    '"consent":{"email":true,"sms":%s},"attributes":{"city":"Tehran","source":"bench"}}',
    run, thread_id, n, given[n % #given + 1], family[n % #family + 1], phone,
    run, thread_id, n, zones[n % #zones + 1], (n % 3 == 0) and "en" or "fa",
    (n % 2 == 0) and "true" or "false")
  return wrk.format(nil, "/api/v1/members", nil, body)
end
