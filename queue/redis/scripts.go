package redis

import (
	goredis "github.com/redis/go-redis/v9"

	"github.com/hookgate/hookgate/queue"
)

// The Lua scripts of the Redis store. Each touches the keys of one queue
// (one hash tag), so it runs atomically on standalone, Sentinel and Cluster
// alike. Message keys are built inside a script from the queue's tag: they
// share its slot, which is all Cluster requires.

// claimLua claims the dedupe record KEYS[dk] for ARGV[1] unless it is held
// by another id and unexpired at ARGV[2]. Records hold "<expiry ns> <id>";
// the TTL (ARGV[4] ms) only lets Redis forget them. A record already held
// by the same id counts as claimed, so a retried script is harmless, and
// one held by Hold(id) is taken over.
const claimLua = `
local function claim(dk, id, now, exp, ttl)
  local held = redis.call('GET', dk)
  if held and string.sub(held, 1, 20) > now then
    local holder = string.sub(held, 22)
    if holder ~= id and holder ~= '` + queue.HoldPrefix + `' .. id then return holder end
  end
  if tonumber(ttl) > 0 then
    redis.call('SET', dk, exp .. ' ' .. id, 'PX', ttl)
  elseif held then
    redis.call('DEL', dk)
  end
  return false
end
`

// claimScript: KEYS dedupe; ARGV id, now, exp, ttl. Like enqueueScript's claim.
var claimScript = goredis.NewScript(claimLua + `
return claim(KEYS[1], ARGV[1], ARGV[2], ARGV[3], ARGV[4]) or ''
`)

// releaseScript: KEYS dedupe; ARGV id. Drops the record if id holds it.
var releaseScript = goredis.NewScript(`
local held = redis.call('GET', KEYS[1])
if held and string.sub(held, 22) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 0
`)

// leaseScript: KEYS due, lease, owner; ARGV now µs, limit, until µs, token,
// message key prefix, order index prefix, body key prefix. It leases up to limit due
// messages whose lease is absent or expired and that are first of their
// order key, and returns {next, id, meta, body, …}: next is the score of
// the earliest message not yet due ("" if none or unknown). Leased
// messages stay in due, so a page of limit+ZCARD(lease) ids is enough
// unless messages are held back by their order key: then it reads on,
// page by page, through the messages due.
var leaseScript = goredis.NewScript(`
local now, limit = tonumber(ARGV[1]), tonumber(ARGV[2])
local out, taken = {''}, 0
if limit <= 0 then return out end
local page, offset = limit + redis.call('ZCARD', KEYS[2]), 0
while taken < limit do
  local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', ARGV[1], 'LIMIT', offset, page)
  for _, id in ipairs(ids) do
    if taken >= limit then return out end
    local l = redis.call('ZSCORE', KEYS[2], id)
    if not l or tonumber(l) <= now then
      local rec = redis.call('HMGET', ARGV[5] .. id, 'meta', 'body', 'ok', 'g')
      if rec[3] and redis.call('ZRANGE', ARGV[6] .. rec[3], 0, 0)[1] ~= id then
        rec[1] = false -- an older message of its order key goes first
      end
      if rec[1] then
        if rec[4] then rec[2] = redis.call('HGET', ARGV[7] .. rec[4], 'body') end
        redis.call('ZADD', KEYS[2], ARGV[3], id)
        redis.call('HSET', KEYS[3], id, ARGV[4])
        table.insert(out, id); table.insert(out, rec[1]); table.insert(out, rec[2] or '')
        taken = taken + 1
      end
    end
  end
  if #ids < page then break end
  offset = offset + page -- messages held back by their order key: look further
end
if taken < limit then
  local nxt = redis.call('ZRANGEBYSCORE', KEYS[1], '(' .. ARGV[1], '+inf', 'WITHSCORES', 'LIMIT', 0, 1)
  if nxt[2] then out[1] = nxt[2] end
end
return out
`)

// orderLua keeps the order index of message KEYS[1] (id ARGV[1]) in step:
// in it while queued, out of it when dead or gone.
const orderLua = `
local function order(prefix, queued)
  local ok = redis.call('HGET', KEYS[1], 'ok')
  if not ok then return end
  if queued then redis.call('ZADD', prefix .. ok, 0, ARGV[1]) else redis.call('ZREM', prefix .. ok, ARGV[1]) end
end
`

// unrefLua drops the delivery msg from its fan-out group (field g), if it
// has one, and the group's body (under the prefix bodies) with its last.
const unrefLua = `
local function unref(bodies, msg)
  local g = redis.call('HGET', msg, 'g')
  if g and redis.call('HINCRBY', bodies .. g, 'n', -1) <= 0 then redis.call('DEL', bodies .. g) end
end
`

