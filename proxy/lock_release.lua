-- Release a lock only if we still own it: after a long render the lock may have expired and
-- been taken by another node, whose lock we must not delete.
-- KEYS[1] lock key, ARGV[1] our token. Returns 1 when released.
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
