package queue

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
)

func TestDestinationKey(t *testing.T) {
	for _, c := range []struct{ url, want string }{
		{"https://Example.COM/a?b", "https://example.com"},
		{"https://example.com:443/x", "https://example.com"},
		{"http://example.com:80", "http://example.com"},
		{"http://example.com:8080/x", "http://example.com:8080"},
		{"https://example.com:8443", "https://example.com:8443"},
		{"http://[::1]:9000/x", "http://[::1]:9000"},
		{"https://user@example.com/", "https://example.com"},
	} {
		assert.Equal(t, c.want, destinationKey(c.url), c.url)
	}
	assert.NotEqual(t, destinationKey("http://a.test"), destinationKey("https://a.test"), "the scheme is part of it")
}

func TestDestinationCap(t *testing.T) {
	for _, c := range []struct{ concurrency, want int }{{1, 1}, {3, 1}, {4, 1}, {8, 2}, {16, 4}, {100, 25}} {
		assert.Equal(t, c.want, DestinationCap(c.concurrency), "concurrency %d", c.concurrency)
	}
}

// TestDestinationsApart: a pause, an open breaker and a full cap hold back
// the destination they belong to, and no other.
func TestDestinationsApart(t *testing.T) {
	const a, b = "https://a.test", "https://b.test"
	cases := []struct {
		name     string
		hold     func(t *testing.T, ds *destinations) // makes a hold a back at t0
		until    time.Time                            // when a is due again, at the latest
		freeAt   time.Time                            // a may start again then
		limitOne bool
	}{
		{name: "Retry-After", until: t0.Add(time.Hour), freeAt: t0.Add(time.Hour), hold: func(t *testing.T, ds *destinations) {
			d, _ := ds.start(a, 2, t0)
			require.NotNil(t, d)
			ds.done(d, http.StatusTooManyRequests, time.Hour, time.Millisecond, reached, t0.Add(time.Hour), t0)
		}},
		{name: "503 slow-down", until: t0.Add(minPause), freeAt: t0.Add(minPause), hold: func(t *testing.T, ds *destinations) {
			d, _ := ds.start(a, 2, t0)
			require.NotNil(t, d)
			ds.done(d, http.StatusServiceUnavailable, 0, time.Millisecond, reached, time.Time{}, t0)
		}},
		{name: "breaker", until: t0.Add(maxBreak), freeAt: t0.Add(time.Minute), hold: func(t *testing.T, ds *destinations) {
			for range breakerThreshold {
				d, _ := ds.start(a, 2, t0)
				require.NotNil(t, d)
				ds.done(d, 0, 0, time.Millisecond, refused, t0.Add(time.Minute), t0)
			}
		}},
		{name: "cap", until: t0.Add(maxCapDefer), freeAt: t0, limitOne: true, hold: func(t *testing.T, ds *destinations) {
			d, _ := ds.start(a, 1, t0)
			require.NotNil(t, d)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ds destinations
			c.hold(t, &ds)
			d, later := ds.start(a, 1, t0)
			assert.Nil(t, d, "a is held back")
			assert.True(t, later.After(t0) && !later.After(c.until), "put back to %v, want in (t0, %v]", later, c.until)
			d, _ = ds.start(b, 1, t0)
			assert.NotNil(t, d, "b is not")
			if !c.limitOne {
				d, _ = ds.start(a, 1, c.freeAt)
				assert.NotNil(t, d, "a starts again once its hold is over")
			}
		})
	}
}

// TestDestinationsCapFreesAndSpreads: a slot comes back when its attempt
// ends, and the messages that found the cap full are put back one after
// the other, a slot's time apart, not all at once.
func TestDestinationsCapFreesAndSpreads(t *testing.T) {
	const a = "https://a.test"
	var ds destinations
	d1, _ := ds.start(a, 2, t0)
	d2, _ := ds.start(a, 2, t0)
	require.NotNil(t, d1)
	require.NotNil(t, d2)
	_, at1 := ds.start(a, 2, t0)
	_, at2 := ds.start(a, 2, t0)
	assert.True(t, at2.After(at1), "put-backs are spread: %v then %v", at1, at2)
	ds.done(d1, http.StatusOK, 0, time.Second, reached, time.Time{}, t0)
	d3, _ := ds.start(a, 2, t0)
	assert.NotNil(t, d3, "the ended attempt gave its slot back")
}

// TestDestinationsBounded: however many destinations are submitted, the
// table stays bounded, and idle ones are forgotten.
func TestDestinationsBounded(t *testing.T) {
	var ds destinations
	held, _ := ds.start("https://held.test", 1, t0)
	require.NotNil(t, held)
	for i := range 3 * maxDestinations {
		d, _ := ds.start(fmt.Sprintf("https://h%d.test", i), 1, t0.Add(time.Duration(i)*time.Microsecond))
		require.NotNil(t, d)
		ds.done(d, http.StatusOK, 0, time.Millisecond, reached, time.Time{}, t0)
	}
	assert.Equal(t, maxDestinations, ds.len())
	_, ok := ds.m["https://held.test"]
	assert.True(t, ok, "one with an attempt in flight is never evicted")

	paused, _ := ds.start("https://paused.test", 1, t0)
	ds.done(paused, http.StatusTooManyRequests, time.Hour, 0, reached, time.Time{}, t0)
	ds.done(held, http.StatusOK, 0, 0, reached, time.Time{}, t0)
	later := t0.Add(destinationIdle + sweepEvery)
	d, _ := ds.start("https://new.test", 1, later)
	require.NotNil(t, d)
	assert.Equal(t, 2, ds.len(), "idle ones are swept; the paused one stays for its pause")
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

	s := openMem(t)
	p := &Policy{URL: "https://unused.invalid", Concurrency: 4, Retry: []caddy.Duration{caddy.Duration(time.Second)},
		MaxAttempts: 5, Timeout: caddy.Duration(time.Minute), PerDestination: true}
	require.NoError(t, p.Provision())
	d := NewDispatcher(s, zap.NewNop(), nil)
	t.Cleanup(d.Close)

	enqueue := func(url string, n int) {
		for range n {
			now := time.Now()
			_, err := s.Enqueue(&Message{ID: NewID(now), Queue: "q", Method: http.MethodPost, URL: url,
				Body: []byte("{}"), ReceivedAt: now, NextAttempt: now}, Key{})
			require.NoError(t, err)
		}
	}
	enqueue(tooMany.URL, 20)
	enqueue(hanging.URL, 20)
	enqueue(fine.URL, 5)
	d.Apply(map[string]*Policy{"q": p})

	require.Eventually(t, func() bool { return served.Load() == 5 }, 5*time.Second, 10*time.Millisecond,
		"the fine destination is served while the others are paused or hanging")
	assert.LessOrEqual(t, int(limited.Load()), DestinationCap(p.Concurrency), "after its 429 the destination is not tried again")
	st, err := s.Stats()
	require.NoError(t, err)
	assert.Equal(t, 40, st["q"].Queued, "the held-back messages wait, untried, none dead")
	assert.Zero(t, st["q"].Dead)
}
