/**
 * The Lua of the job features, spliced into the script source (see script.ts):
 * {@link JOBS_FUNCTIONS} before the operations (dead-lettering and acks call
 * them), {@link JOBS_OPS} after the core operations.
 *
 * Keys they add under a queue base B: `B:cd` (kept completions by completion
 * time), `B:cv` (their results), `B:sf` (last fire time per schedule, the
 * dedup mark of schedule fires). Under the prefix's own tag G (`{prefix}`):
 * `G:sched` (definitions), `G:sid` (definition ids), `G:sdue` (next fire
 * times), `G:slast` (last fire times). A message's progress is the field `pg`
 * of its hash while it runs.
 */
export const JOBS_FUNCTIONS = String.raw`
-- Jobs: kept completions, per-message attempt limits, cross-process announcements.
local function keeps(B) return conf(B).kcCount ~= nil end

-- Other processes learn of completions and dead letters on queues that keep completions (waitForResult).
local function announce(msg) redis.call('PUBLISH', CHANNEL, '~' .. cjson.encode(msg)) end
local function announce_dead(B, id, reason)
  if keeps(B) then announce({ k = 'd', o = ORIGIN, b = B, i = id, r = reason }) end
end

-- The message's own maxAttempts (kept in its meta as "m") or the queue's.
local function max_attempts(B, id)
  local j = redis.call('HGET', B .. ':m:' .. id, 'j')
  if j and string.find(j, '"m":', 1, true) then
    local ok, meta = pcall(cjson.decode, j)
    if ok and type(meta) == 'table' and tonumber(meta.m) then return tonumber(meta.m) end
  end
  return conf(B).maxAttempts
end

-- In chunks: unpack() has a limit of a few thousand values.
local function drop_completions(B, ids)
  for k = 1, #ids, 1000 do
    local last = math.min(k + 999, #ids)
    redis.call('ZREM', B .. ':cd', unpack(ids, k, last))
    redis.call('HDEL', B .. ':cv', unpack(ids, k, last))
  end
end

-- Completions of this call, per queue base: trimmed and announced once per call by settle_completions.
local kept_now = {}
local function keep_completion(B, id, result)
  redis.call('ZADD', B .. ':cd', fmt(NOW), id)
  redis.call('HSET', B .. ':cv', id, result)
  local ids = kept_now[B]
  if not ids then ids = {}; kept_now[B] = ids end
  table.insert(ids, id)
end

-- Bounded by count and age after every ack (at most 1000 more than the call added are dropped, so a lowered
-- bound catches up over a few acks), and one announcement per queue and call.
local function settle_completions()
  for B, ids in pairs(kept_now) do
    local c = conf(B)
    local extra = redis.call('ZCARD', B .. ':cd') - c.kcCount
    if extra > 0 then drop_completions(B, redis.call('ZRANGE', B .. ':cd', 0, math.min(extra, 1000 + #ids) - 1)) end
    if c.kcAge then drop_completions(B, redis.call('ZRANGEBYSCORE', B .. ':cd', '-inf', '(' .. fmt(NOW - c.kcAge), 'LIMIT', 0, 1000 + #ids)) end
    announce({ k = 'c', o = ORIGIN, b = B, i = ids })
  end
  kept_now = {}
end

-- A kept completion's time, unless it is older than the queue's ageMs.
local function completed_at(B, id)
  local at = redis.call('ZSCORE', B .. ':cd', id)
  if not at then return nil end
  local age = conf(B).kcAge
  if age and tonumber(at) < NOW - age then return nil end
  return at
end
`;

