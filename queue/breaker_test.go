package queue

import (
	"net"
	"net/http"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

func TestBreakerOpensAfterConsecutiveRefusals(t *testing.T) {
	var b breaker
	for range breakerThreshold - 1 {
		b.observe(refused, t0.Add(10*time.Second), t0)
	}
	n, _ := b.allow(8, t0)
	assert.Equal(t, 8, n, "below the threshold the breaker stays closed")
	b.observe(reached, time.Time{}, t0)
	for range breakerThreshold - 1 {
		b.observe(refused, t0.Add(10*time.Second), t0)
	}
	n, _ = b.allow(8, t0)
	assert.Equal(t, 8, n, "an answer restarts the count")

	b.observe(refused, t0.Add(10*time.Second), t0)
	n, wait := b.allow(8, t0.Add(time.Second))
	assert.Zero(t, n)
	assert.Equal(t, 9*time.Second, wait, "open until the failure's retry")
	assert.False(t, b.closed())
	b.observe(refused, t0.Add(5*time.Second), t0.Add(time.Second))
	_, wait = b.allow(8, t0.Add(time.Second))
	assert.Equal(t, 4*time.Second, wait, "an attempt in flight brings the earliest retry forward")
	b.observe(refused, t0.Add(time.Hour), t0.Add(time.Second))
	_, wait = b.allow(8, t0.Add(time.Second))
	assert.Equal(t, 4*time.Second, wait, "a later retry does not push it back")
}

func TestBreakerProbesOnceThenClosesOrReopens(t *testing.T) {
	var b breaker
	for range breakerThreshold {
		b.observe(refused, t0.Add(time.Second), t0)
	}
	at := t0.Add(time.Second)
	n, _ := b.allow(8, at)
	require.Equal(t, 1, n, "half-open: one attempt probes")
	b.started(1)
	n, _ = b.allow(8, at)
	assert.Zero(t, n, "while the probe runs")

	b.observe(refused, at.Add(24*time.Hour), at)
	_, wait := b.allow(8, at)
	assert.Equal(t, maxBreak, wait, "a refused probe reopens, for at most maxBreak")

	at = at.Add(maxBreak)
	n, _ = b.allow(8, at)
	require.Equal(t, 1, n)
	b.started(1)
	b.observe(unrelated, time.Time{}, at)
	n, _ = b.allow(8, at)
	assert.Equal(t, 1, n, "another destination's result frees the probe, decides nothing")
	b.started(1)
	b.observe(refused, time.Time{}, at)
	_, wait = b.allow(8, at)
	assert.Equal(t, deadBreak, wait, "a refusal without a retry left")

	at = at.Add(deadBreak)
	n, _ = b.allow(8, at)
	require.Equal(t, 1, n)
	b.started(0)
	n, _ = b.allow(8, at)
	assert.Equal(t, 1, n, "nothing leased: no probe in flight")
	b.started(1)
	b.observe(reached, time.Time{}, at)
	n, _ = b.allow(8, at)
	assert.Equal(t, 8, n, "an answer closes it")
	assert.True(t, b.closed())
}

func TestDialFailedAndOwnUpstream(t *testing.T) {
	_, err := http.Get("http://" + closedAddr(t) + "/")
	assert.True(t, dialFailed(err))
	assert.False(t, dialFailed(&net.OpError{Op: "read"}))
	p := &Policy{URL: "http://up:8080"}
	assert.True(t, ownUpstream(p, &Message{URL: "http://up:8080/hook?a=1"}))
	assert.True(t, ownUpstream(p, &Message{}), "an endpoint's message goes to the policy's URL")
	assert.False(t, ownUpstream(p, &Message{URL: "http://other:8080/hook"}))
}

// closedAddr returns a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return addr
}

// TestBreakerHoldsQueueUntilUpstreamReturns: with the upstream down, a
// queue tries breakerThreshold messages, then leaves the others queued and
// untried; once the pause is over and the upstream back, they are
// delivered, and none was marked dead.
func TestBreakerHoldsQueueUntilUpstreamReturns(t *testing.T) {
	s := openMem(t)
	addr := closedAddr(t)
	p := &Policy{URL: "http://" + addr, Retry: []caddy.Duration{caddy.Duration(time.Hour)}, Concurrency: 1}
	require.NoError(t, p.Provision())

	var attempts, delivered atomic.Int32
	var mu sync.Mutex
	offset := time.Duration(0)
	d := NewDispatcher(s, zap.NewNop(), func(a Attempt) {
		attempts.Add(1)
		if a.Outcome == "delivered" {
			delivered.Add(1)
		}
	})
	d.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(offset) }
	t.Cleanup(d.Close)
	d.Apply(map[string]*Policy{"q": p})

	const n = 10
	for range n {
		now := d.now()
		_, err := s.Enqueue(&Message{ID: NewID(now), Queue: "q", Method: http.MethodPost, URL: p.Target("/hook"),
			Body: []byte("{}"), ReceivedAt: now, NextAttempt: now}, Key{})
		require.NoError(t, err)
		d.Wake("q")
	}
	require.Eventually(t, func() bool { return attempts.Load() >= breakerThreshold }, 5*time.Second, 10*time.Millisecond)
	time.Sleep(200 * time.Millisecond)
	d.Wake("q")
	time.Sleep(100 * time.Millisecond)
	assert.Equal(t, int32(breakerThreshold), attempts.Load(), "the open breaker stops new attempts")
	st, err := s.Stats()
	require.NoError(t, err)
	assert.Equal(t, Stats{Queued: n, Oldest: st["q"].Oldest}, st["q"], "every message stays queued")

	l, err := net.Listen("tcp", addr)
	require.NoError(t, err)
	srv := &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusNoContent) })}
	go func() { _ = srv.Serve(l) }()
	t.Cleanup(func() { _ = srv.Close() })
	mu.Lock()
	offset = maxBreak + time.Second
	mu.Unlock()
	d.Wake("q")
	require.Eventually(t, func() bool { return delivered.Load() == n-breakerThreshold }, 5*time.Second, 10*time.Millisecond)
	st, err = s.Stats()
	require.NoError(t, err)
	assert.Equal(t, breakerThreshold, st["q"].Queued, "the refused ones wait for their own retry")
	assert.Zero(t, st["q"].Dead)
}
