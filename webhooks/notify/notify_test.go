package notify

import (
	"context"
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyevents"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
)

// queued is an Enqueuer that keeps the notifications' types.
type queued struct {
	mu    sync.Mutex
	types []string
}

func (q *queued) Enqueue(m *queue.Message, _ queue.Key) (string, error) {
	var body struct{ Type string }
	if err := json.Unmarshal(m.Body, &body); err != nil || m.Queue != Queue || m.URL != "https://ops.example/hook" {
		panic("not a notification")
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.types = append(q.types, body.Type)
	return m.ID, nil
}

func notifier(t *testing.T, url string) (*Notifier, *queued) {
	t.Helper()
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	events := new(caddyevents.App)
	require.NoError(t, events.Provision(ctx))
	q := &queued{}
	return New(ctx, events, url, q, zap.NewNop()), q
}

// TestDeadNotifiesExceptNotifications: a dead message is notified, unless
// it is a notification itself; without a URL nothing is queued.
func TestDeadNotifiesExceptNotifications(t *testing.T) {
	n, q := notifier(t, "https://ops.example/hook")
	n.Attempted(delivery.Attempt{Queue: "orders", Outcome: delivery.Dead, Status: 500})
	n.Attempted(delivery.Attempt{Queue: "orders", Outcome: delivery.Retry, Status: 500})
	n.Attempted(delivery.Attempt{Queue: Queue, Outcome: delivery.Dead, Status: 500})
	assert.Equal(t, []string{"hookgate.webhook_dead"}, q.types)

	n, q = notifier(t, "")
	n.Attempted(delivery.Attempt{Queue: "orders", Outcome: delivery.Dead})
	assert.Empty(t, q.types)
}

type stats map[string]queue.Stats

func (s stats) Stats() (map[string]queue.Stats, error) { return s, nil }

// TestStaleOnceUntilCaughtUp: a stale queue is notified once, and again
// only after it caught up; the notify queue is never reported.
func TestStaleOnceUntilCaughtUp(t *testing.T) {
	n, q := notifier(t, "https://ops.example/hook")
	now := time.Now()
	old := stats{"orders": {Queued: 1, Oldest: now.Add(-time.Hour)}, Queue: {Queued: 1, Oldest: now.Add(-time.Hour)}}
	var w staleWatch
	w.check(n, 0, old, now)
	assert.Empty(t, q.types, "stale_after 0: off")
	w.check(n, time.Minute, old, now)
	w.check(n, time.Minute, old, now)
	assert.Equal(t, []string{"hookgate.queue_stale"}, q.types)
	w.check(n, time.Minute, stats{"orders": {}}, now)
	w.check(n, time.Minute, old, now)
	assert.Len(t, q.types, 2, "caught up, then stale again")
	assert.Equal(t, 100*time.Millisecond, staleEvery(time.Millisecond))
	assert.Equal(t, 30*time.Second, staleEvery(time.Hour))
}
