package redis

import (
	"context"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hookgate/hookgate/queue"
)

// enqueueAllScript: KEYS body, dedupe (the body again when there is no
// key), then msg, due, ids of each delivery; ARGV claim ("1" or ""), group
// id, now, exp, ttl, body, deliveries, then id, meta, due score, order key,
// order index prefix of each delivery. Returns "" when stored, else the
// holder's id. The group's body is a hash {body, n}, n its deliveries
// still stored; each delivery names its group in the field "g" and has no
// body of its own. Every key shares the route's hash tag: one slot.
var enqueueAllScript = goredis.NewScript(claimLua + `
if ARGV[1] == '1' then
  local holder = claim(KEYS[2], ARGV[2], ARGV[3], ARGV[4], ARGV[5])
  if holder then return holder end
end
redis.call('HSET', KEYS[1], 'body', ARGV[6], 'n', ARGV[7])
local a = 8
for k = 3, #KEYS, 3 do
  local id = ARGV[a]
  redis.call('HSET', KEYS[k], 'meta', ARGV[a+1], 'g', ARGV[2])
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

// EnqueueAll implements queue.Store: the dedupe record, the group's body
// and every delivery are written by one script, in the route's slot (its
// queues share its hash tag: see tag), so atomically on standalone,
// Sentinel and Cluster alike; with MinReplicas, one WAIT follows it.
func (s *Store) EnqueueAll(ms []*queue.Message, key queue.Key) (string, error) {
	if err := queue.CheckGroup(ms); err != nil {
		return "", err
	}
	if len(ms) == 1 {
		return s.Enqueue(ms[0], key)
	}
	ctx := context.Background()
	group, k0 := ms[0].ID, s.keys(ms[0].Queue)
	keys, claim := []string{k0.bodies() + group, k0.bodies() + group}, ""
	if !key.Empty() {
		keys[1], claim = k0.dedupe(key), "1"
	}
	args := append([]any{claim}, s.claimArgs(key, group)...)
	args = append(args, ms[0].Body, len(ms))
	for _, m := range ms {
		if err := s.register(ctx, m.Queue); err != nil {
			return "", s.wrap(err)
		}
		m.State, m.Group = queue.StateQueued, group
		k := s.keys(m.Queue)
		keys = append(keys, k.msg(m.ID), k.due, k.ids)
		args = append(args, m.ID, queue.EncodeMeta(m), micros(m.NextAttempt), m.OrderKey, k.order)
	}
	res, err := s.eval(ctx, enqueueAllScript, true, keys, args...)
	return s.claimed(group, res, err)
}
