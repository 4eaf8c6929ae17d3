package pacing

import (
	"fmt"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
		assert.Equal(t, c.want, DestinationKey(c.url), c.url)
	}
	assert.NotEqual(t, DestinationKey("http://a.test"), DestinationKey("https://a.test"), "the scheme is part of it")
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
		hold     func(t *testing.T, ds *Destinations) // makes a hold a back at t0
		until    time.Time                            // when a is due again, at the latest
		freeAt   time.Time                            // a may start again then
		limitOne bool
	}{
		{name: "Retry-After", until: t0.Add(time.Hour), freeAt: t0.Add(time.Hour), hold: func(t *testing.T, ds *Destinations) {
			d, _ := ds.Start(a, 2, t0)
			require.NotNil(t, d)
			ds.Done(d, http.StatusTooManyRequests, time.Hour, time.Millisecond, Reached, t0.Add(time.Hour), t0)
		}},
		{name: "503 slow-down", until: t0.Add(minPause), freeAt: t0.Add(minPause), hold: func(t *testing.T, ds *Destinations) {
			d, _ := ds.Start(a, 2, t0)
			require.NotNil(t, d)
			ds.Done(d, http.StatusServiceUnavailable, 0, time.Millisecond, Reached, time.Time{}, t0)
		}},
		{name: "breaker", until: t0.Add(MaxBreak), freeAt: t0.Add(time.Minute), hold: func(t *testing.T, ds *Destinations) {
			for range BreakerThreshold {
				d, _ := ds.Start(a, 2, t0)
				require.NotNil(t, d)
				ds.Done(d, 0, 0, time.Millisecond, Refused, t0.Add(time.Minute), t0)
			}
		}},
		{name: "cap", until: t0.Add(maxCapDefer), freeAt: t0, limitOne: true, hold: func(t *testing.T, ds *Destinations) {
			d, _ := ds.Start(a, 1, t0)
			require.NotNil(t, d)
		}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var ds Destinations
			c.hold(t, &ds)
			d, later := ds.Start(a, 1, t0)
			assert.Nil(t, d, "a is held back")
			assert.True(t, later.After(t0) && !later.After(c.until), "put back to %v, want in (t0, %v]", later, c.until)
			d, _ = ds.Start(b, 1, t0)
			assert.NotNil(t, d, "b is not")
			if !c.limitOne {
				d, _ = ds.Start(a, 1, c.freeAt)
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
	var ds Destinations
	d1, _ := ds.Start(a, 2, t0)
	d2, _ := ds.Start(a, 2, t0)
	require.NotNil(t, d1)
	require.NotNil(t, d2)
	_, at1 := ds.Start(a, 2, t0)
	_, at2 := ds.Start(a, 2, t0)
	assert.True(t, at2.After(at1), "put-backs are spread: %v then %v", at1, at2)
	ds.Done(d1, http.StatusOK, 0, time.Second, Reached, time.Time{}, t0)
	d3, _ := ds.Start(a, 2, t0)
	assert.NotNil(t, d3, "the ended attempt gave its slot back")
}

// TestDestinationsBounded: however many destinations are submitted, the
// table stays bounded, and idle ones are forgotten.
func TestDestinationsBounded(t *testing.T) {
	var ds Destinations
	held, _ := ds.Start("https://held.test", 1, t0)
	require.NotNil(t, held)
	for i := range 3 * maxDestinations {
		d, _ := ds.Start(fmt.Sprintf("https://h%d.test", i), 1, t0.Add(time.Duration(i)*time.Microsecond))
		require.NotNil(t, d)
		ds.Done(d, http.StatusOK, 0, time.Millisecond, Reached, time.Time{}, t0)
	}
	assert.Equal(t, maxDestinations, ds.Len())
	_, ok := ds.m["https://held.test"]
	assert.True(t, ok, "one with an attempt in flight is never evicted")

	paused, _ := ds.Start("https://paused.test", 1, t0)
	ds.Done(paused, http.StatusTooManyRequests, time.Hour, 0, Reached, time.Time{}, t0)
	ds.Done(held, http.StatusOK, 0, 0, Reached, time.Time{}, t0)
	later := t0.Add(destinationIdle + sweepEvery)
	d, _ := ds.Start("https://new.test", 1, later)
	require.NotNil(t, d)
	assert.Equal(t, 2, ds.Len(), "idle ones are swept; the paused one stays for its pause")
}
