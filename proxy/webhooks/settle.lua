-- Settle one claimed delivery: ARGV[1] = 'ack' | 'retry' | 'dead'.
-- KEYS[1] due zset, KEYS[2] records hash, KEYS[3] dead-letter list.
-- ARGV[2] id, ARGV[3] the attempt number the caller claimed,
-- ARGV[4] retry: delay in ms; dead: the dead-letter JSON. ARGV[5] dead-letter list cap.
-- Returns 1 if settled, 0 if the record is gone or was claimed again since (our lease ran
-- out and another worker owns the newer attempt: it settles the delivery, not us).
local raw = redis.call('HGET', KEYS[2], ARGV[2])
if not raw then
  return 0
end
local rec = cjson.decode(raw)
if rec['attempt'] ~= tonumber(ARGV[3]) then
  return 0
end
if ARGV[1] == 'retry' then
  local t = redis.call('TIME')
  local due = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000) + tonumber(ARGV[4])
  rec['next_at'] = due
  redis.call('HSET', KEYS[2], ARGV[2], cjson.encode(rec))
  redis.call('ZADD', KEYS[1], due, ARGV[2])
  return 1
end
redis.call('ZREM', KEYS[1], ARGV[2])
redis.call('HDEL', KEYS[2], ARGV[2])
if ARGV[1] == 'dead' then
  redis.call('LPUSH', KEYS[3], ARGV[4])
  redis.call('LTRIM', KEYS[3], 0, tonumber(ARGV[5]) - 1)
end
return 1
