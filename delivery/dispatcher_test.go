package delivery

import (
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/delivery/pacing"
	"github.com/hookgate/hookgate/queue"
)

func TestOwnUpstream(t *testing.T) {
	p := &Policy{URL: "http://up:8080"}
	assert.True(t, ownUpstream(p, &queue.Message{URL: "http://up:8080/hook?a=1"}))
	assert.True(t, ownUpstream(p, &queue.Message{}), "an endpoint's message goes to the policy's URL")
	assert.False(t, ownUpstream(p, &queue.Message{URL: "http://other:8080/hook"}))
}

// TestBreakerHoldsQueueUntilUpstreamReturns: with the upstream down, a
// queue tries pacing.BreakerThreshold messages, then leaves the others queued and
// untried; once the pause is over and the upstream back, they are
// delivered, and none was marked dead.
func TestBreakerHoldsQueueUntilUpstreamReturns(t *testing.T) {
	s := newMemStore(t)
	addr := closedAddr(t)
	p := &Policy{URL: "http://" + addr, Retry: []caddy.Duration{caddy.Duration(time.Hour)}, Concurrency: 1}
	require.NoError(t, p.Provision())

	var attempts, delivered atomic.Int32
	var mu sync.Mutex
	offset := time.Duration(0)
	d := NewDispatcher(s, Options{
		Reporter: ReporterFunc(func(a Attempt) {
			attempts.Add(1)
			if a.Outcome == Delivered {
				delivered.Add(1)
			}
		}),
		Now: func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(offset) },
	})
	t.Cleanup(d.Close)
	d.Apply(map[string]*Policy{"q": p})

	const n = 10
	for range n {
		now := d.now()
		_, err := s.Enqueue(&queue.Message{ID: queue.NewID(now), Queue: "q", Method: http.MethodPost, URL: p.Target("/hook"),
			Body: []byte("{}"), ReceivedAt: now, NextAttempt: now}, queue.Key{})
		require.NoError(t, err)
		d.Wake("q")
	}
	require.Eventually(t, func() bool { return attempts.Load() >= pacing.BreakerThreshold }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(200 * time.Millisecond)
	d.Wake("q")
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, int32(pacing.BreakerThreshold), attempts.Load(), "the open breaker stops new attempts")
	st, err := s.Stats()
	require.NoError(t, err)
	assert.Equal(t, queue.Stats{Queued: n, Oldest: st["q"].Oldest}, st["q"], "every message stays queued")

	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	mu.Lock()
	offset = pacing.MaxBreak + time.Second
	mu.Unlock()
	d.Wake("q")
	require.Eventually(t, func() bool { return delivered.Load() == n-pacing.BreakerThreshold }, 5*time.Second, 10*time.Millisecond)
	st, err = s.Stats()
	require.NoError(t, err)
	assert.Equal(t, pacing.BreakerThreshold, st["q"].Queued, "the refused ones wait for their own retry")
	assert.Zero(t, st["q"].Dead)
}

// TestDispatcherPacesDestinationsApart runs a PerDestination queue against
// two destinations: one answers 429 with Retry-After: 3600 and a backlog of
// its messages is queued first; one hangs. The third, queued last, is
// delivered at once all the same, and the 429 one is not tried again.
func TestDispatcherPacesDestinationsApart(t *testing.T) {
	var limited, served atomic.Int32
	tooMany := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		limited.Add(1)
		w.Header().Set("Retry-After", "3600")
		w.WriteHeader(http.StatusTooManyRequests)
	}))
	t.Cleanup(tooMany.Close)
	release := make(chan struct{})
	hanging := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { <-release }))
	t.Cleanup(hanging.Close)
	t.Cleanup(func() { close(release) })
	fine := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		served.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	t.Cleanup(fine.Close)

	s := newMemStore(t)
	p := &Policy{URL: "https://unused.invalid", Concurrency: 4, Retry: []caddy.Duration{caddy.Duration(time.Second)},
		MaxAttempts: 5, Timeout: caddy.Duration(time.Minute), PerDestination: true}
	require.NoError(t, p.Provision())
	d := NewDispatcher(s, Options{})
	t.Cleanup(d.Close)

	enqueue := func(url string, n int) {
		for range n {
			now := time.Now()
			_, err := s.Enqueue(&queue.Message{ID: queue.NewID(now), Queue: "q", Method: http.MethodPost, URL: url,
				Body: []byte("{}"), ReceivedAt: now, NextAttempt: now}, queue.Key{})
			require.NoError(t, err)
		}
	}
	enqueue(tooMany.URL, 20)
	enqueue(hanging.URL, 20)
	enqueue(fine.URL, 5)
	d.Apply(map[string]*Policy{"q": p})

	require.Eventually(t, func() bool { return served.Load() == 5 }, 5*time.Second, 10*time.Millisecond,
		"the fine destination is served while the others are paused or hanging")
	// The upstream counts a delivery before its answer reaches the
	// dispatcher, which records it then.
	var st map[string]queue.Stats
	require.Eventually(t, func() bool {
		var err error
		st, err = s.Stats()
		require.NoError(t, err)
		return st["q"].Queued == 40
	}, 5*time.Second, 10*time.Millisecond, "the held-back messages wait, untried: %+v", st)
	assert.Zero(t, st["q"].Dead)
	assert.LessOrEqual(t, int(limited.Load()), pacing.DestinationCap(p.Concurrency), "after its 429 the destination is not tried again")
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}
