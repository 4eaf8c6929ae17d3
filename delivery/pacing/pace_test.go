package pacing

import (
	"net/http"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"

	"github.com/hookgate/hookgate/internal/limit"
)

// t0 is the tests' now: pacing has no clock of its own.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func TestPacerRate(t *testing.T) {
	var p Pacer
	n, _ := p.Allow(5, t0)
	assert.Equal(t, 5, n, "no rate: no limit")
	p.SetRate(&limit.Rate{Events: 2, Per: caddy.Duration(time.Second)})
	n, _ = p.Allow(5, t0)
	assert.Equal(t, 2, n)
	n, wait := p.Allow(5, t0)
	assert.Zero(t, n)
	assert.Equal(t, 500*time.Millisecond, wait)
	p.SetRate(&limit.Rate{Events: 2, Per: caddy.Duration(time.Second)})
	n, _ = p.Allow(5, t0)
	assert.Zero(t, n, "an unchanged rate keeps its bucket")
}

func TestPacerSlowsDownOn429And503(t *testing.T) {
	var p Pacer
	p.Observe(http.StatusTooManyRequests, 30*time.Second, t0)
	n, wait := p.Allow(1, t0.Add(time.Second))
	assert.Zero(t, n)
	assert.Equal(t, 29*time.Second, wait, "Retry-After is honoured")
	n, _ = p.Allow(1, t0.Add(30*time.Second))
	assert.Equal(t, 1, n)

	at := t0.Add(time.Minute)
	for _, want := range []time.Duration{time.Second, 2 * time.Second, 4 * time.Second} {
		p.Observe(http.StatusServiceUnavailable, 0, at)
		_, wait = p.Allow(1, at)
		assert.Equal(t, want, wait, "without Retry-After the pause doubles")
		at = at.Add(wait)
	}
	p.Observe(http.StatusOK, 0, at)
	p.Observe(http.StatusServiceUnavailable, 0, at)
	_, wait = p.Allow(1, at)
	assert.Equal(t, time.Second, wait, "a success resets the pause")
	p.Observe(http.StatusInternalServerError, 0, at.Add(time.Hour))
	n, _ = p.Allow(1, at.Add(time.Hour))
	assert.Equal(t, 1, n, "other failures do not pause the queue")
}
