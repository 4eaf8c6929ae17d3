package pacing

import (
	"net/url"
	"strings"
	"sync"
	"time"
)

// A queue whose messages name their own destinations (outbound
// destination_header) paces each destination apart: a 429's Retry-After,
// the adaptive slow-down and the connection breaker hold back that
// destination only, and no destination holds more than its share of the
// queue's concurrency. The destinations are chosen by whoever submits, so
// the table that tracks them is bounded and forgets idle ones.
const (
	// maxDestinations bounds the tracked destinations of one queue. Past
	// it, the least recently used idle one is forgotten (its pause too: it
	// is retried once more, and pauses itself again if it still refuses).
	maxDestinations = 1024
	// destinationIdle is how long a destination that holds nothing back is
	// remembered after its last attempt.
	destinationIdle = 10 * time.Minute
	// sweepEvery is how often the table is swept of idle destinations.
	sweepEvery = time.Minute
	// maxCapDefer bounds how far a message that found its destination at
	// its in-flight cap is put back.
	maxCapDefer = 5 * time.Minute
	// minCapStep is the smallest spacing of put-back messages.
	minCapStep = 10 * time.Millisecond
)

// DestinationCap is the in-flight cap of one destination of a queue of
// the given concurrency whose messages name their own destinations: a
// quarter of it, at least 1. A slow or stalled destination then holds at
// most a quarter of the slots, so at least three others keep being served
// while it times out; a route that needs more for one destination raises
// its concurrency.
func DestinationCap(concurrency int) int { return max(1, concurrency/4) }

// Destination is the delivery state of one scheme://host[:port]: a slot
// of it that Destinations.Start took for an attempt.
type Destination struct {
	pace     Pacer   // its pause only: the rate is the queue's
	breaker  Breaker // its connection failures
	inflight int
	used     time.Time     // last attempt started or ended
	took     time.Duration // moving average of its attempts
	cursor   time.Time     // when the last put-back message is due
}

// Destinations is the bounded table of a queue's destinations. Its zero
// value is empty.
type Destinations struct {
	mu    sync.Mutex
	m     map[string]*Destination
	swept time.Time
}

// DestinationKey names the destination of raw: scheme and host (with the
// port when it is not the scheme's default), lowercased.
func DestinationKey(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	scheme, host, port := strings.ToLower(u.Scheme), strings.ToLower(u.Hostname()), u.Port()
	if (scheme == "https" && port == "443") || (scheme == "http" && port == "80") {
		port = ""
	}
	if strings.Contains(host, ":") {
		host = "[" + host + "]"
	}
	if port != "" {
		host += ":" + port
	}
	return scheme + "://" + host
}

// Start takes an in-flight slot of key's destination for an attempt at
// now, if its cap, pause and breaker allow one. Otherwise it returns nil
// and when the message should be tried again: the end of the pause, or a
// slot later after those already put back.
func (t *Destinations) Start(key string, limit int, now time.Time) (*Destination, time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)
	d := t.get(key, now)
	if n, wait := d.breaker.Allow(1, now); n == 0 {
		return nil, now.Add(max(wait, minCapStep))
	}
	if n, wait := d.pace.Allow(1, now); n == 0 {
		return nil, now.Add(wait)
	}
	if d.inflight >= limit {
		return nil, d.putBack(limit, now)
	}
	d.breaker.Started(1)
	d.inflight++
	d.used = now
	return d, time.Time{}
}

// putBack returns when a message that found d at its cap of limit is due
// again: one average attempt per limit messages after the last one put
// back, so that a backlog for a slow destination is spread over the time
// it takes rather than leased again and again.
func (d *Destination) putBack(limit int, now time.Time) time.Time {
	step := max(d.took/time.Duration(limit), minCapStep)
	if d.cursor.Before(now) {
		d.cursor = now
	}
	d.cursor = d.cursor.Add(step)
	if limit := now.Add(maxCapDefer); d.cursor.After(limit) {
		return limit
	}
	return d.cursor
}

// Done records the end of an attempt that Start allowed: as Pacer.Observe
// and Breaker.Observe take it, and how long it took.
func (t *Destinations) Done(d *Destination, status int, retryAfter, took time.Duration, result Result, retryAt, now time.Time) {
	t.mu.Lock()
	defer t.mu.Unlock()
	d.inflight--
	d.used = now
	d.took += (took - d.took) / 4
	d.pace.Observe(status, retryAfter, now)
	d.breaker.Observe(result, retryAt, now)
}

// get returns key's entry, making room for it if needed. t.mu is held.
func (t *Destinations) get(key string, now time.Time) *Destination {
	if d := t.m[key]; d != nil {
		return d
	}
	if t.m == nil {
		t.m = map[string]*Destination{}
	}
	if len(t.m) >= maxDestinations {
		t.evict()
	}
	d := &Destination{used: now, took: time.Second}
	t.m[key] = d
	return d
}

// evict forgets the least recently used destination with nothing in
// flight. (With a concurrency over maxDestinations there may be none: the
// table then outgrows its bound by at most the concurrency.)
func (t *Destinations) evict() {
	var oldest *Destination
	var key string
	for k, d := range t.m {
		if d.inflight == 0 && (oldest == nil || d.used.Before(oldest.used)) {
			oldest, key = d, k
		}
	}
	if oldest != nil {
		delete(t.m, key)
	}
}

// sweep forgets, at most every sweepEvery, the destinations idle for
// destinationIdle that hold nothing back any more. t.mu is held.
func (t *Destinations) sweep(now time.Time) {
	if now.Sub(t.swept) < sweepEvery {
		return
	}
	t.swept = now
	for k, d := range t.m {
		if d.inflight == 0 && now.Sub(d.used) >= destinationIdle && !now.Before(d.pace.until) && !now.Before(d.breaker.until) {
			delete(t.m, k)
		}
	}
}

// Len is the number of destinations tracked.
func (t *Destinations) Len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return len(t.m)
}
