package queue

import (
	"sort"
	"sync"
	"testing"
	"time"
)

// memStore is an in-memory Store for the tests of the delivery code, which
// cannot import a backend (the backends import queue). It keeps what the
// dispatcher relies on — due order, leases, order keys, updates — and no
// dedupe records; the backends' behaviour is the contract suite's
// (queue/storetest).
type memStore struct {
	mu     sync.Mutex
	msgs   map[string]*Message
	leases map[string]time.Time
	closed bool
}

// openMem returns an empty memStore, closed at the end of the test.
func openMem(t *testing.T) *memStore {
	s := &memStore{msgs: map[string]*Message{}, leases: map[string]time.Time{}}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func (s *memStore) put(m *Message) {
	c := *m
	c.Body = append([]byte(nil), m.Body...)
	c.Size = len(m.Body)
	s.msgs[m.ID] = &c
}

func (s *memStore) get(id string) *Message {
	c := *s.msgs[id]
	c.Body = append([]byte(nil), c.Body...)
	return &c
}

func (s *memStore) Enqueue(m *Message, _ Key) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return "", ErrClosed
	}
	m.State = StateQueued
	s.put(m)
	return m.ID, nil
}

func (s *memStore) Claim(_ Key, id string) (string, error) { return id, nil }
func (s *memStore) Release(Key, string) error              { return nil }

// Lease implements Store: due messages by due time, first of their OrderKey.
func (s *memStore) Lease(queue string, now time.Time, limit int, d time.Duration) ([]*Message, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var queued []*Message
	for _, m := range s.msgs {
		if m.Queue == queue && m.State == StateQueued {
			queued = append(queued, m)
		}
	}
	sort.Slice(queued, func(i, j int) bool {
		a, b := queued[i], queued[j]
		return a.NextAttempt.Before(b.NextAttempt) || a.NextAttempt.Equal(b.NextAttempt) && a.ID < b.ID
	})
	var out []*Message
	var next time.Time
	for _, m := range queued {
		if len(out) >= limit {
			break
		}
		if m.NextAttempt.After(now) {
			next = m.NextAttempt
			break
		}
		if until, ok := s.leases[m.ID]; ok && until.After(now) || !s.firstOfOrder(m) {
			continue
		}
		s.leases[m.ID] = now.Add(d)
		out = append(out, s.get(m.ID))
	}
	return out, next, nil
}

func (s *memStore) firstOfOrder(m *Message) bool {
	if m.OrderKey == "" {
		return true
	}
	for _, o := range s.msgs {
		if o.Queue == m.Queue && o.OrderKey == m.OrderKey && o.State == StateQueued && o.ID < m.ID {
			return false
		}
	}
	return true
}

func (s *memStore) Delivered(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.msgs, id)
	delete(s.leases, id)
	return nil
}

func (s *memStore) Update(m *Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.leases, m.ID)
	if s.msgs[m.ID] == nil {
		return ErrNotFound
	}
	s.put(m)
	return nil
}

func (s *memStore) Get(id string) (*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.msgs[id] == nil {
		return nil, ErrNotFound
	}
	return s.get(id), nil
}

func (s *memStore) List(state State, queue string, limit int) ([]*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*Message
	for id, m := range s.msgs {
		if m.State == state && (queue == "" || m.Queue == queue) {
			c := s.get(id)
			c.Body = nil
			out = append(out, c)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out[:min(limit, len(out))], nil
}

func (s *memStore) Replay(id string, now time.Time) (*Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.msgs[id]
	if m == nil {
		return nil, ErrNotFound
	}
	if m.State == StateDead {
		m.State, m.Attempts, m.NextAttempt, m.DeadAt = StateQueued, 0, now, time.Time{}
	}
	return s.get(id), nil
}

func (s *memStore) Delete(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.msgs[id] == nil {
		return ErrNotFound
	}
	delete(s.msgs, id)
	delete(s.leases, id)
	return nil
}

// Stats implements Store. Leased counts the leases held at the time of the
// call.
func (s *memStore) Stats() (map[string]Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	out := map[string]Stats{}
	for id, m := range s.msgs {
		st := out[m.Queue]
		if m.State == StateDead {
			st.Dead++
		} else {
			st.Queued++
			if until, ok := s.leases[id]; ok && until.After(now) {
				st.Leased++
			}
			if at := IDTime(id); st.Oldest.IsZero() || at.Before(st.Oldest) {
				st.Oldest = at
			}
		}
		out[m.Queue] = st
	}
	return out, nil
}

func (s *memStore) Purge(time.Time, time.Time) (int, error) { return 0, nil }

func (s *memStore) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	return nil
}

var _ Store = (*memStore)(nil)
