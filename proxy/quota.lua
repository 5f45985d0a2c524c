-- Monthly render quota of one project. KEYS[1] the counter of this project and month.
-- ARGV[1] 'take' | 'give', ARGV[2] the quota (0 = unlimited), ARGV[3] expiry in seconds.
-- 'take' counts one render unless that would exceed the quota: it returns the new count, or
-- -1 when the quota is used up (nothing is counted then, so the counter never overshoots).
-- 'give' undoes one take (a render that failed) and never goes below zero.
local used = tonumber(redis.call('GET', KEYS[1]) or '0')
if ARGV[1] == 'give' then
  if used > 0 then
    return redis.call('DECR', KEYS[1])
  end
  return 0
end
local quota = tonumber(ARGV[2])
if quota > 0 and used >= quota then
  return -1
end
used = redis.call('INCR', KEYS[1])
-- The counter outlives its month, then cleans itself up.
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[3]))
return used
