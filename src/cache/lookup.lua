-- The cached value under the current generations of KEYS, in one round
-- trip. Its key is ARGV[1], the generations joined by ".", then ARGV[2];
-- it shares the counters' hash slot (the business is the hash tag).
-- Returns {key, value or nil}, or {} when a counter is missing: the caller
-- seeds it and reads the usual way.
local generations = redis.call('MGET', unpack(KEYS))
for i = 1, #KEYS do
  if not generations[i] then
    return {}
  end
end
local key = ARGV[1] .. table.concat(generations, '.') .. ARGV[2]
return {key, redis.call('GET', key)}
