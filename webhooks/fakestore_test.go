package webhooks

import (
	"cmp"
	"context"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/notify"
)

// fakeStore is a queue.Store and queue.EndpointStore in memory, enough for
// the admin API and the endpoints' state machine: messages to list and
// get, and endpoints. Other Store methods are not implemented (they panic).
type fakeStore struct {
	queue.Store // nil: what the tests do not use

	mu        sync.Mutex
	messages  []*queue.Message
	endpoints map[string]*queue.Endpoint
	puts      int   // PutEndpoint calls
	failPut   error // PutEndpoint answers it when set
}

func (s *fakeStore) List(state queue.State, q string, limit int) ([]*queue.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*queue.Message
	for _, m := range s.messages {
		if m.State == state && (q == "" || m.Queue == q) && len(out) < limit {
			c := *m
			out = append(out, &c)
		}
	}
	return out, nil
}

func (s *fakeStore) Get(id string) (*queue.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, m := range s.messages {
		if m.ID == id {
			c := *m
			return &c, nil
		}
	}
	return nil, queue.ErrNotFound
}

func (s *fakeStore) PutEndpoint(e *queue.Endpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failPut != nil {
		return s.failPut
	}
	if s.endpoints == nil {
		s.endpoints = map[string]*queue.Endpoint{}
	}
	c := *e
	s.endpoints[e.ID], s.puts = &c, s.puts+1
	return nil
}

func (s *fakeStore) GetEndpoint(id string) (*queue.Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.endpoints[id]
	if !ok {
		return nil, queue.ErrEndpointNotFound
	}
	c := *e
	return &c, nil
}

func (s *fakeStore) ListEndpoints() ([]*queue.Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*queue.Endpoint
	for _, e := range s.endpoints {
		c := *e
		out = append(out, &c)
	}
	slices.SortFunc(out, func(a, b *queue.Endpoint) int { return cmp.Compare(a.ID, b.ID) })
	return out, nil
}

func (s *fakeStore) DeleteEndpoint(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.endpoints[id]; !ok {
		return queue.ErrEndpointNotFound
	}
	delete(s.endpoints, id)
	return nil
}

// endpoint returns the stored record of id, nil if none.
func (s *fakeStore) endpoint(id string) *queue.Endpoint {
	e, err := s.GetEndpoint(id)
	if errors.Is(err, queue.ErrEndpointNotFound) {
		return nil
	}
	return e
}

// runningApp is a started app over st with routes, as the admin API and
// the engine find it (current), without a dispatcher: nothing is
// delivered. The test's end stops it.
func runningApp(t *testing.T, st *fakeStore, routes ...*OutboundRoute) *App {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	events := new(caddyevents.App)
	require.NoError(t, events.Provision(ctx))
	a := &App{ctx: ctx, notify: notify.New(ctx, events, "", nil, zap.NewNop()), log: zap.NewNop(), routes: map[string]*OutboundRoute{}, policies: map[string]*delivery.Policy{},
		shared: &openStore{log: zap.NewNop(), st: st}}
	for _, r := range routes {
		a.routes[r.Name] = r
	}
	st.mu.Lock()
	list := make([]*queue.Endpoint, 0, len(st.endpoints))
	for _, e := range st.endpoints {
		c := *e
		list = append(list, &c)
	}
	st.mu.Unlock()
	a.shared.endpoints.Replace(list, time.Now())
	current.Store(a)
	t.Cleanup(func() { current.CompareAndSwap(a, nil) })
	return a
}