export const JOBS_OPS = String.raw`
if op == 'info' then
  local B, id = KEYS[1], ARGV[3]
  local mk = B .. ':m:' .. id
  local st = redis.call('HGET', mk, 's')
  if st then return { 'm', st, fields(B, id), redis.call('HGET', mk, 'pg') or '' } end
  local at = completed_at(B, id)
  if at then return { 'c', at, redis.call('HGET', B .. ':cv', id) or '' } end
  return { 'u' }

elseif op == 'cancel' then
  local B, id = KEYS[1], ARGV[3]
  local st = redis.call('HGET', B .. ':m:' .. id, 's')
  if st == 'f' then return { 'E', { 'IN_FLIGHT' } } end
  if st ~= 'r' and st ~= 'd' and st ~= 'w' then return { 'E', { 'NOT_FOUND' } } end
  remove(B, id, false)
  notify() -- the next message of its ordering group may be ready now
  return { 'OK' }

elseif op == 'purge' then
  -- At most ARGV[3] ready and delayed messages per call; the client calls again while it gets a full batch.
  local B, limit = KEYS[1], tonumber(ARGV[3])
  local n = 0
  -- Messages waiting behind their group's head first (removing a head would promote them).
  for _, g in ipairs(redis.call('HKEYS', B .. ':gh')) do
    if n >= limit then break end
    for _, id in ipairs(redis.call('ZRANGE', B .. ':gq:' .. g, 0, limit - n - 1)) do
      remove(B, id, false)
      n = n + 1
    end
  end
  for _, z in ipairs({ ':r', ':d' }) do
    if n >= limit then break end
    for _, id in ipairs(redis.call('ZRANGE', B .. z, 0, limit - n - 1)) do
      remove(B, id, false)
      n = n + 1
    end
  end
  notify()
  return n

elseif op == 'peek' then
  local B, limit = KEYS[1], tonumber(ARGV[3])
  local out, offset = {}, 0
  while #out < limit do
    local ids = redis.call('ZRANGE', B .. ':r', offset, offset + 99)
    if #ids == 0 then break end
    for _, id in ipairs(ids) do
      local f = fields(B, id)
      if not (f[7] and tonumber(f[7]) <= NOW) then table.insert(out, { id, f }) end
      if #out >= limit then break end
    end
    offset = offset + #ids
  end
  return out

elseif op == 'progress' then
  local B, id, tok = KEYS[1], ARGV[3], ARGV[4]
  if not current(B, id, tok) then return { 'E', { 'LEASE_LOST', '1' } } end
  redis.call('HSET', B .. ':m:' .. id, 'pg', ARGV[5])
  return { 'OK' }

elseif op == 'throttle' then
  -- Hands the delivery back like release (its attempt unused), then its group (or, ungrouped, the whole queue)
  -- starts nothing for ARGV[5] ms: a grouped head waits as a delayed message, a queue keeps a pause time.
  local B, id, tok = KEYS[1], ARGV[3], ARGV[4]
  if not current(B, id, tok) then return { 'E', { 'LEASE_LOST', '1' } } end
  local mk = B .. ':m:' .. id
  local resume = NOW + tonumber(ARGV[5])
  local f = redis.call('HMGET', mk, 'a', 'ts', 'g')
  local a = tonumber(f[1] or '1')
  if a < 1 then a = 1 end
  local ts = string.match(f[2] or '', '^(.*),[^,]*$') or ''
  redis.call('HSET', mk, 'a', fmt(a - 1), 'ts', ts)
  redis.call('HDEL', mk, 'tok', 'pg')
  redis.call('ZREM', B .. ':l', id)
  slot_freed(B)
  if f[3] then
    redis.call('HSET', B .. ':gt', f[3], fmt(resume))
    redis.call('HSET', mk, 's', 'd', 'av', fmt(resume))
    redis.call('ZADD', B .. ':d', fmt(resume), id)
  else
    local pause = tonumber(redis.call('HGET', B .. ':s', 'pause') or '0')
    if resume > pause then redis.call('HSET', B .. ':s', 'pause', fmt(resume)) end
    ready_add(B, id)
  end
  at_due(resume)
  redis.call('HINCRBY', B .. ':s', 'backOff', 1)
  notify()
  return { 'OK', due_reply() }

elseif op == 'cfind' then
  -- A kept completion of message ARGV[3] in any of the queues KEYS (one slot).
  local id = ARGV[3]
  for k = 1, #KEYS do
    local at = completed_at(KEYS[k], id)
    if at then return { k, at, redis.call('HGET', KEYS[k] .. ':cv', id) or '' } end
  end
  return false

elseif op == 'fire' then
  -- A schedule's due fires into KEYS[1], once: B:sf keeps "definition id|last fire time" per schedule name,
  -- so a process that retries after a crash (or races another) finds the fire done.
  local B, name, sid, last = KEYS[1], ARGV[3], ARGV[4], tonumber(ARGV[5])
  local mark = redis.call('HGET', B .. ':sf', name)
  if mark then
    local mid, mt = string.match(mark, '^(.*)|([^|]*)$')
    if mid == sid and tonumber(mt) >= last then return { 'OK', {}, '', 'dup' } end
  end
  local p, err = plan_enqueue(6)
  if err then return { 'E', err } end
  apply_enqueue(p, true)
  redis.call('HSET', B .. ':sf', name, sid .. '|' .. fmt(last))
  notify()
  return { 'OK', p.results, due_reply() }

elseif op == 'sput' then
  local G, name = KEYS[1], ARGV[3]
  redis.call('HSET', G .. ':sched', name, ARGV[5])
  redis.call('HSET', G .. ':sid', name, ARGV[4])
  redis.call('ZADD', G .. ':sdue', ARGV[6], name)
  redis.call('HDEL', G .. ':slast', name)
  return { 'OK' }

elseif op == 'sdel' then
  local G, name = KEYS[1], ARGV[3]
  local n = redis.call('HDEL', G .. ':sched', name)
  redis.call('HDEL', G .. ':sid', name)
  redis.call('ZREM', G .. ':sdue', name)
  redis.call('HDEL', G .. ':slast', name)
  return n

elseif op == 'slist' then
  local G = KEYS[1]
  return { redis.call('HGETALL', G .. ':sched'), redis.call('ZRANGE', G .. ':sdue', 0, -1, 'WITHSCORES'), redis.call('HGETALL', G .. ':slast') }

elseif op == 'sdue' then
  -- Schedules due now (at most ARGV[3]), Redis time, and the earliest fire time after now.
  local G, limit = KEYS[1], tonumber(ARGV[3])
  local out = {}
  local rows = redis.call('ZRANGEBYSCORE', G .. ':sdue', '-inf', fmt(NOW), 'WITHSCORES', 'LIMIT', 0, limit)
  for k = 1, #rows, 2 do
    local name = rows[k]
    table.insert(out, { name, rows[k + 1], redis.call('HGET', G .. ':sid', name) or '', redis.call('HGET', G .. ':sched', name) or '', redis.call('HGET', G .. ':slast', name) or '' })
  end
  local first = redis.call('ZRANGEBYSCORE', G .. ':sdue', '(' .. fmt(NOW), '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  local nxt = ''
  if #first > 0 then nxt = first[2] end
  return { fmt(NOW), out, nxt }

elseif op == 'sadv' then
  -- Moves schedule ARGV[3] on, only if it is still definition ARGV[4] due at ARGV[5] (another process may have moved it).
  local G, name, sid, expected, last, nxt = KEYS[1], ARGV[3], ARGV[4], ARGV[5], ARGV[6], ARGV[7]
  if redis.call('HGET', G .. ':sid', name) ~= sid then return 0 end
  local cur = redis.call('ZSCORE', G .. ':sdue', name)
  if not cur or tonumber(cur) ~= tonumber(expected) then return 0 end
  if nxt == '' then
    redis.call('HDEL', G .. ':sched', name)
    redis.call('HDEL', G .. ':sid', name)
    redis.call('ZREM', G .. ':sdue', name)
    redis.call('HDEL', G .. ':slast', name)
    return 1
  end
  redis.call('ZADD', G .. ':sdue', nxt, name)
  redis.call('HSET', G .. ':slast', name, last)
  return 1
end
`;
