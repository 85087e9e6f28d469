/**
 * The Lua of the rate limits (`rateLimit`, `groupRateLimit`), spliced into the script
 * source (see script.ts). A limit is kept in the queue's settings hash as
 * `"max/perMs"`. A bucket is a hash `{ tk = tokens, at = refill time }` under
 * the queue's hash tag: `B:rl` for the queue, `B:gb:<group>` per group. It is
 * refilled lazily from Redis `TIME` (max tokens per perMs, continuously), so it
 * holds across every process. An absent bucket is full, and a stored one
 * expires (PEXPIRE) when it would have refilled: idle groups leave no keys.
 */
export const RATE_LIMIT_FUNCTIONS = String.raw`
-- Float refills must not leave a start a nanosecond short of a whole token.
local EPS = 1e-9

-- A limit as stored ("max/perMs"), or nil.
local function limit_of(s)
  if not s then return nil end
  local m, p = string.match(s, '^([%d%.]+)/([%d%.]+)$')
  if not m then return nil end
  return { max = tonumber(m), per = tonumber(p), raw = s }
end

-- Tokens in the bucket at key now.
local function bucket_tokens(key, lim)
  local f = redis.call('HMGET', key, 'tk', 'at')
  if not f[1] then return lim.max end
  local tk, at = tonumber(f[1]), tonumber(f[2])
  if NOW > at then tk = tk + (NOW - at) * lim.max / lim.per end
  if tk > lim.max then tk = lim.max end
  return tk
end

-- Stores tk tokens as of now; a full bucket is simply absent.
local function bucket_store(key, lim, tk)
  if tk >= lim.max - EPS then
    redis.call('DEL', key)
    return
  end
  if tk < 0 then tk = 0 end
  redis.call('HSET', key, 'tk', string.format('%.9f', tk), 'at', fmt(NOW))
  redis.call('PEXPIRE', key, math.ceil((lim.max - tk) * lim.per / lim.max) + 1)
end

-- Milliseconds until a bucket holding tk tokens has a whole one (0: now).
local function bucket_wait(tk, lim)
  if tk >= 1 - EPS then return 0 end
  return math.max(1, math.ceil((1 - tk) * lim.per / lim.max))
end
`;
