package delivery

import (
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/queue"
)

var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// memStore is an in-memory queue.Store with what the dispatcher uses of
// one: enqueue, lease, settle, get and count. It keeps delivery's tests
// apart from the backends (each runs the store contract suite on its own).
// Messages are copied in and out, as a real store decodes them.
type memStore struct {
	mu     sync.Mutex
	msgs   map[string]*queue.Message
	leases map[string]time.Time
}

func newMemStore(t *testing.T) *memStore {
	t.Helper()
	return &memStore{msgs: map[string]*queue.Message{}, leases: map[string]time.Time{}}
}

func clone(m *queue.Message) *queue.Message {
	c := *m
	c.Header = m.Header.Clone()
	c.Body = slices.Clone(m.Body)
	return &c
}

func (s *memStore) Enqueue(m *queue.Message, _ queue.Key) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m.State, m.Size = queue.StateQueued, len(m.Body)
	s.msgs[m.ID] = clone(m)
	return m.ID, nil
}

// Lease returns the due messages not leased, by next attempt then id.
func (s *memStore) Lease(q string, now time.Time, limit int, d time.Duration) ([]*queue.Message, time.Time, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var queued []*queue.Message
	for _, m := range s.msgs {
		if m.Queue == q && m.State == queue.StateQueued {
			queued = append(queued, m)
		}
	}
	slices.SortFunc(queued, func(a, b *queue.Message) int {
		if c := a.NextAttempt.Compare(b.NextAttempt); c != 0 {
			return c
		}
		return compareStrings(a.ID, b.ID)
	})
	var out []*queue.Message
	var next time.Time
	for _, m := range queued {
		if len(out) == limit {
			break
		}
		if m.NextAttempt.After(now) {
			next = m.NextAttempt
			break
		}
		if until, ok := s.leases[m.ID]; ok && until.After(now) {
			continue
		}
		s.leases[m.ID] = now.Add(d)
		out = append(out, clone(m))
	}
	return out, next, nil
}

func compareStrings(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func (s *memStore) Delivered(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.leases, id)
	delete(s.msgs, id)
	return nil
}

func (s *memStore) Update(m *queue.Message) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.leases, m.ID)
	if s.msgs[m.ID] == nil {
		return queue.ErrNotFound
	}
	s.msgs[m.ID] = clone(m)
	return nil
}

func (s *memStore) Get(id string) (*queue.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m := s.msgs[id]
	if m == nil {
		return nil, queue.ErrNotFound
	}
	return clone(m), nil
}

// Stats counts the messages per queue; Oldest is left zero.
func (s *memStore) Stats() (map[string]queue.Stats, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]queue.Stats{}
	for _, m := range s.msgs {
		st := out[m.Queue]
		switch m.State {
		case queue.StateQueued:
			st.Queued++
			if _, ok := s.leases[m.ID]; ok {
				st.Leased++
			}
		case queue.StateDead:
			st.Dead++
		}
		out[m.Queue] = st
	}
	return out, nil
}

// The rest of queue.Store is not used by the dispatcher.

func (s *memStore) Claim(queue.Key, string) (string, error) { panic("not used") }
func (s *memStore) EnqueueAll([]*queue.Message, queue.Key) (string, error) {
	panic("not used")
}
func (s *memStore) Release(queue.Key, string) error { panic("not used") }
func (s *memStore) Confirm(queue.Key, string) error { panic("not used") }
func (s *memStore) List(queue.State, string, int) ([]*queue.Message, error) {
	panic("not used")
}
func (s *memStore) Replay(string, time.Time) (*queue.Message, error) { panic("not used") }
func (s *memStore) Delete(string) error                              { panic("not used") }
func (s *memStore) Purge(time.Time, time.Time) (int, error)          { panic("not used") }
func (s *memStore) Close() error                                     { return nil }

var _ queue.Store = (*memStore)(nil)
