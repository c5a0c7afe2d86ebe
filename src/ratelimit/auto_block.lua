-- One denial of a rate limit for an address; past the threshold, a block.
-- KEYS[1]: the address's denial count, KEYS[2]: its block, KEYS[3]: how
-- often it was blocked lately (one hash slot: the address is the tag).
-- ARGV: threshold, window_ms, first_block_ms, max_block_ms, level_ttl_ms.
-- Returns {level, block_ms}: {0, 0} while under the threshold.
local denials = redis.call('INCR', KEYS[1])
if denials == 1 then redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
if denials < tonumber(ARGV[1]) then return {0, 0} end
redis.call('DEL', KEYS[1])
local level = redis.call('INCR', KEYS[3])
redis.call('PEXPIRE', KEYS[3], ARGV[5])
local ms = math.min(tonumber(ARGV[3]) * 2 ^ (level - 1), tonumber(ARGV[4]))
ms = math.floor(ms)
redis.call('SET', KEYS[2], level, 'PX', ms)
return {level, ms}
