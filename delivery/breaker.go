package delivery

import (
	"errors"
	"net"
	"sync"
	"time"
)

// A queue's breaker opens after breakerThreshold consecutive attempts that
// could not connect to its upstream. While open, the queue leases nothing:
// its messages stay queued, untried (no attempt counted, none dead-lettered),
// instead of each new one dialling a closed port. It stays open until the
// earliest retry the failures scheduled, at most maxBreak (so that an
// upstream back up is noticed within it); then one attempt probes the
// upstream: an answer of any status closes the breaker, another connection
// failure opens it again.
const (
	breakerThreshold = 3
	maxBreak         = time.Minute
	deadBreak        = time.Second // when the failed message had no retry left
)

type breaker struct {
	mu      sync.Mutex
	fails   int       // consecutive connection failures
	until   time.Time // while open: no attempt starts before
	probing bool      // half-open: an attempt is in flight and decides
}

// allow returns how many of n attempts may start at now; when none, how
// long until one may. Half-open, it allows one: the caller reports it with
// started.
func (b *breaker) allow(n int, now time.Time) (int, time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case b.fails < breakerThreshold:
		return n, 0
	case now.Before(b.until):
		return 0, b.until.Sub(now)
	case b.probing:
		return 0, pollInterval // the probe's end wakes the queue
	}
	return min(n, 1), 0
}

// closed reports whether attempts may start freely.
func (b *breaker) closed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.fails < breakerThreshold
}

// started records that n attempts allowed by allow did start.
func (b *breaker) started(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if n > 0 && b.fails >= breakerThreshold {
		b.probing = true
	}
}

// What an attempt tells the breaker about the queue's upstream.
const (
	reached   = iota // it answered, or at least accepted the connection
	refused          // the connection could not be made
	unrelated        // the attempt went to another destination
)

// observe records an attempt's end; retryAt is when the message is due
// again after a refusal (zero if it is not).
func (b *breaker) observe(result int, retryAt, now time.Time) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.probing = false
	switch result {
	case reached:
		b.fails, b.until = 0, time.Time{}
		return
	case unrelated:
		return
	}
	if b.fails++; b.fails < breakerThreshold {
		return
	}
	until := now.Add(deadBreak)
	if !retryAt.IsZero() {
		until = now.Add(min(max(retryAt.Sub(now), 0), maxBreak))
	}
	// Opening (or reopening after a probe): until this failure's retry.
	// Already open: attempts that were in flight may bring it earlier.
	if !b.until.After(now) || until.Before(b.until) {
		b.until = until
	}
}

// dialFailed reports whether err is a failure to connect (refused,
// unreachable, name not resolved, dial timeout, or refused by the guard),
// as opposed to a connection that failed later.
func dialFailed(err error) bool {
	var op *net.OpError
	return errors.As(err, &op) && op.Op == "dial"
}
