-- Claim up to ARGV[1] due deliveries for ARGV[2] ms (the visibility timeout).
-- KEYS[1] due zset (id -> due time, ms), KEYS[2] records hash (id -> JSON).
-- A claimed delivery stays in the zset, rescheduled to the end of its lease: if the worker
-- dies before settling it, it simply falls due again and another worker delivers it.
-- Redis' clock, not the callers': nodes with skewed clocks still agree on what is due.
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local lease_end = now + tonumber(ARGV[2])
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local out = {}
for _, id in ipairs(ids) do
  local raw = redis.call('HGET', KEYS[2], id)
  if raw then
    local rec = cjson.decode(raw)
    -- The attempt number doubles as a fencing token for settle.lua.
    rec['attempt'] = rec['attempt'] + 1
    rec['next_at'] = lease_end
    raw = cjson.encode(rec)
    redis.call('HSET', KEYS[2], id, raw)
    redis.call('ZADD', KEYS[1], lease_end, id)
    out[#out + 1] = raw
  else
    redis.call('ZREM', KEYS[1], id)  -- no record: already settled; drop the stray entry
  end
end
return out
