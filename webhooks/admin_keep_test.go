package webhooks

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
)

// TestAdminDeliveredAndAttempts: kept delivered messages are listed with
// state=delivered; one message's view holds its attempts (history), and a message
// without any shows an empty list.
func TestAdminDeliveredAndAttempts(t *testing.T) {
	now := time.Now().UTC()
	kept := &queue.Message{ID: queue.NewID(now), Queue: "q", Method: http.MethodPost, State: queue.StateDelivered,
		Attempts: 2, DeliveredAt: now, KeepUntil: now.Add(time.Hour)}
	kept.Record(queue.Attempt{At: now.Add(-time.Second), Status: 503, LatencyMS: 3.25, Error: "upstream answered 503"})
	kept.Record(queue.Attempt{At: now, Status: 200, LatencyMS: 1.5, Response: `{"ok":true}`})
	plain := &queue.Message{ID: queue.NewID(now), Queue: "q", Method: http.MethodPost, State: queue.StateQueued}
	runningApp(t, &fakeStore{messages: []*queue.Message{kept, plain}})
	routes := adminAPI{}.Routes()

	code, body := serveRoutes(t, routes, http.MethodGet, "/webhooks/messages?state=delivered", "")
	require.Equal(t, http.StatusOK, code, body)
	var list struct{ Messages []map[string]any }
	require.NoError(t, json.Unmarshal([]byte(body), &list))
	require.Len(t, list.Messages, 1)
	assert.Equal(t, kept.ID, list.Messages[0]["id"])
	assert.Equal(t, "delivered", list.Messages[0]["state"])
	assert.EqualValues(t, 2, list.Messages[0]["attempts"], "lists keep the count")
	assert.NotEmpty(t, list.Messages[0]["delivered_at"])

	code, body = serveRoutes(t, routes, http.MethodGet, "/webhooks/messages/"+kept.ID, "")
	require.Equal(t, http.StatusOK, code, body)
	var one struct {
		History  []queue.Attempt
		Attempts int
	}
	require.NoError(t, json.Unmarshal([]byte(body), &one))
	assert.Equal(t, 2, one.Attempts, "attempts stays the count")
	require.Len(t, one.History, 2)
	assert.Equal(t, 503, one.History[0].Status)
	assert.Equal(t, "upstream answered 503", one.History[0].Error)
	assert.Equal(t, 3.25, one.History[0].LatencyMS)
	assert.Equal(t, `{"ok":true}`, one.History[1].Response)

	_, body = serveRoutes(t, routes, http.MethodGet, "/webhooks/messages/"+plain.ID, "")
	assert.Contains(t, body, `"history":[]`)

	code, _ = serveRoutes(t, routes, http.MethodGet, "/webhooks/messages?state=gone", "")
	assert.Equal(t, http.StatusBadRequest, code)
}

// TestPurgeFollowsTheShortestKeep: a queue keeping delivered messages for
// a short time has them swept soon after; otherwise the purge runs every
// purgeEvery.
func TestPurgeFollowsTheShortestKeep(t *testing.T) {
	var e openStore
	t0 := time.Now()
	assert.False(t, e.purgeDue(t0, t0.Add(30*time.Second)))
	assert.True(t, e.purgeDue(t0, t0.Add(purgeEvery)))
	e.noteKeep(map[string]*delivery.Policy{"a": {KeepDelivered: caddy.Duration(24 * time.Hour)}, "b": {KeepDelivered: caddy.Duration(2 * time.Second)}, "c": {}})
	assert.True(t, e.purgeDue(t0, t0.Add(time.Second)))
	e.noteKeep(map[string]*delivery.Policy{"a": {KeepDelivered: caddy.Duration(20 * time.Minute)}})
	assert.False(t, e.purgeDue(t0, t0.Add(30*time.Second)))
	assert.True(t, e.purgeDue(t0, t0.Add(time.Minute)))
}
