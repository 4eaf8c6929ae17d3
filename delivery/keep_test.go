package delivery

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/queue"
)

// TestKeepDelivered: with keep_delivered, a delivered message stays as
// delivered, with its delivery time, its keep time and its attempt; with
// keep_responses the attempt holds the first 1 KiB of the answer.
func TestKeepDelivered(t *testing.T) {
	answer := strings.Repeat("r", 3000)
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("fail") != "" {
			http.Error(w, "down for a bit", http.StatusServiceUnavailable)
			return
		}
		_, _ = w.Write([]byte(answer))
	}))
	defer up.Close()

	before := time.Now()
	_, outcome, m := attemptOnce(t, &Policy{URL: up.URL + "/h", KeepDelivered: caddy.Duration(time.Hour), KeepResponses: true})
	require.Equal(t, Delivered, outcome)
	require.NotNil(t, m, "kept")
	assert.Equal(t, queue.StateDelivered, m.State)
	assert.False(t, m.DeliveredAt.Before(before))
	assert.WithinDuration(t, m.DeliveredAt.Add(time.Hour), m.KeepUntil, 0)
	require.Len(t, m.History, 1)
	assert.Equal(t, 200, m.History[0].Status)
	assert.Equal(t, answer[:queue.MaxResponse], m.History[0].Response)
	assert.Empty(t, m.History[0].Error)
	assert.Positive(t, m.History[0].LatencyMS)

	// Without keep_responses: status, latency and error only.
	_, outcome, m = attemptOnce(t, &Policy{URL: up.URL + "/h?fail=1", Retry: []caddy.Duration{caddy.Duration(time.Minute)}, MaxAttempts: 3})
	require.Equal(t, Retry, outcome)
	require.Len(t, m.History, 1)
	assert.Equal(t, 503, m.History[0].Status)
	assert.Equal(t, "upstream answered 503", m.History[0].Error)
	assert.Empty(t, m.History[0].Response)

	// Without keep_delivered: removed, as before.
	_, outcome, m = attemptOnce(t, &Policy{URL: up.URL + "/h"})
	require.Equal(t, Delivered, outcome)
	assert.Nil(t, m)
}
