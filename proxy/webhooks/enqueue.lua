-- Add one delivery, due after ARGV[3] ms. KEYS[1] due zset, KEYS[2] records hash.
-- ARGV[1] id, ARGV[2] record JSON. Idempotent on the id: a repeat changes nothing.
-- With a project: KEYS[3] its log zset (id -> last change, µs), KEYS[4] its log hash
-- (id -> LoggedDelivery JSON), ARGV[4] the log entry, ARGV[5] how many entries it keeps.
if redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return 0
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Log order in microseconds: entries within one millisecond still sort by arrival.
local order = tonumber(t[1]) * 1000000 + tonumber(t[2])
local due = now + tonumber(ARGV[3])
local rec = cjson.decode(ARGV[2])
rec['next_at'] = due
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(rec))
redis.call('ZADD', KEYS[1], due, ARGV[1])
if #KEYS >= 4 then
  redis.call('ZADD', KEYS[3], order, ARGV[1])
  redis.call('HSET', KEYS[4], ARGV[1], ARGV[4])
  local extra = redis.call('ZCARD', KEYS[3]) - tonumber(ARGV[5])
  if extra > 0 then
    local old = redis.call('ZRANGE', KEYS[3], 0, extra - 1)
    redis.call('ZREMRANGEBYRANK', KEYS[3], 0, extra - 1)
    redis.call('HDEL', KEYS[4], unpack(old))
  end
end
return 1
