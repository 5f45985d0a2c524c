-- Settle one claimed delivery: ARGV[1] = 'ack' | 'retry' | 'dead'.
-- KEYS[1] due zset, KEYS[2] records hash, KEYS[3] dead-letter list.
-- ARGV[2] id, ARGV[3] the attempt number the caller claimed,
-- ARGV[4] retry: delay in ms; dead: the dead-letter JSON. ARGV[5] dead-letter list cap.
-- With a project: KEYS[4] its log zset, KEYS[5] its log hash, ARGV[6] the attempt's error
-- (retry, dead); its log entry (if still kept) records the outcome.
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
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Log order in microseconds: entries within one millisecond still sort by arrival.
local order = tonumber(t[1]) * 1000000 + tonumber(t[2])
if #KEYS >= 5 then
  local logged = redis.call('HGET', KEYS[5], ARGV[2])
  if logged then
    local entry = cjson.decode(logged)
    entry['attempts'] = rec['attempt']
    entry['updated'] = now
    if ARGV[1] == 'ack' then
      entry['status'] = 'delivered'
    else
      entry['last_error'] = ARGV[6]
      entry['status'] = ARGV[1] == 'dead' and 'dead' or 'pending'
    end
    if ARGV[1] == 'dead' then
      -- Kept for a re-send (resend.lua), which signs the same event again.
      entry['secret'] = rec['secret']
      entry['payload'] = rec['payload']
    end
    redis.call('HSET', KEYS[5], ARGV[2], cjson.encode(entry))
    redis.call('ZADD', KEYS[4], order, ARGV[2])
  end
end
if ARGV[1] == 'retry' then
  local due = now + tonumber(ARGV[4])
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
