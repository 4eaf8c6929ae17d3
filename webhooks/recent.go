package webhooks

import (
	"sync"

	"github.com/hookgate/hookgate/delivery"
)

// recentSize bounds the attempts the dashboard can show.
const recentSize = 200

// recentAttempts keeps the last recentSize delivery attempts in a ring.
type recentAttempts struct {
	mu   sync.Mutex
	ring [recentSize]delivery.Attempt
	n    int // attempts ever added
}

func (r *recentAttempts) add(a delivery.Attempt) {
	r.mu.Lock()
	r.ring[r.n%recentSize] = a
	r.n++
	r.mu.Unlock()
}

// list returns the kept attempts, newest first.
func (r *recentAttempts) list() []delivery.Attempt {
	r.mu.Lock()
	defer r.mu.Unlock()
	k := min(r.n, recentSize)
	out := make([]delivery.Attempt, k)
	for i := range k {
		out[i] = r.ring[(r.n-1-i)%recentSize]
	}
	return out
}
