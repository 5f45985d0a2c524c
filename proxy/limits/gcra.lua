-- GCRA on one key, timed by Redis's own clock so every node shares one time base.
--
-- KEYS[1]  ogedge:rl:{<scope>:<id>}  (the hash tag pins the key to one Redis Cluster slot)
-- ARGV[1]  emission interval, microseconds (1 / rate)
-- ARGV[2]  delay tolerance, microseconds (burst x interval)
-- ARGV[3]  cost n: requests to account for
-- ARGV[4]  mode:
--            "check"  apply n only if the result stays within the tolerance (strict limiting)
--            "sync"   always add n (requests a node already served) and report the shared debt
--
-- Returns integers {allowed (0/1), remaining, retry_after_us, reset_after_us}. In "sync" mode
-- reset_after_us is the shared debt (TAT - now) the node adopts. Microsecond integers because
-- Redis truncates Lua numbers to integers on the way out.

-- Needed before Redis 5 for a script that writes after reading TIME; a no-op since.
if redis.replicate_commands then
  redis.replicate_commands()
end

local key = KEYS[1]
local interval = tonumber(ARGV[1])
local tolerance = tonumber(ARGV[2])
local n = tonumber(ARGV[3])
local mode = ARGV[4]

local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000000 + tonumber(clock[2])

local tat = tonumber(redis.call('GET', key) or now)
if tat < now then
  tat = now
end
local new_tat = tat + n * interval
local ahead = new_tat - now

if mode == 'check' and ahead > tolerance then
  -- Denied: nothing is written, the key keeps its TAT and expiry.
  return {0, 0, math.ceil(ahead - tolerance), math.ceil(tat - now)}
end

if ahead > 0 then
  -- '%.17g' round-trips a double exactly; tostring() would keep only 14 digits of ~1.7e15.
  -- The key lives exactly until its bucket is full again, when it is the same as absent.
  redis.call('SET', key, string.format('%.17g', new_tat), 'PX', math.ceil(ahead / 1000))
end

local remaining = 0
if ahead < tolerance then
  remaining = math.floor((tolerance - ahead) / interval + 1e-9)
end
return {1, remaining, 0, math.ceil(ahead)}
