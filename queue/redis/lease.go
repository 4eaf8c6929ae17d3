package redis

import (
	"context"
	"time"

	"go.uber.org/zap"

	"github.com/hookgate/hookgate/queue"
)

// heldLease is a lease this instance holds and renews until the delivery
// settles (Delivered, Update, Delete) or the store closes.
type heldLease struct {
	queue   string
	d       time.Duration // the lease's length
	renewAt time.Time     // a third into the lease, so two renewals may fail
}

func (s *Store) hold(q string, msgs []*queue.Message, now time.Time, d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range msgs {
		s.held[m.ID] = heldLease{queue: q, d: d, renewAt: now.Add(d / 3)}
	}
}

func (s *Store) unhold(id string) {
	s.mu.Lock()
	delete(s.held, id)
	s.mu.Unlock()
}

// renewTick is how often the keeper looks for leases to renew.
func (s *Store) renewTick() time.Duration {
	return min(max(s.lease/10, 50*time.Millisecond), time.Second)
}

func (s *Store) keepLeases() {
	defer s.keeperWG.Done()
	t := time.NewTicker(s.renewTick())
	defer t.Stop()
	for {
		select {
		case <-s.stopKeep:
			return
		case <-t.C:
			s.renewDue()
		}
	}
}

// renewDue extends the leases due for renewal, one script per queue.
func (s *Store) renewDue() {
	now := s.now()
	type batch struct {
		ids []string
		d   time.Duration
	}
	due := map[string]*batch{}
	s.mu.Lock()
	for id, h := range s.held {
		if h.renewAt.After(now) {
			continue
		}
		b := due[h.queue]
		if b == nil {
			b = &batch{d: h.d}
			due[h.queue] = b
		}
		b.ids, b.d = append(b.ids, id), min(b.d, h.d)
	}
	s.mu.Unlock()
	for q, b := range due {
		s.renew(q, b.ids, now, b.d)
	}
}

func (s *Store) renew(q string, ids []string, now time.Time, d time.Duration) {
	k := s.keys(q)
	args := []any{s.token, micros(now.Add(d))}
	for _, id := range ids {
		args = append(args, id)
	}
	res, err := s.eval(context.Background(), renewScript, false, []string{k.lease, k.owner}, args...)
	if err != nil {
		s.log.Warn("renewing leases", zap.String("queue", q), zap.Error(s.wrap(err)))
		return
	}
	lost := map[string]bool{}
	for _, v := range res.([]any) {
		id, _ := v.(string)
		lost[id] = true
		s.log.Warn("lease lost to another instance", zap.String("id", id), zap.String("queue", q))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, id := range ids {
		if h, ok := s.held[id]; ok && !lost[id] {
			h.renewAt = now.Add(d / 3)
			s.held[id] = h
		} else if lost[id] {
			delete(s.held, id)
		}
	}
}

// releaseAll drops every lease this instance holds (at Close): their
// deliveries were cancelled, and another instance may take them at once.
func (s *Store) releaseAll() {
	s.mu.Lock()
	byQueue := map[string][]any{}
	for id, h := range s.held {
		byQueue[h.queue] = append(byQueue[h.queue], id)
	}
	s.held = map[string]heldLease{}
	s.mu.Unlock()
	for q, ids := range byQueue {
		k := s.keys(q)
		args := append([]any{s.token}, ids...)
		if _, err := s.eval(context.Background(), unleaseScript, false, []string{k.lease, k.owner}, args...); err != nil {
			s.log.Warn("releasing leases at close", zap.String("queue", q), zap.Error(s.wrap(err)))
		}
	}
}

// Interface guard
var _ queue.Store = (*Store)(nil)
