-- GCRA across instances; the same steps as gcra.rs.
-- KEYS[i]: the theoretical arrival time (µs) of window i (one hash slot).
-- ARGV[2i-1], ARGV[2i]: emission interval and window (µs) of KEYS[i].
-- Returns {allowed, window index (1-based), remaining, reset_ms, retry_ms}.
-- Times stay below 2^53 µs, so Lua's doubles hold them exactly.
if redis.replicate_commands then redis.replicate_commands() end
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000000 + tonumber(t[2])
local n = #KEYS
local stored = redis.call('MGET', unpack(KEYS))
local tats = {}
local denied, retry = 0, 0
for i = 1, n do
  local interval = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local tat = math.max(tonumber(stored[i]) or 0, now)
  tats[i] = tat + interval
  if tats[i] > now + window then
    local wait = tats[i] - window - now
    if denied == 0 or wait > retry then
      denied, retry = i, wait
    end
  end
end
if denied > 0 then
  local ms = math.ceil(retry / 1000)
  return {0, denied, 0, ms, ms}
end
local best, best_remaining, best_reset = 0, 0, 0
for i = 1, n do
  local interval = tonumber(ARGV[2 * i - 1])
  local window = tonumber(ARGV[2 * i])
  local until_full = tats[i] - now
  -- The key lives until its bucket is full again: then it says nothing.
  redis.call('SET', KEYS[i], string.format('%.0f', tats[i]), 'PX', math.ceil(until_full / 1000))
  local remaining = math.floor((window - until_full) / interval)
  if best == 0 or remaining < best_remaining then
    best, best_remaining, best_reset = i, remaining, math.ceil(until_full / 1000)
  end
end
return {1, best, best_remaining, best_reset, 0}
