-- bench/get_member.lua: wrk script for GET /api/v1/members/{id} with a random id in 1..N.
--
-- N and the API key come from wrk's script arguments or from the environment:
--   wrk -s bench/get_member.lua http://127.0.0.1:8080 -- KEY N
--   BENCH_KEY=KEY BENCH_MEMBERS=N wrk -s bench/get_member.lua http://127.0.0.1:8080
-- Each wrk thread seeds its own generator, so threads ask for different members.

local members = 1000000
local key = ""
local counter = 0
local head, tail = "", ""  -- the request text on either side of the id

function setup(thread)
  counter = counter + 1
  thread:set("thread_id", counter)
end

function init(args)
  key = args[1] or os.getenv("BENCH_KEY") or ""
  members = tonumber(args[2] or os.getenv("BENCH_MEMBERS") or members)
  if members == nil or members < 1 then
    error("get_member.lua: N (members) must be a positive number")
  end
  math.randomseed(os.time() * 1000 + (thread_id or 0))
  wrk.method = "GET"
  wrk.headers["Accept"] = "application/json"
  if key ~= "" then
    wrk.headers["Authorization"] = "Bearer " .. key
  end
  -- Format once and splice the id in per request: wrk.format per request costs wrk CPU that the
  -- server, sharing the machine, would otherwise get.
  local template = wrk.format(nil, "/api/v1/members/{id}")
  local at = template:find("{id}", 1, true)
  head, tail = template:sub(1, at - 1), template:sub(at + 4)
end

function request()
  return head .. math.random(1, members) .. tail
end
