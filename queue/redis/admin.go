package redis

import (
	"context"
	"errors"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hookgate/hookgate/queue"
)

// Get implements Store.
func (s *Store) Get(id string) (*queue.Message, error) {
	ctx := context.Background()
	q, err := s.locate(ctx, id)
	if err != nil {
		return nil, s.wrap(err)
	}
	k := s.keys(q)
	res, err := s.eval(ctx, getScript, false, []string{k.msg(id)}, k.bodies())
	if errors.Is(err, goredis.Nil) {
		return nil, queue.ErrNotFound
	}
	if err != nil {
		return nil, s.wrap(err)
	}
	msgs, err := decodeRows(append([]any{id}, res.([]any)...))
	if err != nil || len(msgs) == 0 {
		return nil, err
	}
	return msgs[0], nil
}

// List implements Store.
func (s *Store) List(state queue.State, q string, limit int) ([]*queue.Message, error) {
	ctx := context.Background()
	names := []string{q}
	if q == "" {
		var err error
		if names, err = s.queueNames(ctx); err != nil {
			return nil, s.wrap(err)
		}
	}
	var out []*queue.Message
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

func (s *Store) list(ctx context.Context, state queue.State, q string, limit int) ([]*queue.Message, error) {
	k := s.keys(q)
	index := k.due
	switch state {
	case queue.StateDead:
		index = k.dead
	case queue.StateDelivered:
		index = k.kept
	}
	res, err := s.eval(ctx, listScript, false, []string{index}, limit, k.tag+"m:")
	if err != nil {
		return nil, s.wrap(err)
	}
	metas, _ := res.([]any)
	out := make([]*queue.Message, 0, len(metas))
	for _, v := range metas {
		meta, _ := v.(string)
		m, err := queue.DecodeMeta(meta)
		if err != nil {
			return out, err
		}
		out = append(out, m)
	}
	return out, nil
}

// Replay implements Store.
func (s *Store) Replay(id string, now time.Time) (*queue.Message, error) {
	m, err := s.Get(id)
	if err != nil || (m.State != queue.StateDead && m.State != queue.StateDelivered) {
		return m, err
	}
	m.State, m.Attempts, m.NextAttempt, m.DeadAt = queue.StateQueued, 0, now, time.Time{}
	m.DeliveredAt, m.KeepUntil = time.Time{}, time.Time{}
	meta := queue.EncodeMeta(m)
	k := s.keys(m.Queue)
	res, err := s.eval(context.Background(), replayScript, false, []string{k.msg(id), k.due, k.dead, k.ids, k.kept}, id, meta, micros(now), k.order)
	if err != nil {
		return nil, s.wrap(err)
	}
	if res != int64(1) {
		return s.Get(id) // replayed or deleted meanwhile: show what is there
	}
	return m, nil
}

// Delete implements Store.
func (s *Store) Delete(id string) error {
	defer s.unhold(id)
	found, err := s.remove(id)
	if err == nil && !found {
		err = queue.ErrNotFound
	}
	return err
}

// Stats implements Store. Queues without messages are left out.
func (s *Store) Stats() (map[string]queue.Stats, error) {
	ctx := context.Background()
	names, err := s.queueNames(ctx)
	if err != nil {
		return nil, s.wrap(err)
	}
	now := micros(s.now())
	type counts struct {
		queued, leased, dead, kept *goredis.IntCmd
		oldest                     *goredis.StringSliceCmd
	}
	cmds := make([]counts, len(names))
	_, err = s.c.Pipelined(ctx, func(p goredis.Pipeliner) error {
		for i, q := range names {
			k := s.keys(q)
			cmds[i] = counts{p.ZCard(ctx, k.due), p.ZCount(ctx, k.lease, "("+now, "+inf"), p.ZCard(ctx, k.dead), p.ZCard(ctx, k.kept), p.ZRange(ctx, k.ids, 0, 0)}
		}
		return nil
	})
	if err != nil {
		return nil, s.wrap(err)
	}
	out := map[string]queue.Stats{}
	for i, c := range cmds {
		st := queue.Stats{Queued: int(c.queued.Val()), Leased: int(c.leased.Val()), Dead: int(c.dead.Val()), Delivered: int(c.kept.Val())}
		if ids := c.oldest.Val(); len(ids) > 0 {
			st.Oldest = queue.IDTime(ids[0])
		}
		if st != (queue.Stats{}) {
			out[names[i]] = st
		}
	}
	return out, nil
}

// purgeChunk bounds the dead messages one purge script removes, so that
// Redis is never held for long.
const purgeChunk = 1000

// Purge implements Store. Redis forgets expired dedupe records by itself
// (their TTL), so only dead messages and kept delivered ones are purged
// here, each script a bounded chunk.
func (s *Store) Purge(now, deadBefore time.Time) (int, error) {
	ctx := context.Background()
	names, err := s.queueNames(ctx)
	if err != nil {
		return 0, s.wrap(err)
	}
	total := 0
	for _, q := range names {
		k := s.keys(q)
		for _, ix := range [...]struct {
			key    string
			before time.Time
		}{{k.dead, deadBefore}, {k.kept, now}} {
			for {
				res, err := s.eval(ctx, purgeScript, false, []string{ix.key}, micros(ix.before), purgeChunk, k.tag+"m:", k.bodies())
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
	}
	return total, nil
}
