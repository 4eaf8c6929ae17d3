package webhooks

import (
	"encoding/json"
	"net/http"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
)

// Operational events, emitted as Caddy events and, with notify, as signed
// webhooks of type "hookgate.<event>".
const (
	EventDead             = "webhook_dead"      // a message went to the dead-letter queue
	EventStale            = "queue_stale"       // a queue's oldest message is older than stale_after
	EventEndpointDisabled = "endpoint_disabled" // an outbound endpoint was disabled
	EventEndpointEnabled  = "endpoint_enabled"  // an outbound endpoint was enabled again
)

// notifyQueue is the queue of the notifications themselves; its own dead
// letters notify nobody, so that a dead notify URL cannot loop.
const notifyQueue = "hookgate.notify"

// provisionEvents takes Caddy's events app and registers the notify queue.
func (a *App) provisionEvents(ctx caddy.Context) error {
	a.ctx = ctx
	ev, err := ctx.App("events")
	if err != nil {
		return err
	}
	a.events = ev.(*caddyevents.App)
	if a.Notify == nil {
		return nil
	}
	if err := a.Notify.Provision(); err != nil {
		return err
	}
	return a.RegisterQueue(notifyQueue, a.Notify)
}

// Emit sends an operational event: to Caddy's event system, and to the
// notify URL when one is configured. data must not hold a secret.
func (a *App) Emit(name string, data map[string]any) {
	a.events.Emit(a.ctx, name, data)
	if a.Notify == nil {
		return
	}
	now := time.Now()
	body, err := json.Marshal(map[string]any{"type": "hookgate." + name, "timestamp": now.UTC(), "data": data})
	if err == nil {
		m := &queue.Message{
			ID: queue.NewID(now), Queue: notifyQueue, Method: http.MethodPost, URL: a.Notify.URL,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: body, ReceivedAt: now, NextAttempt: now,
		}
		_, err = a.Enqueue(m, queue.Key{})
	}
	if err != nil {
		a.log.Error("queueing a notification", zap.String("event", name), zap.Error(err))
	}
}

// attempted emits the events that a delivery attempt causes.
func (a *App) attempted(at delivery.Attempt) {
	if at.Outcome == delivery.Dead && at.Queue != notifyQueue {
		a.Emit(EventDead, map[string]any{"id": at.ID, "queue": at.Queue, "status": at.Status})
	}
}

// staleWatch emits queue_stale once when a queue's oldest message passes
// the stale_after of the running config, and again only after the queue
// has caught up.
type staleWatch struct {
	mu    sync.Mutex
	stale map[string]bool
}

// check looks at the queues' ages once.
func (w *staleWatch) check(a *App, st queue.Store, now time.Time) {
	after := time.Duration(a.StaleAfter)
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
		if q == notifyQueue {
			continue // reporting it would feed it
		}
		isStale := !s.Oldest.IsZero() && now.Sub(s.Oldest) > after
		if isStale && !w.stale[q] {
			a.Emit(EventStale, map[string]any{"queue": q, "oldest_queued": s.Oldest.UTC(), "queued": s.Queued})
		}
		w.stale[q] = isStale
	}
}

// staleEvery is how often queues are checked: often enough for stale_after.
func staleEvery(after caddy.Duration) time.Duration {
	return min(30*time.Second, max(time.Duration(after)/2, 100*time.Millisecond))
}

// watchStale checks the queues' ages for the running config until stop.
// It starts before its config is current, and a reload may turn the check
// on: until a config with stale_after runs, it looks again every second.
func (e *openStore) watchStale(st queue.Store, stop chan struct{}) {
	var w staleWatch
	for {
		every := time.Second
		if a := current.Load(); a != nil && a.StaleAfter > 0 {
			every = staleEvery(a.StaleAfter)
		}
		select {
		case <-stop:
			return
		case now := <-time.After(every):
			if a := current.Load(); a != nil {
				w.check(a, st, now)
			}
		}
	}
}
