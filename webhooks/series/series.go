// Package series keeps, per queue, what the dashboard draws: messages
// received, delivered and failed per minute over the last hour, and the
// queue's depth sampled each minute. It is a small in-memory ring per
// Caddy instance: 60 one-minute buckets per queue, for at most MaxQueues
// queues; nothing of it is stored.
package series

import (
	"sync"
	"time"
)

// Minutes is how many one-minute buckets a queue keeps.
const Minutes = 60

// MaxQueues bounds the queues kept. A new queue beyond it takes the place
// of one idle for the whole hour, else it is not kept.
const MaxQueues = 64

// Kind is what a count counts.
type Kind int

// The kinds of counts.
const (
	Received Kind = iota
	Delivered
	Failed
	kinds
)

// bucket is one minute of one queue.
type bucket struct {
	minute int64 // unix minute it holds; another: stale, reads as empty
	counts [kinds]int
	depth  int
	sample bool // depth was sampled in this minute
}

type ring [Minutes]bucket

// slot is the index of minute m in a ring.
func slot(m int64) int { return int((m%Minutes + Minutes) % Minutes) }

// at returns the bucket of minute m, emptied if it held an older minute.
func (r *ring) at(m int64) *bucket {
	b := &r[slot(m)]
	if b.minute != m {
		*b = bucket{minute: m}
	}
	return b
}

// Ring is the per-queue series of one Caddy instance. Its methods are safe
// for concurrent use; those of a nil Ring do nothing.
type Ring struct {
	now    func() time.Time
	mu     sync.Mutex
	queues map[string]*ring
	last   map[string]int64 // minute of each queue's latest count or sample
}

// New returns an empty Ring reading the time from now (time.Now if nil).
func New(now func() time.Time) *Ring {
	if now == nil {
		now = time.Now
	}
	return &Ring{now: now, queues: map[string]*ring{}, last: map[string]int64{}}
}

func (r *Ring) minute() int64 { return r.now().Unix() / 60 }

// get returns q's ring, making room for it if needed; nil when full. r.mu is held.
func (r *Ring) get(q string, m int64) *ring {
	if qr := r.queues[q]; qr != nil {
		r.last[q] = m
		return qr
	}
	if len(r.queues) >= MaxQueues {
		var idle string
		for name, last := range r.last {
			if m-last >= Minutes && (idle == "" || last < r.last[idle]) {
				idle = name
			}
		}
		if idle == "" {
			return nil
		}
		delete(r.queues, idle)
		delete(r.last, idle)
	}
	qr := new(ring)
	r.queues[q], r.last[q] = qr, m
	return qr
}

// Add counts n of kind in queue q, in the current minute.
func (r *Ring) Add(q string, kind Kind, n int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.minute()
	if qr := r.get(q, m); qr != nil {
		qr.at(m).counts[kind] += n
	}
}

// Depth records a sample of the depth of each queue (messages waiting or
// in flight); the latest sample of a minute is its depth.
func (r *Ring) Depth(depths map[string]int) {
	if r == nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.minute()
	for q, n := range depths {
		if qr := r.get(q, m); qr != nil {
			b := qr.at(m)
			b.depth, b.sample = n, true
		}
	}
}

// Queue is the hour of one queue, oldest minute first; Depth holds nil
// for the minutes without a sample.
type Queue struct {
	Received  []int  `json:"received"`
	Delivered []int  `json:"delivered"`
	Failed    []int  `json:"failed"`
	Depth     []*int `json:"depth"`
}

// Snapshot is the last hour of every queue kept: Minutes minutes, the
// last of them the current one, which started at End minus a minute.
type Snapshot struct {
	Start   time.Time        `json:"start"` // of the oldest minute
	Minutes int              `json:"minutes"`
	Queues  map[string]Queue `json:"queues"`
}

// Snapshot returns the last hour of every queue kept.
func (r *Ring) Snapshot() Snapshot {
	r.mu.Lock()
	defer r.mu.Unlock()
	m := r.minute()
	first := m - Minutes + 1
	out := Snapshot{Start: time.Unix(first*60, 0).UTC(), Minutes: Minutes, Queues: make(map[string]Queue, len(r.queues))}
	for name, qr := range r.queues {
		q := Queue{make([]int, Minutes), make([]int, Minutes), make([]int, Minutes), make([]*int, Minutes)}
		for i := range Minutes {
			b := &qr[slot(first+int64(i))]
			if b.minute != first+int64(i) {
				continue
			}
			q.Received[i], q.Delivered[i], q.Failed[i] = b.counts[Received], b.counts[Delivered], b.counts[Failed]
			if b.sample {
				d := b.depth
				q.Depth[i] = &d
			}
		}
		out.Queues[name] = q
	}
	return out
}
