package pacing

import (
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBreakerOpensAfterConsecutiveRefusals(t *testing.T) {
	var b Breaker
	for range BreakerThreshold - 1 {
		b.Observe(Refused, t0.Add(10*time.Second), t0)
	}
	n, _ := b.Allow(8, t0)
	assert.Equal(t, 8, n, "below the threshold the breaker stays closed")
	b.Observe(Reached, time.Time{}, t0)
	for range BreakerThreshold - 1 {
		b.Observe(Refused, t0.Add(10*time.Second), t0)
	}
	n, _ = b.Allow(8, t0)
	assert.Equal(t, 8, n, "an answer restarts the count")

	b.Observe(Refused, t0.Add(10*time.Second), t0)
	n, wait := b.Allow(8, t0.Add(time.Second))
	assert.Zero(t, n)
	assert.Equal(t, 9*time.Second, wait, "open until the failure's retry")
	assert.False(t, b.Closed())
	b.Observe(Refused, t0.Add(5*time.Second), t0.Add(time.Second))
	_, wait = b.Allow(8, t0.Add(time.Second))
	assert.Equal(t, 4*time.Second, wait, "an attempt in flight brings the earliest retry forward")
	b.Observe(Refused, t0.Add(time.Hour), t0.Add(time.Second))
	_, wait = b.Allow(8, t0.Add(time.Second))
	assert.Equal(t, 4*time.Second, wait, "a later retry does not push it back")
}

func TestBreakerProbesOnceThenClosesOrReopens(t *testing.T) {
	var b Breaker
	for range BreakerThreshold {
		b.Observe(Refused, t0.Add(time.Second), t0)
	}
	at := t0.Add(time.Second)
	n, _ := b.Allow(8, at)
	require.Equal(t, 1, n, "half-open: one attempt probes")
	b.Started(1)
	n, _ = b.Allow(8, at)
	assert.Zero(t, n, "while the probe runs")

	b.Observe(Refused, at.Add(24*time.Hour), at)
	_, wait := b.Allow(8, at)
	assert.Equal(t, MaxBreak, wait, "a Refused probe reopens, for at most MaxBreak")

	at = at.Add(MaxBreak)
	n, _ = b.Allow(8, at)
	require.Equal(t, 1, n)
	b.Started(1)
	b.Observe(Unrelated, time.Time{}, at)
	n, _ = b.Allow(8, at)
	assert.Equal(t, 1, n, "another destination's result frees the probe, decides nothing")
	b.Started(1)
	b.Observe(Refused, time.Time{}, at)
	_, wait = b.Allow(8, at)
	assert.Equal(t, deadBreak, wait, "a refusal without a retry left")

	at = at.Add(deadBreak)
	n, _ = b.Allow(8, at)
	require.Equal(t, 1, n)
	b.Started(0)
	n, _ = b.Allow(8, at)
	assert.Equal(t, 1, n, "nothing leased: no probe in flight")
	b.Started(1)
	b.Observe(Reached, time.Time{}, at)
	n, _ = b.Allow(8, at)
	assert.Equal(t, 8, n, "an answer closes it")
	assert.True(t, b.Closed())
}

func TestDialFailed(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	_, err = http.Get("http://" + addr + "/")
	assert.True(t, DialFailed(err))
	assert.False(t, DialFailed(&net.OpError{Op: "read"}))
}
