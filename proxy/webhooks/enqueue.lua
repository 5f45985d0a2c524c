-- Add one delivery, due after ARGV[3] ms. KEYS[1] due zset, KEYS[2] records hash.
-- ARGV[1] id, ARGV[2] record JSON. Idempotent on the id: a repeat changes nothing.
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return 0
end
local t = redis.call('TIME')
local due = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[3])
local rec = cjson.decode(ARGV[2])
rec['next_at'] = due
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(rec))
redis.call('ZADD', KEYS[1], due, ARGV[1])
return 1