// removeScript: KEYS msg, due, dead, lease, owner, ids, kept; ARGV id, order
// index prefix, body key prefix. Returns 1 if the message existed.
var removeScript = goredis.NewScript(orderLua + unrefLua + `
order(ARGV[2], false)
unref(ARGV[3], KEYS[1])
local existed = redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[1]); redis.call('ZREM', KEYS[3], ARGV[1])
redis.call('ZREM', KEYS[4], ARGV[1]); redis.call('HDEL', KEYS[5], ARGV[1])
redis.call('ZREM', KEYS[6], ARGV[1]); redis.call('ZREM', KEYS[7], ARGV[1])
return existed
`)

// updateScript: KEYS msg, due, dead, lease, owner, ids, kept; ARGV id, meta, state,
// score, token, now µs, order index prefix. Returns 0 if the message is
// gone, -1 if another instance holds an unexpired lease on it, else 1.
var updateScript = goredis.NewScript(orderLua + `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local owner = redis.call('HGET', KEYS[5], ARGV[1])
if owner and owner ~= ARGV[5] then
  local l = redis.call('ZSCORE', KEYS[4], ARGV[1])
  if l and tonumber(l) > tonumber(ARGV[6]) then return -1 end
end
redis.call('HSET', KEYS[1], 'meta', ARGV[2])
redis.call('ZREM', KEYS[4], ARGV[1]); redis.call('HDEL', KEYS[5], ARGV[1])
order(ARGV[7], ARGV[3] == 'queued')
if ARGV[3] ~= 'queued' then
  local to, other = KEYS[3], KEYS[7]
  if ARGV[3] == 'delivered' then to, other = KEYS[7], KEYS[3] end
  redis.call('ZREM', KEYS[2], ARGV[1]); redis.call('ZREM', other, ARGV[1])
  redis.call('ZADD', to, ARGV[4], ARGV[1]); redis.call('ZREM', KEYS[6], ARGV[1])
else
  redis.call('ZREM', KEYS[3], ARGV[1]); redis.call('ZADD', KEYS[2], ARGV[4], ARGV[1])
  redis.call('ZADD', KEYS[6], 0, ARGV[1])
end
return 1
`)

// replayScript: KEYS msg, due, dead, ids, kept; ARGV id, meta, score, order
// index prefix. Queues a dead or kept delivered message again; returns 0 if
// it is not (or no longer) either.
var replayScript = goredis.NewScript(orderLua + `
if not (redis.call('ZSCORE', KEYS[3], ARGV[1]) or redis.call('ZSCORE', KEYS[5], ARGV[1])) or redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
order(ARGV[4], true)
redis.call('HSET', KEYS[1], 'meta', ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[1]); redis.call('ZREM', KEYS[5], ARGV[1]); redis.call('ZADD', KEYS[2], ARGV[3], ARGV[1])
redis.call('ZADD', KEYS[4], 0, ARGV[1])
return 1
`)

// renewScript: KEYS lease, owner; ARGV token, until µs, ids…. Extends the
// leases token still owns and returns the ids it no longer owns.
var renewScript = goredis.NewScript(`
local lost = {}
for i = 3, #ARGV do
  local id = ARGV[i]
  if redis.call('HGET', KEYS[2], id) == ARGV[1] and redis.call('ZSCORE', KEYS[1], id) then
    redis.call('ZADD', KEYS[1], ARGV[2], id)
  else
    table.insert(lost, id)
  end
end
return lost
`)

// unleaseScript: KEYS lease, owner; ARGV token, ids…. Drops the leases
// token owns, so other instances need not wait for them to expire.
var unleaseScript = goredis.NewScript(`
for i = 2, #ARGV do
  if redis.call('HGET', KEYS[2], ARGV[i]) == ARGV[1] then
    redis.call('ZREM', KEYS[1], ARGV[i]); redis.call('HDEL', KEYS[2], ARGV[i])
  end
end
return 0
`)

// listScript: KEYS index; ARGV limit, message key prefix. Returns the
// metadata of the first limit messages of the index.
var listScript = goredis.NewScript(`
local out = {}
for _, id in ipairs(redis.call('ZRANGE', KEYS[1], 0, tonumber(ARGV[1]) - 1)) do
  local meta = redis.call('HGET', ARGV[2] .. id, 'meta')
  if meta then table.insert(out, meta) end
end
return out
`)

// purgeScript: KEYS dead (or kept); ARGV before µs, chunk, message key
// prefix, body key prefix. Removes up to chunk messages that died (or were
// kept until) before ARGV[1].
var purgeScript = goredis.NewScript(unrefLua + `
local ids = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', '(' .. ARGV[1], 'LIMIT', 0, tonumber(ARGV[2]))
for _, id in ipairs(ids) do
  unref(ARGV[4], ARGV[3] .. id)
  redis.call('DEL', ARGV[3] .. id); redis.call('ZREM', KEYS[1], id)
end
return #ids
`)

// getScript: KEYS msg; ARGV body key prefix. Returns {meta, body}, the
// body a fan-out group's, or nil if the message is gone.
var getScript = goredis.NewScript(`
local rec = redis.call('HMGET', KEYS[1], 'meta', 'body', 'g')
if not rec[1] then return false end
if rec[3] then rec[2] = redis.call('HGET', ARGV[1] .. rec[3], 'body') end
return {rec[1], rec[2] or ''}
`)
