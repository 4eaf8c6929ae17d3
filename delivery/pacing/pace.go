// Package pacing holds a delivery queue's attempts back: to its rate and
// after a 429 or 503 (Pacer), while its upstream refuses connections
// (Breaker), and, for a queue whose messages name their own destinations,
// per destination with an in-flight cap each (Destinations). It has no
// clock of its own: every call takes the caller's now.
package pacing

import (
	"net/http"
	"reflect"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/limit"
)

// Adaptive slow-down after a 429 or 503 without Retry-After: the pause
// doubles from minPause to maxPause until an attempt succeeds.
const (
	minPause = time.Second
	maxPause = time.Minute
)

// Pacer holds a queue's attempts back: to its policy's rate, and while the
// upstream asked for less (429 or 503). Its zero value paces nothing.
type Pacer struct {
	mu     sync.Mutex
	rate   *limit.Rate
	bucket *limit.Bucket
	until  time.Time     // no attempt starts before
	pause  time.Duration // the next slow-down without Retry-After
}

// SetRate applies a policy's rate; an unchanged rate keeps its bucket.
func (p *Pacer) SetRate(r *limit.Rate) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if reflect.DeepEqual(p.rate, r) {
		return
	}
	p.rate, p.bucket = r, nil
	if r != nil {
		p.bucket = r.Bucket()
	}
}

// Allow returns how many of n attempts may start at now; when none, how
// long until one may.
func (p *Pacer) Allow(n int, now time.Time) (int, time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if now.Before(p.until) {
		return 0, p.until.Sub(now)
	}
	if p.bucket == nil {
		return n, 0
	}
	return p.bucket.TakeUpTo(n, now)
}

// Refund gives back n allowed attempts that did not start.
func (p *Pacer) Refund(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bucket != nil && n > 0 {
		p.bucket.Refund(n)
	}
}

// Observe adapts to an attempt's answer: its status (0 for none) and
// Retry-After (0 for none), at now.
func (p *Pacer) Observe(status int, retryAfter time.Duration, now time.Time) {
	p.mu.Lock()
	defer p.mu.Unlock()
	switch {
	case status == http.StatusTooManyRequests || status == http.StatusServiceUnavailable:
		wait := retryAfter
		if wait <= 0 {
			wait = max(p.pause, minPause)
			p.pause = min(2*wait, maxPause)
		}
		if until := now.Add(wait); until.After(p.until) {
			p.until = until
		}
	case status >= 200 && status <= 299:
		p.pause = 0
	}
}
