package pacing

import (
	"errors"
	"net"
	"sync"
	"time"
)

// A queue's breaker opens after BreakerThreshold consecutive attempts that
// could not connect to its upstream. While open, the queue leases nothing:
// its messages stay queued, untried (no attempt counted, none dead-lettered),
// instead of each new one dialling a closed port. It stays open until the
// earliest retry the failures scheduled, at most MaxBreak (so that an
// upstream back up is noticed within it); then one attempt probes the
// upstream: an answer of any status closes the breaker, another connection
// failure opens it again.
const (
	BreakerThreshold = 3
	MaxBreak         = time.Minute
	deadBreak        = time.Second // when the failed message had no retry left
	// probeWait is how long a half-open breaker says to wait while its
	// probe is in flight: the probe's end wakes the queue sooner.
	probeWait = time.Second
)

// Breaker is the connection breaker of a queue (or of one destination).
// Its zero value is closed.
type Breaker struct {
	mu      sync.Mutex
	fails   int       // consecutive connection failures
	until   time.Time // while open: no attempt starts before
	probing bool      // half-open: an attempt is in flight and decides
}

// Allow returns how many of n attempts may start at now; when none, how
// long until one may. Half-open, it allows one: the caller reports it with
// Started.
func (b *Breaker) Allow(n int, now time.Time) (int, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.fails < BreakerThreshold:
		return n, 0
	case now.Before(b.until):
		return 0, b.until.Sub(now)
	case b.probing:
		return 0, probeWait
	}
	return min(n, 1), 0
}

// Closed reports whether attempts may start freely.
func (b *Breaker) Closed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fails < BreakerThreshold
}

// Started records that n attempts allowed by Allow did start.
func (b *Breaker) Started(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > 0 && b.fails >= BreakerThreshold {
		b.probing = true
	}
}

// Result is what an attempt tells the breaker about the queue's upstream.
type Result int

const (
	Reached   Result = iota // it answered, or at least accepted the connection
	Refused                 // the connection could not be made
	Unrelated               // the attempt went to another destination
)

// Observe records an attempt's end; retryAt is when the message is due
// again after a refusal (zero if it is not).
func (b *Breaker) Observe(result Result, retryAt, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	switch result {
	case Reached:
		b.fails, b.until = 0, time.Time{}
		return
	case Unrelated:
		return
	}
	if b.fails++; b.fails < BreakerThreshold {
		return
	}
	until := now.Add(deadBreak)
	if !retryAt.IsZero() {
		until = now.Add(min(max(retryAt.Sub(now), 0), MaxBreak))
	}
	// Opening (or reopening after a probe): until this failure's retry.
	// Already open: attempts that were in flight may bring it earlier.
	if !b.until.After(now) || until.Before(b.until) {
		b.until = until
	}
}

// DialFailed reports whether err is a failure to connect (refused,
// unreachable, name not resolved, dial timeout, or refused by the guard),
// as opposed to a connection that failed later.
func DialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
