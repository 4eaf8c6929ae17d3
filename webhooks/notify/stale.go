package notify

import (
	"sync"
	"time"

	"github.com/hookgate/hookgate/queue"
)

// Stater is what the stale watch reads: a store's figures by queue.
type Stater interface {
	Stats() (map[string]queue.Stats, error)
}

// Running returns the stale_after of the running config and its Notifier;
// a nil Notifier: no config runs.
type Running func() (staleAfter time.Duration, n *Notifier)

// staleWatch emits queue_stale once when a queue's oldest message passes
// the stale_after of the running config, and again only after the queue
// has caught up.
type staleWatch struct {
	mu    sync.Mutex
	stale map[string]bool
}

// check looks at the queues' ages once.
func (w *staleWatch) check(n *Notifier, after time.Duration, st Stater, now time.Time) {
	if after <= 0 {
		return
	}
	stats, err := st.Stats()
	if err != nil {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.stale == nil {
		w.stale = map[string]bool{}
	}
	for q, s := range stats {
		if q == Queue {
			continue // reporting it would feed it
		}
		isStale := !s.Oldest.IsZero() && now.Sub(s.Oldest) > after
		if isStale && !w.stale[q] {
			n.Emit(EventStale, map[string]any{"queue": q, "oldest_queued": s.Oldest.UTC(), "queued": s.Queued})
		}
		w.stale[q] = isStale
	}
}

// staleEvery is how often queues are checked: often enough for stale_after.
func staleEvery(after time.Duration) time.Duration {
	return min(30*time.Second, max(after/2, 100*time.Millisecond))
}

// WatchStale checks the ages of st's queues for the running config until
// stop. It starts before its config runs, and a reload may turn the check
// on: until a config with stale_after runs, it looks again every second.
func WatchStale(st Stater, stop chan struct{}, running Running) {
	var w staleWatch
	for {
		every := time.Second
		if after, n := running(); n != nil && after > 0 {
			every = staleEvery(after)
		}
		select {
		case <-stop:
			return
		case now := <-time.After(every):
			if after, n := running(); n != nil {
				w.check(n, after, st, now)
			}
		}
	}
}
