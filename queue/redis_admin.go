package queue

import (
	"context"
	"time"

	"github.com/redis/go-redis/v9"
)

// Get implements Store.
func (s *Redis) Get(id string) (*Message, error) {
	ctx := context.Background()
	queue, err := s.locate(ctx, id)
	if err != nil {
		return nil, s.wrap(err)
	}
	rec, err := s.c.HMGet(ctx, s.keys(queue).msg(id), "meta", "body").Result()
	if err != nil {
		return nil, s.wrap(err)
	}
	meta, ok := rec[0].(string)
	if !ok {
		return nil, ErrNotFound
	}
	m, err := DecodeMeta(meta)
	if err != nil {
		return nil, err
	}
	body, _ := rec[1].(string)
	m.Body = []byte(body)
	return m, nil
}

// List implements Store.
func (s *Redis) List(state State, queue string, limit int) ([]*Message, error) {
	ctx := context.Background()
	names := []string{queue}
	if queue == "" {
		var err error
		if names, err = s.queueNames(ctx); err != nil {
			return nil, s.wrap(err)
		}
	}
	var out []*Message
	for _, q := range names {
		if len(out) >= limit {
			break
		}
		msgs, err := s.list(ctx, state, q, limit-len(out))
		if err != nil {
			return out, err
		}
		out = append(out, msgs...)
	}
	return out, nil
}

func (s *Redis) list(ctx context.Context, state State, queue string, limit int) ([]*Message, error) {
	k := s.keys(queue)
	index := k.due
	if state == StateDead {
		index = k.dead
	}
	res, err := s.eval(ctx, listScript, false, []string{index}, limit, k.tag+"m:")
	if err != nil {
		return nil, s.wrap(err)
	}
	metas, _ := res.([]any)
	out := make([]*Message, 0, len(metas))
	for _, v := range metas {
		meta, _ := v.(string)
		m, err := DecodeMeta(meta)
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Replay implements Store.
func (s *Redis) Replay(id string, now time.Time) (*Message, error) {
	m, err := s.Get(id)
	if err != nil || m.State != StateDead {
		return m, err
	}
	m.State, m.Attempts, m.NextAttempt, m.DeadAt = StateQueued, 0, now, time.Time{}
	meta := EncodeMeta(m)
	k := s.keys(m.Queue)
	res, err := s.eval(context.Background(), replayScript, false, []string{k.msg(id), k.due, k.dead, k.ids}, id, meta, micros(now), k.order)
	if err != nil {
		return nil, s.wrap(err)
	}
	if res != int64(1) {
		return s.Get(id) // replayed or deleted meanwhile: show what is there
	}
	return m, nil
}

// Delete implements Store.
func (s *Redis) Delete(id string) error {
	defer s.unhold(id)
	found, err := s.remove(id)
	if err == nil && !found {
		err = ErrNotFound
	}
	return err
}

// Stats implements Store. Queues without messages are left out.
func (s *Redis) Stats() (map[string]Stats, error) {
	ctx := context.Background()
	names, err := s.queueNames(ctx)
	if err != nil {
		return nil, s.wrap(err)
	}
	now := micros(s.now())
	type counts struct {
		queued, leased, dead *redis.IntCmd
		oldest               *redis.StringSliceCmd
	}
	cmds := make([]counts, len(names))
	_, err = s.c.Pipelined(ctx, func(p redis.Pipeliner) error {
		for i, q := range names {
			k := s.keys(q)
			cmds[i] = counts{p.ZCard(ctx, k.due), p.ZCount(ctx, k.lease, "("+now, "+inf"), p.ZCard(ctx, k.dead), p.ZRange(ctx, k.ids, 0, 0)}
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap(err)
	}
	out := map[string]Stats{}
	for i, c := range cmds {
		st := Stats{Queued: int(c.queued.Val()), Leased: int(c.leased.Val()), Dead: int(c.dead.Val())}
		if ids := c.oldest.Val(); len(ids) > 0 {
			st.Oldest = IDTime(ids[0])
		}
		if st != (Stats{}) {
			out[names[i]] = st
		}
	}
	return out, nil
}

// purgeChunk bounds the dead messages one purge script removes, so that
// Redis is never held for long.
const purgeChunk = 1000

// Purge implements Store. Redis forgets expired dedupe records by itself
// (their TTL), so only dead messages are purged here.
func (s *Redis) Purge(now, deadBefore time.Time) (int, error) {
	ctx := context.Background()
	names, err := s.queueNames(ctx)
	if err != nil {
		return 0, s.wrap(err)
	}
	total := 0
	for _, q := range names {
		k := s.keys(q)
		for {
			res, err := s.eval(ctx, purgeScript, false, []string{k.dead}, micros(deadBefore), purgeChunk, k.tag+"m:")
			if err != nil {
				return total, s.wrap(err)
			}
			n, _ := res.(int64)
			total += int(n)
			if n < purgeChunk {
				break
			}
		}
	}
	return total, nil
}
