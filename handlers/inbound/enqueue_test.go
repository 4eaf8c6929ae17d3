package inbound

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
)

// TestAckWithin: the answer to the sender after the first attempt made at
// once: the upstream's own when it answered for good, else 202 queued.
func TestAckWithin(t *testing.T) {
	answer := &delivery.Reply{Status: http.StatusCreated, Header: http.Header{"X-Up": {"1"}, "Connection": {"close"}}, Body: []byte("made")}
	for _, tc := range []struct {
		name   string
		now    delivery.NowResult
		status int
		body   string
	}{
		{"past the budget", delivery.NowResult{}, http.StatusAccepted, `"queued"`},
		{"delivered", delivery.NowResult{Done: true, Outcome: delivery.Delivered, Reply: answer}, http.StatusCreated, "made"},
		{"to retry", delivery.NowResult{Done: true, Outcome: delivery.Retry}, http.StatusAccepted, `"queued"`},
		{"dead with an answer", delivery.NowResult{Done: true, Outcome: delivery.Dead,
			Reply: &delivery.Reply{Status: http.StatusBadRequest, Body: []byte("no")}}, http.StatusBadRequest, "no"},
		{"dead without an answer", delivery.NowResult{Done: true, Outcome: delivery.Dead}, http.StatusAccepted, `"queued"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{AckWithin: caddy.Duration(time.Second)}
			fb := setup(t, h)
			fb.now = tc.now
			w := httptest.NewRecorder()
			m := &queue.Message{ID: queue.NewID(testNow), Queue: "q", ReceivedAt: testNow}
			require.NoError(t, h.enqueue(w, m, &h.Upstream.Policy, queue.Key{}))
			assert.Equal(t, tc.status, w.Code)
			assert.Contains(t, w.Body.String(), tc.body)
			if tc.status != http.StatusAccepted {
				assert.Equal(t, m.ID, w.Header().Get("Webhook-Id"))
				assert.Empty(t, w.Header().Get("Connection"), "hop-by-hop headers are not passed through")
			}
		})
	}
}
