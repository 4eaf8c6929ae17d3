package delivery

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

// pacer holds a queue's attempts back: to its policy's rate, and while the
// upstream asked for less (429 or 503).
type pacer struct {
	mu     sync.Mutex
	rate   *limit.Rate
	bucket *limit.Bucket
	until  time.Time     // no attempt starts before
	pause  time.Duration // the next slow-down without Retry-After
}

// setRate applies a policy's rate; an unchanged rate keeps its bucket.
func (p *pacer) setRate(r *limit.Rate) {
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

// allow returns how many of n attempts may start at now; when none, how
// long until one may.
func (p *pacer) allow(n int, now time.Time) (int, time.Duration) {
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

// refund gives back n allowed attempts that did not start.
func (p *pacer) refund(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.bucket != nil && n > 0 {
		p.bucket.Refund(n)
	}
}

// observe adapts to an attempt's answer.
func (p *pacer) observe(status int, retryAfter time.Duration, now time.Time) {
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
