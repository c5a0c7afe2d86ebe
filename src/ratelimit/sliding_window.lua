-- Sliding-window log across instances; the same steps as window.rs.
-- KEYS[i]: one sorted set per window of the policy (one hash slot).
-- ARGV[1]: a unique request id; ARGV[2i], ARGV[2i+1]: limit and window (ms) of KEYS[i].
-- Returns {allowed, window index (1-based), remaining, reset_ms, retry_ms}.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local n = #KEYS
local denied, retry = 0, 0
for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZREMRANGEBYSCORE', KEYS[i], '-inf', now - window)
  local count = redis.call('ZCARD', KEYS[i])
  if count >= limit then
    local at = redis.call('ZRANGE', KEYS[i], count - limit, count - limit, 'WITHSCORES')
    local wait = tonumber(at[2]) + window - now
    if denied == 0 or wait > retry then
      denied, retry = i, wait
    end
  end
end
if denied > 0 then
  return {0, denied, 0, retry, retry}
end
local best, best_remaining, best_reset = 0, 0, 0
for i = 1, n do
  local limit = tonumber(ARGV[2 * i])
  local window = tonumber(ARGV[2 * i + 1])
  redis.call('ZADD', KEYS[i], now, ARGV[1])
  redis.call('PEXPIRE', KEYS[i], window)
  local remaining = limit - redis.call('ZCARD', KEYS[i])
  if best == 0 or remaining < best_remaining then
    local oldest = redis.call('ZRANGE', KEYS[i], 0, 0, 'WITHSCORES')
    best, best_remaining, best_reset = i, remaining, tonumber(oldest[2]) + window - now
  end
end
return {1, best, best_remaining, best_reset, 0}
