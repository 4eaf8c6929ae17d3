package redis

import (
	"context"
	"errors"
	"fmt"
	"time"

	goredis "github.com/redis/go-redis/v9"

	"github.com/hookgate/hookgate/queue"
)

// eval runs script on the node of keys[0]. With MinReplicas, WAIT follows
// on the same connection, as WAIT counts that connection's writes only, and
// the call fails unless enough replicas confirmed in time.
func (s *Store) eval(ctx context.Context, script *goredis.Script, durable bool, keys []string, args ...any) (any, error) {
	if s.closed.Load() {
		return nil, queue.ErrClosed
	}
	if !durable || s.minRep <= 0 {
		return script.Run(ctx, s.c, keys, args...).Result()
	}
	var node goredis.Cmdable = s.c
	if s.cluster != nil {
		c, err := s.cluster.MasterForKey(ctx, keys[0])
		if err != nil {
			return nil, err
		}
		node = c
	}
	res, err := s.evalWait(ctx, node, script, keys, args)
	if goredis.HasErrorPrefix(err, "NOSCRIPT") {
		if err = script.Load(ctx, node).Err(); err == nil {
			res, err = s.evalWait(ctx, node, script, keys, args)
		}
	}
	return res, err
}

func (s *Store) evalWait(ctx context.Context, node goredis.Cmdable, script *goredis.Script, keys []string, args []any) (any, error) {
	var run *goredis.Cmd
	var wait *goredis.Cmd
	_, err := node.Pipelined(ctx, func(p goredis.Pipeliner) error {
		run = script.EvalSha(ctx, p, keys, args...)
		wait = p.Do(ctx, "wait", s.minRep, s.wait.Milliseconds())
		return nil
	})
	if err := run.Err(); err != nil {
		return nil, err
	}
	if err != nil {
		return nil, err
	}
	if n, _ := wait.Int64(); n < int64(s.minRep) {
		return nil, fmt.Errorf("only %d of %d replicas confirmed the write within %s", n, s.minRep, s.wait)
	}
	return run.Val(), nil
}

// claimArgs are the arguments of claimLua for key, held by id.
func (s *Store) claimArgs(key queue.Key, id string) []any {
	now := s.now()
	ttl := key.Expires.Sub(now)
	ms := int64(0)
	if ttl > 0 {
		// Redis may forget the record a little after it expired, never before.
		ms = ttl.Milliseconds() + 1000
	}
	return []any{id, nanos20(now), nanos20(key.Expires), ms}
}

// Claim implements Store. Claims live apart from the dedupe records of
// queued messages: a route either queues or claims.
func (s *Store) Claim(key queue.Key, id string) (string, error) {
	if key.Empty() {
		return id, nil
	}
	res, err := s.eval(context.Background(), claimScript, true, []string{s.claimKey(key)}, s.claimArgs(key, id)...)
	return s.claimed(id, res, err)
}

func (s *Store) claimed(id string, res any, err error) (string, error) {
	if err != nil {
		return "", s.wrap(err)
	}
	if holder, _ := res.(string); holder != "" {
		return holder, queue.ErrDuplicate
	}
	return id, nil
}

// Confirm implements Store: Claim, written at once.
func (s *Store) Confirm(key queue.Key, id string) error {
	_, err := s.Claim(key, id)
	return err
}

// Release implements Store, for keys taken with Claim.
func (s *Store) Release(key queue.Key, id string) error {
	if key.Empty() {
		return nil
	}
	_, err := s.eval(context.Background(), releaseScript, false, []string{s.claimKey(key)}, id)
	return s.wrap(err)
}

// Lease implements Store. A lease lasts d, at most the store's Lease, and
// is renewed while this instance holds the message, so a slow delivery is
// not taken by another instance; if this instance dies, its leases expire
// and other instances deliver the messages.
func (s *Store) Lease(q string, now time.Time, limit int, d time.Duration) ([]*queue.Message, time.Time, error) {
	d = min(d, s.lease)
	k := s.keys(q)
	args := []any{micros(now), limit, micros(now.Add(d)), s.token, k.tag + "m:", k.order, k.bodies()}
	res, err := s.eval(context.Background(), leaseScript, false, []string{k.due, k.lease, k.owner}, args...)
	if err != nil {
		return nil, time.Time{}, s.wrap(err)
	}
	row, _ := res.([]any)
	if len(row) == 0 {
		return nil, time.Time{}, errors.New("redis: empty lease answer")
	}
	var next time.Time
	if v, _ := row[0].(string); v != "" {
		next = fromMicros(v)
	}
	msgs, err := decodeRows(row[1:])
	s.hold(q, msgs, now, d)
	return msgs, next, err
}

// decodeRows turns {id, meta, body, …} into messages.
func decodeRows(row []any) ([]*queue.Message, error) {
	var out []*queue.Message
	for i := 0; i+2 < len(row); i += 3 {
		meta, _ := row[i+1].(string)
		body, _ := row[i+2].(string)
		m, err := queue.DecodeMeta(meta)
		if err != nil {
			return out, fmt.Errorf("message %v: %w", row[i], err)
		}
		m.Body = []byte(body)
		out = append(out, m)
	}
	return out, nil
}

// Delivered implements Store.
func (s *Store) Delivered(id string) error {
	defer s.unhold(id)
	_, err := s.remove(id)
	if errors.Is(err, queue.ErrNotFound) {
		return nil
	}
	return err
}

func (s *Store) remove(id string) (bool, error) {
	ctx := context.Background()
	q, err := s.locate(ctx, id)
	if err != nil {
		return false, s.wrap(err)
	}
	k := s.keys(q)
	res, err := s.eval(ctx, removeScript, false, []string{k.msg(id), k.due, k.dead, k.lease, k.owner, k.ids, k.kept}, id, k.order, k.bodies())
	if err != nil {
		return false, s.wrap(err)
	}
	return res == int64(1), nil
}

// Update implements Store. It returns ErrLeaseLost, recording nothing, if
// another instance leased the message after this one's lease expired.
func (s *Store) Update(m *queue.Message) error {
	defer s.unhold(m.ID)
	meta := queue.EncodeMeta(m)
	state, at := "queued", m.NextAttempt
	switch m.State {
	case queue.StateDead:
		state, at = "dead", m.DeadAt
	case queue.StateDelivered:
		state, at = "delivered", m.KeepUntil
	}
	if err := s.register(context.Background(), m.Queue); err != nil {
		return s.wrap(err)
	}
	k := s.keys(m.Queue)
	keys := []string{k.msg(m.ID), k.due, k.dead, k.lease, k.owner, k.ids, k.kept}
	args := []any{m.ID, meta, state, micros(at), s.token, micros(s.now()), k.order}
	res, err := s.eval(context.Background(), updateScript, false, keys, args...)
	switch {
	case err != nil:
		return s.wrap(err)
	case res == int64(0):
		return queue.ErrNotFound
	case res == int64(-1):
		return queue.ErrLeaseLost
	}
	return nil
}
