import { GROUPS_FUNCTIONS } from "./groups-script";
import { JOBS_FUNCTIONS, JOBS_OPS } from "./jobs-script";
import { RATE_LIMIT_FUNCTIONS } from "./rate-limit-script";

/**
 * The Lua of every state change, one branch per operation: operation-scripts.ts
 * cuts it into one script per operation (the branch and the definitions it
 * reaches); as a whole it is also a valid script. Redis runs a script
 * atomically, so each call is all-or-nothing as long as it fails before its
 * first write: every operation checks everything first, then writes.
 *
 * KEYS are queue bases (`{prefix:queue}`); every other key a call touches is
 * built from a base, so one call touches one hash slot per base it is given.
 * ARGV[1] is `<directed>|<origin>|<channel>`: "1" when wake-ups may go to
 * one idle consumer each instead of to every subscriber (see `notify`), the
 * calling backend's origin id (no `|` in it) and the pub/sub channel for ready
 * wake-ups (read with one plain find: a pattern match cost 0.7 µs a call);
 * ARGV[2] is the operation.
 * Time comes from Redis `TIME`, never from a client clock.
 */
export const SCRIPT = String.raw`
local op = ARGV[2]
local HEAD = ARGV[1]
-- Only the backend builds the header; one in another shape (an older caller) fails loudly instead of waking no one.
local function bad_head() error('mq: script header must be <0|1>|<origin>|<channel>, got ' .. tostring(HEAD)) end
local HEAD_BAR = string.find(HEAD, '^[01]|') and string.find(HEAD, '|', 3, true) or bad_head()
local DIRECTED, ORIGIN, CHANNEL = string.sub(HEAD, 1, 1), string.sub(HEAD, 3, HEAD_BAR - 1), string.sub(HEAD, HEAD_BAR + 1)
local DEFAULTS = { maxAttempts = 5, capacity = 1000000, maxBytes = 1073741824, maxPayloadBytes = 1048576,
  dedupMode = 'replace', dedupWindowMs = 300000, onExpire = 'drop', defaultLeaseMs = 30000 }
local CONF_DEFAULTS = { __index = DEFAULTS }
local MAX_DEAD = 100000
local NF = 12

local t = redis.call('TIME')
local NOW = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local NOW_US = tonumber(t[1]) * 1000000 + tonumber(t[2])

local function fmt(n) return string.format('%.0f', n) end

${RATE_LIMIT_FUNCTIONS}
local confs = {}
local function conf(B)
  local c = confs[B]
  if c then return c end
  c = setmetatable({}, CONF_DEFAULTS)
  local raw = redis.call('HGETALL', B .. ':c')
  for i = 1, #raw, 2 do
    local k, v = raw[i], raw[i + 1]
    if k == 'dedupMode' or k == 'onExpire' or k == 'groupOnFailure' then c[k] = v
    elseif k == 'rateLimit' or k == 'groupRateLimit' then c[k] = limit_of(v)
    else c[k] = tonumber(v) end
  end
  confs[B] = c
  return c
end

-- Queues to wake every subscriber of (a freed maxInFlight slot, ...), and per queue how many messages became ready.
local woke = {}
local readied = {}
local due = nil
local function at_due(ms) if due == nil or ms < due then due = ms end end

${JOBS_FUNCTIONS}
-- Ready order: higher priority first, then FIFO by a per-queue sequence.
-- A new message passes its priority and expiry and has its state set already, and may pass a sequence
-- number its caller reserved. (Integers go to redis.call as numbers: Redis prints them exactly.)
local function ready_add(B, id, pr, x, fresh, seq)
  local mk = B .. ':m:' .. id
  if not fresh then
    local f = redis.call('HMGET', mk, 'pr', 'x')
    pr, x = tonumber(f[1] or '0'), f[2]
    redis.call('HSET', mk, 's', 'r')
  end
  if not seq then seq = redis.call('HINCRBY', B .. ':s', 'seq', 1) end
  redis.call('ZADD', B .. ':r', (9 - pr) * 1e13 + seq, id)
  if x then redis.call('ZADD', B .. ':t', x, id) end
  readied[B] = (readied[B] or 0) + 1
end

-- Dedup slots: key -> "id|version|acceptedAt|mode|windowMs".
local function slot_get(B, key)
  local raw = redis.call('HGET', B .. ':k', key)
  if not raw then return nil end
  local id, v, at, mode, win = string.match(raw, '^([^|]*)|([^|]*)|([^|]*)|([^|]*)|([^|]*)$')
  return { id = id, v = tonumber(v), at = tonumber(at), mode = mode, win = tonumber(win) }
end
local function slot_live(s)
  if s ~= nil and s.mode == 'drop' and NOW >= s.at + s.win then return nil end
  return s
end
local function slot_set(B, key, id, v, mode, win)
  redis.call('HSET', B .. ':k', key, id .. '|' .. fmt(v) .. '|' .. fmt(NOW) .. '|' .. mode .. '|' .. fmt(win))
  if mode == 'drop' then redis.call('ZADD', B .. ':kx', fmt(NOW + win), key) else redis.call('ZREM', B .. ':kx', key) end
end
-- The key's message settled: a replace slot goes, a drop slot stays until its window passes.
local function slot_release(B, key, id)
  local s = slot_get(B, key)
  if s == nil or s.id ~= id then return end
  if s.mode ~= 'drop' or NOW >= s.at + s.win then
    redis.call('HDEL', B .. ':k', key)
    redis.call('ZREM', B .. ':kx', key)
  end
end

${GROUPS_FUNCTIONS}
-- A lease ended on a queue with maxInFlight: a waiting receive may lease now.
local function slot_freed(B) if conf(B).maxInFlight then woke[B] = true end end

local function leave(B, id, st)
  if st == 'r' then redis.call('ZREM', B .. ':r', id)
  elseif st == 'd' then redis.call('ZREM', B .. ':d', id)
  elseif st == 'f' then
    redis.call('ZREM', B .. ':l', id)
    slot_freed(B)
  end
end

-- Ack, expiry or death: the message leaves its gauge, frees its room and its dedup key.
local function remove(B, id, keep)
  local mk = B .. ':m:' .. id
  local f = redis.call('HMGET', mk, 's', 'b', 'k', 'g')
  leave(B, id, f[1])
  if f[4] then group_leave(B, id, f[4], f[1]) end
  redis.call('ZREM', B .. ':t', id)
  redis.call('HINCRBY', B .. ':s', 'n', -1)
  redis.call('HINCRBY', B .. ':s', 'b', -tonumber(f[2] or '0'))
  if f[3] then slot_release(B, f[3], id) end
  if not keep then redis.call('DEL', mk) end
end

local function dead(B, id, reason, err, ev)
  remove(B, id, true)
  local mk = B .. ':m:' .. id
  local s = B .. ':s'
  local last = tonumber(redis.call('HGET', s, 'dls') or '0')
  local score = NOW_US
  if score <= last then score = last + 1 end
  redis.call('HSET', s, 'dls', fmt(score))
  redis.call('HSET', mk, 's', 'x', 'rs', reason, 'dat', fmt(NOW))
  redis.call('HDEL', mk, 'tok', 'pg')
  announce_dead(B, id, reason)
  if err ~= nil and err ~= '' then redis.call('HSET', mk, 'err', err) else redis.call('HDEL', mk, 'err') end
  redis.call('ZADD', B .. ':dl', fmt(score), id)
  redis.call('HINCRBY', B .. ':dr', reason, 1)
  redis.call('HINCRBY', s, 'deadLettered', 1)
  table.insert(ev, { 'deadLettered', B, id, reason })
  -- Bounded: the oldest letters go first.
  if redis.call('ZCARD', B .. ':dl') > MAX_DEAD then
    local old = redis.call('ZRANGE', B .. ':dl', 0, 0)[1]
    local ors = redis.call('HGET', B .. ':m:' .. old, 'rs')
    redis.call('ZREM', B .. ':dl', old)
    if ors then redis.call('HINCRBY', B .. ':dr', ors, -1) end
    redis.call('DEL', B .. ':m:' .. old)
  end
end

local function expire(B, id, ev)
  table.insert(ev, { 'expired', B, id, '' })
  if conf(B).onExpire == 'dead-letter' then dead(B, id, 'expired', '', ev)
  else
    remove(B, id, false)
    redis.call('HINCRBY', B .. ':s', 'expired', 1)
  end
end

local function current(B, id, tok)
  local f = redis.call('HMGET', B .. ':m:' .. id, 's', 'tok')
  if f[1] ~= 'f' or f[2] ~= tok then return false end
  local d = redis.call('ZSCORE', B .. ':l', id)
  return d ~= false and tonumber(d) > NOW
end

local function fields(B, id)
  return redis.call('HMGET', B .. ':m:' .. id, 'p', 'k', 'v', 'pr', 'eq', 'av', 'x', 'a', 'ts', 'j', 'h', 'rs', 'err', 'dat')
end

-- Priority, availableAt and expiry (or nil) of the item whose fields start at ARGV[i] (its key index).
local function item_times(i)
  local av = NOW + tonumber(ARGV[i + 7])
  if ARGV[i + 6] ~= '' then av = tonumber(ARGV[i + 6]) end
  local x = nil
  if ARGV[i + 8] ~= '' then x = tonumber(ARGV[i + 8]) elseif ARGV[i + 9] ~= '' then x = NOW + tonumber(ARGV[i + 9]) end
  return tonumber(ARGV[i + 5]), av, x
end

-- Stores a new message and puts it in place: behind its group, ready (with the sequence number seq when its
-- caller reserved one) or delayed. Fields at their default stay absent (every reader fills them in): version 1,
-- priority 0, available at enqueue, no attempts yet, no meta. Fewer fields cost less time and memory per message.
local function store_new(B, id, payload, v, pr, av, x, j, h, key, grp, seq)
  local ready = av <= NOW
  local st = 'd'
  if ready then st = 'r' end
  local f = { 'p', payload, 'eq', NOW, 'b', #payload, 's', st }
  local n = 8
  if v ~= 1 then f[n + 1] = 'v'; f[n + 2] = v; n = n + 2 end
  if pr ~= 0 then f[n + 1] = 'pr'; f[n + 2] = pr; n = n + 2 end
  if not ready then f[n + 1] = 'av'; f[n + 2] = av; n = n + 2 end
  if j ~= '{}' and j ~= '' then f[n + 1] = 'j'; f[n + 2] = j; n = n + 2 end
  if key ~= '' then f[n + 1] = 'k'; f[n + 2] = key; n = n + 2 end
  if h ~= '' then f[n + 1] = 'h'; f[n + 2] = h; n = n + 2 end
  if x then x = fmt(x); f[n + 1] = 'x'; f[n + 2] = x; n = n + 2 end
  if grp then f[n + 1] = 'g'; f[n + 2] = grp end
  redis.call('HSET', B .. ':m:' .. id, unpack(f))
  if grp and group_join(B, grp, id) then
    -- waits behind its group's head
  elseif ready then
    ready_add(B, id, pr, x, true, seq)
  else
    redis.call('ZADD', B .. ':d', fmt(av), id)
    if x then redis.call('ZADD', B .. ':t', x, id) end
    at_due(av)
  end
end

-- The error of a queue that would hold n messages of b bytes in all, or nil when they fit.
local function room_error(B, c, n, b)
  if n > c.capacity then return { 'QUEUE_FULL', B, 'messages', fmt(c.capacity) } end
  if b > c.maxBytes then return { 'QUEUE_FULL', B, 'bytes', fmt(c.maxBytes) } end
  return nil
end

-- Plans an enqueue of the items in ARGV[start..] without writing; returns plan, results, counts or nil, error.
local function plan_enqueue(start)
  local plan, results, counts, growth, batch, held = {}, {}, {}, {}, {}, {}
  local function count(B, field) counts[B .. '\0' .. field] = { B, field, (counts[B .. '\0' .. field] or { 0, 0, 0 })[3] + 1 } end
  local function room(B, g)
    local c = conf(B)
    local h = held[B]
    if not h then
      local r = redis.call('HMGET', B .. ':s', 'n', 'b', 'enqueued')
      h = { n = tonumber(r[1] or '0'), b = tonumber(r[2] or '0'), e = tonumber(r[3] or '0') }
      held[B] = h
    end
    return room_error(B, c, h.n + g.n, h.b + g.b)
  end
  local i = start
  while i <= #ARGV do
    local B = KEYS[tonumber(ARGV[i])]
    local id, payload, key, ev = ARGV[i + 1], ARGV[i + 2], ARGV[i + 3], ARGV[i + 4]
    local pr, av, x = item_times(i)
    local j, h = ARGV[i + 10], ARGV[i + 11]
    i = i + NF
    local c = conf(B)
    if #payload > c.maxPayloadBytes then return nil, { 'PAYLOAD_TOO_LARGE', B, fmt(#payload), fmt(c.maxPayloadBytes) } end
    local g = growth[B]
    if not g then g = { n = 0, b = 0 }; growth[B] = g end
    local create_version = nil
    local create_mode = c.dedupMode
    if key ~= '' then
      local bk = B .. '\0' .. key
      local planned = batch[bk]
      if planned then
        if ev ~= '' and tonumber(ev) ~= planned.v then return nil, { 'VERSION_CONFLICT', key, ev, fmt(planned.v) } end
        if planned.mode == 'drop' then
          count(B, 'duplicates')
          table.insert(results, { 'duplicate', planned.id, fmt(planned.v) })
        else
          g.b = g.b + #payload - #planned.payload
          local e = room(B, g)
          if e then return nil, e end
          planned.payload = payload
          planned.v = planned.v + 1
          if h ~= '' then planned.h = h end
          if planned.kind == 'replace' then count(B, 'replaced') end
          table.insert(results, { 'replaced', planned.id, fmt(planned.v) })
        end
      else
        local s = slot_live(slot_get(B, key))
        local actual = 0
        if s then actual = s.v end
        if ev ~= '' and tonumber(ev) ~= actual then return nil, { 'VERSION_CONFLICT', key, ev, fmt(actual) } end
        create_version = 1
        if s then
          create_version = s.v + 1
          if c.dedupMode == 'drop' then
            if NOW - s.at < c.dedupWindowMs then
              count(B, 'duplicates')
              table.insert(results, { 'duplicate', s.id, fmt(s.v) })
              create_version = nil
            end
          else
            local mf = redis.call('HMGET', B .. ':m:' .. s.id, 's', 'b')
            if mf[1] == 'r' or mf[1] == 'd' or mf[1] == 'w' then
              local oldb = tonumber(mf[2])
              g.b = g.b + #payload - oldb
              local e = room(B, g)
              if e then return nil, e end
              planned = { kind = 'replace', B = B, id = s.id, key = key, payload = payload, v = s.v + 1, h = h, x = x, mode = 'replace', oldb = oldb }
              batch[bk] = planned
              table.insert(plan, planned)
              count(B, 'replaced')
              table.insert(results, { 'replaced', s.id, fmt(planned.v) })
              create_version = nil
            end
          end
        end
        if create_version then
          g.n = g.n + 1
          g.b = g.b + #payload
          local e = room(B, g)
          if e then return nil, e end
          planned = { kind = 'create', B = B, id = id, key = key, payload = payload, v = create_version, pr = pr, av = av, x = x, j = j, h = h, grp = group_from_meta(j), mode = create_mode, win = c.dedupWindowMs }
          batch[bk] = planned
          table.insert(plan, planned)
          table.insert(results, { 'created', id, fmt(create_version) })
        end
      end
    else
      g.n = g.n + 1
      g.b = g.b + #payload
      local e = room(B, g)
      if e then return nil, e end
      table.insert(plan, { kind = 'create', B = B, id = id, key = '', payload = payload, v = 1, pr = pr, av = av, x = x, j = j, h = h, grp = group_from_meta(j) })
      table.insert(results, { 'created', id, '1' })
    end
  end
  return { plan = plan, results = results, counts = counts, growth = growth, held = held }
end

-- Writes a plan. counts_current: nothing has written the queues' n or b since plan_enqueue read them
-- (an enqueue, not an ack that removed messages in between), so one HSET sets the counters.
local function apply_enqueue(p, counts_current)
  local grown = {}
  -- One increment per queue reserves the sequence numbers of the ungrouped messages ready now.
  local seqs = {}
  for _, e in ipairs(p.plan) do
    if e.kind == 'create' and not e.grp and e.av <= NOW then seqs[e.B] = (seqs[e.B] or 0) + 1 end
  end
  for B, n in pairs(seqs) do seqs[B] = redis.call('HINCRBY', B .. ':s', 'seq', n) - n end
  for _, e in ipairs(p.plan) do
    local B = e.B
    if e.kind == 'create' then
      local seq = nil
      if not e.grp and e.av <= NOW then seqs[B] = seqs[B] + 1; seq = seqs[B] end
      store_new(B, e.id, e.payload, e.v, e.pr, e.av, e.x, e.j, e.h, e.key, e.grp, seq)
      local g = grown[B]
      if not g then g = { n = 0, b = 0 }; grown[B] = g end
      g.n = g.n + 1
      g.b = g.b + #e.payload
      if e.key ~= '' then slot_set(B, e.key, e.id, e.v, e.mode, e.win) end
    else
      local mk = B .. ':m:' .. e.id
      redis.call('HSET', mk, 'p', e.payload, 'v', fmt(e.v), 'b', fmt(#e.payload))
      redis.call('HINCRBY', B .. ':s', 'b', #e.payload - e.oldb)
      if e.h ~= '' then redis.call('HSET', mk, 'h', e.h) end
      if e.x then
        redis.call('HSET', mk, 'x', fmt(e.x))
        redis.call('ZADD', B .. ':t', fmt(e.x), e.id)
      end
      slot_set(B, e.key, e.id, e.v, 'replace', 0)
    end
  end
  for B, g in pairs(grown) do
    if counts_current then
      -- growth also holds the byte change of replaced payloads, whose HINCRBY above this HSET supersedes.
      local h = p.held[B]
      redis.call('HSET', B .. ':s', 'n', h.n + p.growth[B].n, 'b', h.b + p.growth[B].b, 'enqueued', h.e + g.n)
    else
      redis.call('HINCRBY', B .. ':s', 'n', g.n)
      redis.call('HINCRBY', B .. ':s', 'b', g.b)
      redis.call('HINCRBY', B .. ':s', 'enqueued', g.n)
    end
  end
  for _, c in pairs(p.counts) do redis.call('HINCRBY', c[1] .. ':s', c[2], c[3]) end
end

-- Wake-ups. A consumer whose lease found nothing is in B:idle (origin -> since when) and listens on
-- CHANNEL:<origin>. Messages that became ready wake that many idle consumers, the longest idle first,
-- each on its own channel: one message wakes one consumer, not every process (whose leases but one
-- would come back empty). A consumer that is not idle is busy and leases again by itself. PUBLISH
-- counts the receivers: none means that consumer is gone (or reconnecting, and then it looks again
-- once back), so the next one is tried. With no idle consumer reached, every subscriber is woken when
-- the queue had nothing ready before (with something ready and no one idle, every consumer is busy:
-- so a producer without consumers does not wake itself on every enqueue). On Cluster (where PUBLISH
-- counts only the node's own subscribers) every subscriber is woken, as before.
-- The idle list is a hint, kept out of the AOF and replicas (a restart or failover empties it, and
-- wake-ups then go to every process until consumers are idle again): registering as idle is no write
-- that an fsync (AOF always) or a replica must wait for.
local function idle_call(...)
  redis.set_repl(redis.REPL_NONE)
  local r = redis.call(...)
  redis.set_repl(redis.REPL_ALL)
  return r
end
local function wake_idle(B, n)
  local sent = 0
  while sent < n do
    local e = idle_call('ZPOPMIN', B .. ':idle')
    if #e == 0 then break end
    if redis.call('PUBLISH', CHANNEL .. ':' .. e[1], B) > 0 then sent = sent + 1 end
  end
  return sent
end
local function notify()
  for B, _ in pairs(woke) do redis.call('PUBLISH', CHANNEL, B) end
  for B, n in pairs(readied) do
    if woke[B] then
    elseif DIRECTED ~= '1' then redis.call('PUBLISH', CHANNEL, B)
    elseif wake_idle(B, n) == 0 and redis.call('ZCARD', B .. ':r') <= n then redis.call('PUBLISH', CHANNEL, B) end
  end
end
local function due_reply() if due == nil then return '' end return fmt(due) end

-- Receipts in ARGV[start..]: (key index, id, token) triples, n of them. Index of the first stale one, or 0.
local function check_receipts(start, n)
  for r = 0, n - 1 do
    local B = KEYS[tonumber(ARGV[start + r * 3])]
    if not current(B, ARGV[start + r * 3 + 1], ARGV[start + r * 3 + 2]) then return r + 1 end
  end
  return 0
end

if op == 'enqueue' then
  local p, err = plan_enqueue(3)
  if err then return { 'E', err } end
  apply_enqueue(p, true)
  notify()
  return { 'OK', p.results, due_reply() }

elseif op == 'enqueue_one' then
  -- One item with no dedup key and no group, the usual single enqueue: the checks and writes of
  -- enqueue without its batch bookkeeping (about a fifth of the script's time).
  local B = KEYS[1]
  local id, payload = ARGV[4], ARGV[5]
  local c = conf(B)
  if #payload > c.maxPayloadBytes then return { 'E', { 'PAYLOAD_TOO_LARGE', B, fmt(#payload), fmt(c.maxPayloadBytes) } } end
  local s = B .. ':s'
  local held = redis.call('HMGET', s, 'n', 'b', 'enqueued')
  local n, b = tonumber(held[1] or '0') + 1, tonumber(held[2] or '0') + #payload
  local full = room_error(B, c, n, b)
  if full then return { 'E', full } end
  local pr, av, x = item_times(3)
  store_new(B, id, payload, 1, pr, av, x, ARGV[13], ARGV[14], '', nil, nil)
  redis.call('HSET', s, 'n', n, 'b', b, 'enqueued', tonumber(held[3] or '0') + 1)
  notify()
  return { 'OK', { { 'created', id, '1' } }, due_reply() }

elseif op == 'check' then
  -- Dry run of an enqueue (a cross-slot batch on Cluster checks every slot before applying any).
  local n = tonumber(ARGV[3])
  local bad = check_receipts(4, n)
  if bad > 0 then return { 'E', { 'LEASE_LOST', fmt(bad) } } end
  local _, err = plan_enqueue(4 + n * 3)
  if err then return { 'E', err } end
  return { 'OK' }

elseif op == 'lease' then
  local B = KEYS[1]
  local want, leaseMs = tonumber(ARGV[3]), tonumber(ARGV[4])
  local max = want
  local c = conf(B)
  -- The limit that held starts back (its stats counter), and ms until the queue may start again (for the long poll).
  local held, wait = nil, nil
  -- maxInFlight caps leases across every consumer of the queue.
  if c.maxInFlight then
    local room = math.max(0, c.maxInFlight - redis.call('ZCARD', B .. ':l'))
    if room < max then max, held = room, 'thrMaxInFlight' end
  end
  -- rateLimit: a token per start from the queue's bucket.
  local qtk = nil
  if c.rateLimit then
    qtk = bucket_tokens(B .. ':rl', c.rateLimit)
    local allowed = math.floor(qtk + EPS)
    if allowed < max then max, held = allowed, 'thrRateLimit' end
  end
  -- throttle() of an ungrouped message pauses the whole queue.
  local pause = tonumber(redis.call('HGET', B .. ':s', 'pause') or '0')
  if pause > NOW then max, held, wait = 0, nil, pause - NOW end
  local grl = c.groupRateLimit
  local gheld = 0
  local ev, out = {}, {}
  local tok = tonumber(redis.call('HGET', B .. ':s', 'lseq') or '0')
  -- Due delays become ready here too, so a receive never waits on a scheduler tick.
  local dueIds = redis.call('ZRANGEBYSCORE', B .. ':d', '-inf', NOW, 'LIMIT', 0, 1000)
  for _, id in ipairs(dueIds) do
    redis.call('ZREM', B .. ':d', id)
    ready_add(B, id)
  end
  while #out < max do
    local ids = redis.call('ZRANGE', B .. ':r', 0, max - #out - 1)
    if #ids == 0 then break end
    for _, id in ipairs(ids) do
      local mk = B .. ':m:' .. id
      redis.call('ZREM', B .. ':r', id)
      local f = fields(B, id)
      local x = f[7]
      local g, gk, gtk = nil, nil, nil
      if grl then g = redis.call('HGET', mk, 'g') end
      if g then
        gk = B .. ':gb:' .. g
        gtk = bucket_tokens(gk, grl)
      end
      if x and tonumber(x) <= NOW then expire(B, id, ev)
      elseif g and gtk < 1 - EPS then
        -- Its group's bucket is empty: the head waits as a delayed message (group throttled) until a token is back.
        local resume = NOW + bucket_wait(gtk, grl)
        redis.call('HSET', B .. ':gt', g, fmt(resume))
        redis.call('HSET', mk, 's', 'd', 'av', fmt(resume))
        redis.call('ZADD', B .. ':d', fmt(resume), id)
        at_due(resume)
        gheld = gheld + 1
      else
        if g then bucket_store(gk, grl, gtk - 1) end
        local a = tonumber(f[8] or '0') + 1
        local ts = f[9]
        if ts == false or ts == '' then ts = fmt(NOW) else ts = ts .. ',' .. fmt(NOW) end
        tok = tok + 1
        -- The counter fences leases; Redis time in it keeps a token unique even
        -- if a crash lost the counter's last increments (AOF everysec).
        local token = fmt(tok) .. 't' .. fmt(NOW_US)
        redis.call('HSET', mk, 's', 'f', 'a', fmt(a), 'ts', ts, 'tok', token)
        redis.call('ZADD', B .. ':l', fmt(NOW + leaseMs), id)
        if x then redis.call('ZREM', B .. ':t', id) end
        f[8], f[9] = fmt(a), ts
        table.insert(out, { id, token, f })
      end
    end
  end
  if qtk then bucket_store(B .. ':rl', c.rateLimit, qtk - #out) end
  if #out > 0 then
    redis.call('HSET', B .. ':s', 'lseq', fmt(tok))
    redis.call('HINCRBY', B .. ':s', 'delivered', #out)
    if DIRECTED == '1' then
      -- Busy now: it leases again by itself. What it left (a full batch) wakes as many consumers that wait,
      -- and no one else (every other consumer is busy and leases by itself); due messages it made ready
      -- are among them.
      idle_call('ZREM', B .. ':idle', ORIGIN)
      local left = redis.call('ZCARD', B .. ':r')
      if left > 0 then wake_idle(B, left) end
      readied[B] = nil
    end
  elseif DIRECTED == '1' then
    -- Found nothing: the next message that becomes ready wakes it (NX keeps its place in line).
    idle_call('ZADD', B .. ':idle', 'NX', NOW, ORIGIN)
  end
  if gheld > 0 then redis.call('HINCRBY', B .. ':s', 'thrGroupRateLimit', gheld) end
  if held and #out < want and redis.call('ZCARD', B .. ':r') > 0 then
    redis.call('HINCRBY', B .. ':s', held, 1)
    if held == 'thrRateLimit' then wait = bucket_wait(qtk - #out, c.rateLimit) end
  end
  notify()
  local waitReply = ''
  if wait then waitReply = fmt(wait) end
  return { 'OK', fmt(NOW + leaseMs), ev, out, due_reply(), waitReply }

elseif op == 'ack' then
  -- ARGV: n, n receipt triples, m (0 or n), m handler results, then publish rows.
  local n = tonumber(ARGV[3])
  local bad = check_receipts(4, n)
  if bad > 0 then return { 'E', { 'LEASE_LOST', fmt(bad) } } end
  local m = tonumber(ARGV[4 + n * 3])
  local p, err = plan_enqueue(5 + n * 3 + m)
  if err then return { 'E', err } end
  local ev, seen = {}, {}
  for r = 0, n - 1 do
    local B, id = KEYS[tonumber(ARGV[4 + r * 3])], ARGV[5 + r * 3]
    if not seen[B .. ':' .. id] then
      seen[B .. ':' .. id] = true
      remove(B, id, false)
      redis.call('HINCRBY', B .. ':s', 'acked', 1)
      table.insert(ev, { 'acked', B, id, '' })
      if keeps(B) then
        local result = ''
        if m > 0 then result = ARGV[5 + n * 3 + r] end
        keep_completion(B, id, result)
        table.insert(ev, { 'completed', B, id, fmt(r + 1) })
      end
    end
  end
  settle_completions()
  apply_enqueue(p)
  notify()
  return { 'OK', p.results, due_reply(), ev }

elseif op == 'nack' then
  local B, id, tok = KEYS[1], ARGV[3], ARGV[4]
  if not current(B, id, tok) then return { 'E', { 'LEASE_LOST', '1' } } end
  local mk = B .. ':m:' .. id
  local a = tonumber(redis.call('HGET', mk, 'a'))
  local limit = max_attempts(B, id)
  if ARGV[6] ~= '' then limit = tonumber(ARGV[6]) end
  local ev = {}
  if ARGV[7] == '1' or a >= limit then
    local reason = 'max-retries'
    if ARGV[7] == '1' then reason = 'rejected' end
    dead(B, id, reason, ARGV[8], ev)
    notify() -- the next head of its group (or a freed maxInFlight slot) may be ready now
    return { 'OK', 'dead-lettered', fmt(a), '', ev }
  end
  local delay = tonumber(ARGV[5])
  local av = NOW + delay
  redis.call('ZREM', B .. ':l', id)
  slot_freed(B)
  redis.call('HDEL', mk, 'tok', 'pg')
  redis.call('HSET', mk, 'av', fmt(av))
  if ARGV[8] ~= '' then redis.call('HSET', mk, 'err', ARGV[8]) end
  if group_skip(B, id) then
    -- behind its group; it becomes head again (then ready or delayed by its availableAt) after the others
  elseif delay <= 0 then ready_add(B, id)
  else
    redis.call('HSET', mk, 's', 'd')
    redis.call('ZADD', B .. ':d', fmt(av), id)
    local x = redis.call('HGET', mk, 'x')
    if x then redis.call('ZADD', B .. ':t', x, id) end
    at_due(av)
  end
  redis.call('HINCRBY', B .. ':s', 'retried', 1)
  notify()
  return { 'OK', 'retried', fmt(a), fmt(av), ev, due_reply() }

elseif op == 'extend' then
  local B, id, tok = KEYS[1], ARGV[3], ARGV[4]
  if not current(B, id, tok) then return { 'E', { 'LEASE_LOST', '1' } } end
  local deadline = NOW + tonumber(ARGV[5])
  redis.call('ZADD', B .. ':l', fmt(deadline), id)
  return { 'OK', fmt(deadline) }

elseif op == 'release' then
  local n = tonumber(ARGV[3])
  local bad = check_receipts(4, n)
  if bad > 0 then return { 'E', { 'LEASE_LOST', fmt(bad) } } end
  local seen = {}
  for r = 0, n - 1 do
    local B, id = KEYS[tonumber(ARGV[4 + r * 3])], ARGV[5 + r * 3]
    if not seen[B .. ':' .. id] then
      seen[B .. ':' .. id] = true
      local mk = B .. ':m:' .. id
      local a = tonumber(redis.call('HGET', mk, 'a'))
      local ts = redis.call('HGET', mk, 'ts') or ''
      ts = string.match(ts, '^(.*),[^,]*$') or ''
      if a < 1 then a = 1 end
      redis.call('HSET', mk, 'a', fmt(a - 1), 'ts', ts)
      redis.call('HDEL', mk, 'tok', 'pg')
      redis.call('ZREM', B .. ':l', id)
      ready_add(B, id)
    end
  end
  notify()
  return { 'OK' }

elseif op == 'tick' then
  -- The scheduler's sweep of one queue; idempotent, so any number of processes may run it.
  local B = KEYS[1]
  local limit = tonumber(ARGV[3])
  local ev = {}
  local busy = false
  local ids = redis.call('ZRANGEBYSCORE', B .. ':d', '-inf', NOW, 'LIMIT', 0, limit)
  if #ids == limit then busy = true end
  for _, id in ipairs(ids) do
    redis.call('ZREM', B .. ':d', id)
    ready_add(B, id)
  end
  ids = redis.call('ZRANGEBYSCORE', B .. ':t', '-inf', NOW, 'LIMIT', 0, limit)
  if #ids == limit then busy = true end
  for _, id in ipairs(ids) do
    local st = redis.call('HGET', B .. ':m:' .. id, 's')
    if st == 'r' or st == 'd' then expire(B, id, ev) else redis.call('ZREM', B .. ':t', id) end
  end
  ids = redis.call('ZRANGEBYSCORE', B .. ':l', '-inf', NOW, 'LIMIT', 0, limit)
  if #ids == limit then busy = true end
  for _, id in ipairs(ids) do
    local mk = B .. ':m:' .. id
    local a = tonumber(redis.call('HGET', mk, 'a') or '0')
    table.insert(ev, { 'leaseExpired', B, id, fmt(a) })
    if a >= max_attempts(B, id) then
      dead(B, id, 'max-retries', '{"name":"LeaseExpired","message":"lease of attempt ' .. fmt(a) .. ' expired without ack or nack"}', ev)
    else
      redis.call('ZREM', B .. ':l', id)
      redis.call('HDEL', mk, 'tok', 'pg')
      if not group_skip(B, id) then ready_add(B, id) end
    end
  end
  local keys = redis.call('ZRANGEBYSCORE', B .. ':kx', '-inf', NOW, 'LIMIT', 0, limit)
  for _, key in ipairs(keys) do
    local s = slot_get(B, key)
    if s ~= nil and s.mode == 'drop' and NOW >= s.at + s.win then redis.call('HDEL', B .. ':k', key) end
    redis.call('ZREM', B .. ':kx', key)
  end
  if busy then at_due(NOW) end
  for _, z in ipairs({ ':d', ':t', ':l', ':kx' }) do
    local first = redis.call('ZRANGE', B .. z, 0, 0, 'WITHSCORES')
    if #first > 0 then at_due(tonumber(first[2])) end
  end
  notify()
  return { 'OK', ev, due_reply(), fmt(NOW), redis.call('ZCARD', B .. ':r') }

elseif op == 'stats' then
  -- The resolved settings as a flat list (limits in their stored "max/perMs" form).
  local function settings_list(c)
    local out = {}
    local function put(k, v)
      if type(v) == 'table' then v = v.raw elseif type(v) == 'number' then v = tostring(v) end
      table.insert(out, k)
      table.insert(out, v)
    end
    -- conf() holds only the stored settings; the rest come from DEFAULTS through its metatable.
    for k, v in pairs(c) do put(k, v) end
    for k, v in pairs(DEFAULTS) do if rawget(c, k) == nil then put(k, v) end end
    return out
  end
  local B = KEYS[1]
  local c = conf(B)
  return { redis.call('HGETALL', B .. ':s'), redis.call('ZCARD', B .. ':r'), redis.call('ZCARD', B .. ':d'),
    redis.call('ZCARD', B .. ':l'), redis.call('ZCARD', B .. ':dl'), fmt(c.capacity), fmt(c.maxBytes), group_counts(B), settings_list(c) }

elseif op == 'dlpage' then
  -- Letters with score > ARGV[3] (>= when ARGV[4] is '1'), matching reason ARGV[6] if given; at most ARGV[5].
  local B = KEYS[1]
  local min = '(' .. ARGV[3]
  if ARGV[4] == '1' then min = ARGV[3] end
  local limit, reason = tonumber(ARGV[5]), ARGV[6]
  local out, offset = {}, 0
  while #out < limit do
    local ids = redis.call('ZRANGEBYSCORE', B .. ':dl', min, '+inf', 'WITHSCORES', 'LIMIT', offset, 500)
    if #ids == 0 then break end
    for k = 1, #ids, 2 do
      local f = fields(B, ids[k])
      if reason == '' or f[12] == reason then
        table.insert(out, { ids[k], ids[k + 1], f })
        if #out >= limit then break end
      end
    end
    offset = offset + #ids / 2
  end
  return out

elseif op == 'dlget' then
  local B, id = KEYS[1], ARGV[3]
  if redis.call('HGET', B .. ':m:' .. id, 's') ~= 'x' then return false end
  return { id, redis.call('ZSCORE', B .. ':dl', id), fields(B, id) }

elseif op == 'dlcount' then
  local B = KEYS[1]
  if ARGV[3] == '' then return redis.call('ZCARD', B .. ':dl') end
  return tonumber(redis.call('HGET', B .. ':dr', ARGV[3]) or '0')

elseif op == 'revive' then
  -- Dead letters ARGV[3..] of KEYS[1] back to KEYS[2] (same slot), ready now, attempts reset.
  local S, D = KEYS[1], KEYS[2]
  local out = {}
  for k = 3, #ARGV do
    local id = ARGV[k]
    local smk = S .. ':m:' .. id
    local f = redis.call('HMGET', smk, 's', 'rs', 'b')
    if f[1] == 'x' and (S == D or redis.call('EXISTS', D .. ':m:' .. id) == 0) then
      redis.call('ZREM', S .. ':dl', id)
      redis.call('HINCRBY', S .. ':dr', f[2], -1)
      local dmk = D .. ':m:' .. id
      if S ~= D then
        redis.call('RESTORE', dmk, 0, redis.call('DUMP', smk))
        redis.call('DEL', smk)
      end
      redis.call('HSET', dmk, 'a', '0', 'ts', '', 'av', fmt(NOW))
      redis.call('HDEL', dmk, 'x', 'tok', 'rs', 'err', 'dat')
      redis.call('HINCRBY', D .. ':s', 'n', 1)
      redis.call('HINCRBY', D .. ':s', 'b', tonumber(f[3] or '0'))
      ready_or_join(D, id)
      table.insert(out, id)
    end
  end
  notify()
  return out

elseif op == 'import' then
  -- A dead letter exported from another slot, inserted ready into KEYS[1] (cluster replay to another queue).
  local D, id = KEYS[1], ARGV[3]
  local dmk = D .. ':m:' .. id
  if redis.call('EXISTS', dmk) == 1 then return 0 end
  redis.call('HSET', dmk, 'p', ARGV[4], 'v', ARGV[6], 'pr', ARGV[7], 'eq', ARGV[8], 'av', fmt(NOW), 'a', '0', 'ts', '', 'j', ARGV[9], 'b', fmt(#ARGV[4]))
  if ARGV[5] ~= '' then redis.call('HSET', dmk, 'k', ARGV[5]) end
  if ARGV[10] ~= '' then redis.call('HSET', dmk, 'h', ARGV[10]) end
  local grp = group_from_meta(ARGV[9])
  if grp then redis.call('HSET', dmk, 'g', grp) end
  redis.call('HINCRBY', D .. ':s', 'n', 1)
  redis.call('HINCRBY', D .. ':s', 'b', #ARGV[4])
  ready_or_join(D, id)
  notify()
  return 1

elseif op == 'dlpurge' then
  -- Deletes letters of KEYS[1]: ids ARGV[4..] if given, else all matching reason ARGV[3] ('' any).
  local B, reason = KEYS[1], ARGV[3]
  local ids = {}
  if #ARGV >= 4 then for k = 4, #ARGV do table.insert(ids, ARGV[k]) end
  else ids = redis.call('ZRANGE', B .. ':dl', 0, -1) end
  local n = 0
  for _, id in ipairs(ids) do
    local mk = B .. ':m:' .. id
    local f = redis.call('HMGET', mk, 's', 'rs')
    if f[1] == 'x' and (reason == '' or f[2] == reason) then
      redis.call('ZREM', B .. ':dl', id)
      redis.call('HINCRBY', B .. ':dr', f[2], -1)
      redis.call('DEL', mk)
      n = n + 1
    end
  end
  return n
end
${JOBS_OPS}
return redis.error_reply('mq: unknown operation ' .. tostring(op))
`;
