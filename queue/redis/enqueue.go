package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hookgate/hookgate/queue"
)

// enqueueScript: KEYS dedupe (the first message again when there is no
// key), then msg, due, ids of each message; ARGV claim ("1" or ""), first
// id, now, exp, ttl, body, body key ("" for one message), then id, meta,
// due score, order key, order index prefix of each message. Returns ""
// when stored, else the holder's id.
//
// One message keeps its body in its own hash, beside its meta. The
// deliveries of a fan-out group (several messages) each name the group
// (the first id) in the field "g" and have no body: the group's body is
// the hash {body, n}, n its deliveries still stored. A message with an
// order key is also in the order index of its key (a sorted set by id,
// scores all 0), and keeps its key in the field "ok". Every queued message
// is in ids, also by id with scores all 0: ids start with their time of
// receipt, so its first member is the oldest queued message (due is by
// next attempt, which retries move).
var enqueueScript = goredis.NewScript(claimLua + `
if ARGV[1] == '1' then
  local holder = claim(KEYS[1], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
  if holder then return holder end
end
local group = ARGV[7] ~= ''
if group then redis.call('HSET', ARGV[7], 'body', ARGV[6], 'n', (#KEYS - 1) / 3) end
local a = 8
for k = 2, #KEYS, 3 do
  local id = ARGV[a]
  if group then
    redis.call('HSET', KEYS[k], 'meta', ARGV[a+1], 'g', ARGV[2])
  else
    redis.call('HSET', KEYS[k], 'meta', ARGV[a+1], 'body', ARGV[6])
  end
  if ARGV[a+3] ~= '' then
    redis.call('HSET', KEYS[k], 'ok', ARGV[a+3])
    redis.call('ZADD', ARGV[a+4] .. ARGV[a+3], 0, id)
  end
  redis.call('ZADD', KEYS[k+1], ARGV[a+2], id)
  redis.call('ZADD', KEYS[k+2], 0, id)
  a = a + 5
end
return ''
`)

// Enqueue implements Store. The dedupe record and the message are written
// by one script; the call returns once Redis (and MinReplicas replicas)
// confirmed it.
func (s *Store) Enqueue(m *queue.Message, key queue.Key) (string, error) {
	m.Group = "" // a message of its own
	return s.enqueue([]*queue.Message{m}, key)
}

// EnqueueAll implements queue.Store: the dedupe record, the group's body
// and every delivery are written by one script, in the route's slot (its
// queues share its hash tag: see tag), so atomically on standalone,
// Sentinel and Cluster alike; with MinReplicas, one WAIT follows it.
func (s *Store) EnqueueAll(ms []*queue.Message, key queue.Key) (string, error) {
	if err := queue.CheckGroup(ms); err != nil {
		return "", err
	}
	return s.enqueue(ms, key)
}

func (s *Store) enqueue(ms []*queue.Message, key queue.Key) (string, error) {
	ctx := context.Background()
	first, k0 := ms[0].ID, s.keys(ms[0].Queue)
	keys, claim, group := []string{k0.msg(first)}, "", ""
	if !key.Empty() {
		keys[0], claim = k0.dedupe(key), "1"
	}
	bodyKey := ""
	if len(ms) > 1 {
		group, bodyKey = first, k0.bodies()+first
	}
	args := append([]any{claim}, s.claimArgs(key, first)...)
	args = append(args, ms[0].Body, bodyKey)
	for _, m := range ms {
		if err := s.register(ctx, m.Queue); err != nil {
			return "", s.wrap(err)
		}
		m.State, m.Group = queue.StateQueued, group
		k := s.keys(m.Queue)
		keys = append(keys, k.msg(m.ID), k.due, k.ids)
		args = append(args, m.ID, queue.EncodeMeta(m), micros(m.NextAttempt), m.OrderKey, k.order)
	}
	res, err := s.eval(ctx, enqueueScript, true, keys, args...)
	return s.claimed(first, res, err)
}
