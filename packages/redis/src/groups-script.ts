/**
 * The Lua of ordering groups, spliced into the script source (see script.ts)
 * after `ready_add`. A grouped message has its group in the hash field `g`.
 * Only a group's head is ready, delayed or in flight; the others wait in
 * `B:gq:<group>` (a zset by enqueue sequence, state `w`). `B:gh` maps each
 * group with messages to its head; `B:s` field `w` counts waiting messages
 * (they count as ready in stats). A head that settles hands its place to the
 * next one, which enters the ready set with a fresh sequence: ready groups are
 * therefore served round robin, ordered by their head's priority.
 */
export const GROUPS_FUNCTIONS = String.raw`
-- The group of a message's meta JSON (the client puts it there as "g").
local function group_from_meta(j)
  if not j or not string.find(j, '"g":', 1, true) then return nil end
  local ok, meta = pcall(cjson.decode, j)
  if ok and type(meta) == 'table' and type(meta.g) == 'string' then return meta.g end
  return nil
end

-- A new (or revived) message of group g: the head when the group has none, else it waits behind. True when it waits.
local function group_join(B, g, id)
  if redis.call('HSETNX', B .. ':gh', g, id) == 1 then return false end
  local seq = redis.call('HINCRBY', B .. ':s', 'seq', 1)
  redis.call('ZADD', B .. ':gq:' .. g, seq, id)
  redis.call('HSET', B .. ':m:' .. id, 's', 'w')
  redis.call('HINCRBY', B .. ':s', 'w', 1)
  return true
end

-- The next waiting message of g becomes its head (ready, or delayed until its availableAt); or the group is done.
local function group_advance(B, g)
  local nxt = redis.call('ZPOPMIN', B .. ':gq:' .. g)
  if #nxt == 0 then
    redis.call('HDEL', B .. ':gh', g)
    redis.call('HDEL', B .. ':gt', g)
    return
  end
  local id = nxt[1]
  redis.call('HSET', B .. ':gh', g, id)
  redis.call('HINCRBY', B .. ':s', 'w', -1)
  local mk = B .. ':m:' .. id
  local f = redis.call('HMGET', mk, 'av', 'x')
  local av = tonumber(f[1] or '0')
  if av > NOW then
    redis.call('HSET', mk, 's', 'd')
    redis.call('ZADD', B .. ':d', fmt(av), id)
    if f[2] then redis.call('ZADD', B .. ':t', f[2], id) end
    at_due(av)
  else
    ready_add(B, id)
  end
end

-- A message of group g left the queue (acked, dead, expired, cancelled, purged).
local function group_leave(B, id, g, st)
  if st == 'w' then
    redis.call('ZREM', B .. ':gq:' .. g, id)
    redis.call('HINCRBY', B .. ':s', 'w', -1)
  elseif redis.call('HGET', B .. ':gh', g) == id then
    group_advance(B, g)
  end
end

-- groupOnFailure "skip": a failed head goes behind its group and the next proceeds. False when it is alone (it stays head).
local function group_skip(B, id)
  if conf(B).groupOnFailure ~= 'skip' then return false end
  local g = redis.call('HGET', B .. ':m:' .. id, 'g')
  if not g or redis.call('ZCARD', B .. ':gq:' .. g) == 0 then return false end
  local seq = redis.call('HINCRBY', B .. ':s', 'seq', 1)
  redis.call('ZADD', B .. ':gq:' .. g, seq, id)
  redis.call('HSET', B .. ':m:' .. id, 's', 'w')
  redis.call('HINCRBY', B .. ':s', 'w', 1)
  group_advance(B, g)
  return true
end

-- Puts a message that is (again) pending into the ready set, or behind its group when it has one with a head.
local function ready_or_join(B, id)
  local g = redis.call('HGET', B .. ':m:' .. id, 'g')
  if g and group_join(B, g, id) then return end
  ready_add(B, id)
end

-- Groups by the state of their head: ready, blocked (head delayed), active (head in flight), throttled (backed off).
local function group_counts(B)
  local ready, blocked, active, throttled = 0, 0, 0, 0
  local heads = redis.call('HGETALL', B .. ':gh')
  for k = 1, #heads, 2 do
    local st = redis.call('HGET', B .. ':m:' .. heads[k + 1], 's')
    if st == 'r' then ready = ready + 1
    elseif st == 'f' then active = active + 1
    elseif st == 'd' then
      local until_ms = tonumber(redis.call('HGET', B .. ':gt', heads[k]) or '0')
      if until_ms > NOW then throttled = throttled + 1 else blocked = blocked + 1 end
    end
  end
  return { fmt(ready), fmt(blocked), fmt(active), fmt(throttled) }
end
`;
