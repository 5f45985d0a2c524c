-- Queue a dead-lettered delivery of a project again, under the same id (its webhook-id):
-- a new series of attempts of the same event. KEYS[1] due zset, KEYS[2] records hash,
-- KEYS[3] the project's log zset, KEYS[4] its log hash. ARGV[1] id, ARGV[2] project.
-- Returns the updated log entry, or -1 no such delivery in the log, -2 it is not dead
-- (pending or delivered), -3 no key was kept to sign it with (dead-lettered before re-sends).
local logged = redis.call('HGET', KEYS[4], ARGV[1])
if not logged then
  return -1
end
local entry = cjson.decode(logged)
if entry['status'] ~= 'dead' or redis.call('HEXISTS', KEYS[2], ARGV[1]) == 1 then
  return -2
end
if entry['secret'] == nil or entry['secret'] == '' then
  return -3
end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
-- Log order in microseconds: entries within one millisecond still sort by arrival.
local order = tonumber(t[1]) * 1000000 + tonumber(t[2])
local rec = {
  id = ARGV[1], url = entry['url'], secret = entry['secret'], payload = entry['payload'],
  attempt = 0, next_at = now, created = entry['created'], project = ARGV[2],
}
redis.call('HSET', KEYS[2], ARGV[1], cjson.encode(rec))
redis.call('ZADD', KEYS[1], now, ARGV[1])
entry['status'] = 'pending'
entry['attempts'] = 0
entry['resends'] = (entry['resends'] or 0) + 1
entry['updated'] = now
entry['secret'] = ''
entry['payload'] = ''
logged = cjson.encode(entry)
redis.call('HSET', KEYS[4], ARGV[1], logged)
redis.call('ZADD', KEYS[3], order, ARGV[1])
return logged
