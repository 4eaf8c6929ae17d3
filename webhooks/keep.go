package webhooks

import (
	"time"

	"github.com/hookgate/hookgate/delivery"
)

// purgeTick is how often the purge loop looks whether a purge is due.
const purgeTick = time.Second

// noteKeep records the shortest keep_delivered of ps.
func (e *openStore) noteKeep(ps map[string]*delivery.Policy) {
	var shortest time.Duration
	for _, p := range ps {
		if k := time.Duration(p.KeepDelivered); k > 0 && (shortest == 0 || k < shortest) {
			shortest = k
		}
	}
	e.shortestKeep.Store(int64(shortest))
}

// purgeDue reports whether a purge is due at now after the last one: every
// purgeEvery, or, when a queue keeps delivered messages, every quarter of
// its keep_delivered (a second at least), so that a short window is swept
// soon after it ends.
func (e *openStore) purgeDue(last, now time.Time) bool {
	d := purgeEvery
	if k := time.Duration(e.shortestKeep.Load()); k > 0 {
		d = min(d, max(purgeTick, k/4))
	}
	return now.Sub(last) >= d
}
