// Package notify emits the webhooks app's operational events: as Caddy
// events and, when the app has a notify URL, as webhooks of type
// "hookgate.<event>" that the app queues for delivery (signed at each
// attempt by the notify policy). It also watches the queues' ages for
// queue_stale. The app hands it what it needs: Caddy's events app, the URL
// and a queue to put the notifications in.
package notify

import (
	"encoding/json"
	"net/http"
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

// Queue is the queue of the notifications themselves; its own dead
// letters notify nobody, so that a dead notify URL cannot loop.
const Queue = "hookgate.notify"

// Enqueuer durably stores a message for delivery: the app.
type Enqueuer interface {
	Enqueue(m *queue.Message, key queue.Key) (string, error)
}

// Notifier emits the operational events of one config.
type Notifier struct {
	ctx    caddy.Context
	events *caddyevents.App
	url    string   // where notifications go; "": none
	queue  Enqueuer // where they wait for delivery
	log    *zap.Logger
}

// New returns a Notifier emitting to events in ctx and, when url is not
// empty, queueing a notification to url in q for each event.
func New(ctx caddy.Context, events *caddyevents.App, url string, q Enqueuer, log *zap.Logger) *Notifier {
	return &Notifier{ctx: ctx, events: events, url: url, queue: q, log: log}
}

// Emit sends an operational event: to Caddy's event system, and to the
// notify URL when one is configured. data must not hold a secret.
func (n *Notifier) Emit(name string, data map[string]any) {
	n.events.Emit(n.ctx, name, data)
	if n.url == "" {
		return
	}
	now := time.Now()
	body, err := json.Marshal(map[string]any{"type": "hookgate." + name, "timestamp": now.UTC(), "data": data})
	if err == nil {
		m := &queue.Message{
			ID: queue.NewID(now), Queue: Queue, Method: http.MethodPost, URL: n.url,
			Header: http.Header{"Content-Type": {"application/json"}}, Body: body, ReceivedAt: now, NextAttempt: now,
		}
		_, err = n.queue.Enqueue(m, queue.Key{})
	}
	if err != nil {
		n.log.Error("queueing a notification", zap.String("event", name), zap.Error(err))
	}
}

// Attempted emits the events that a delivery attempt causes.
func (n *Notifier) Attempted(at delivery.Attempt) {
	if at.Outcome == delivery.Dead && at.Queue != Queue {
		n.Emit(EventDead, map[string]any{"id": at.ID, "queue": at.Queue, "status": at.Status})
	}
}
