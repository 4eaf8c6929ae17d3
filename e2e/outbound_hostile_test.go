package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// headerRoute takes its destination from a header and lets the tests'
// loopback receivers through the SSRF guard.
const headerRoute = `
	route /emit {
		webhook_outbound {
			name byheader
			destination_header Webhook-Destination
			allow_http
			allow_private 127.0.0.0/8
			sign standard_webhooks {
				secret ` + outSecret + `
			}
		}
	}
`

// TestOutboundDestinationsPacedApart: on a destination_header route, one
// destination answering 429 Retry-After: 3600 pauses itself only: another
// destination of the same route, submitted after a backlog for the first,
// is served within seconds, and the first is not tried again.
func TestOutboundDestinationsPacedApart(t *testing.T) {
	limited, fine := newReceiver(t), newReceiver(t)
	limited.setAnswer(func(_ int, _ *http.Request, w http.ResponseWriter) int {
		w.Header().Set("Retry-After", "3600")
		return http.StatusTooManyRequests
	})
	c := startOutbound(t, headerRoute, nil)
	to := func(u string) map[string]string { return map[string]string{"Webhook-Destination": u} }
	code, ans := emit(t, c, "/emit", `{"n":0}`, to(limited.URL+"/hook"))
	require.Equal(t, http.StatusAccepted, code, ans)
	waitFor(t, 5*time.Second, "the 429", func() bool { return len(limited.deliveries()) == 1 })
	// The receiver counts a delivery before it answers: wait for the 429 to
	// be recorded (the message back in the queue, not in flight), else the
	// next message may reach the destination before the gateway has read it.
	waitFor(t, 5*time.Second, "the 429 recorded", func() bool {
		q := c.stats().Queues["outbound:byheader"]
		return q.Queued == 1 && q.InFlight == 0
	})
	for range 5 {
		code, ans = emit(t, c, "/emit", `{"n":1}`, to(limited.URL+"/hook"))
		require.Equal(t, http.StatusAccepted, code, ans)
	}
	code, ans = emit(t, c, "/emit", `{"n":2}`, to(fine.URL+"/hook"))
	require.Equal(t, http.StatusAccepted, code, ans)

	waitFor(t, 5*time.Second, "the other destination served", func() bool { return len(fine.deliveries()) == 1 })
	assert.Len(t, limited.deliveries(), 1, "the paused destination is not tried again")
	// The receiver counts a delivery before the store records it: wait for
	// the served one to leave the queue.
	waitFor(t, 5*time.Second, "the served message off the queue, the others waiting", func() bool {
		return c.stats().Queues["outbound:byheader"].Queued == 6
	})
	assert.Zero(t, c.stats().Queues["outbound:byheader"].Dead, "none dead")
}

// TestOutboundEndpointAPIRefusals: the admin API refuses, at create and at
// rotate, a secret the route's scheme (standard_webhooks) cannot sign with,
// with a reason that does not quote it, and an endpoint id equal to its
// route's name (whose idempotency scope it would share). A refused rotation
// leaves the endpoint delivering with its secret.
func TestOutboundEndpointAPIRefusals(t *testing.T) {
	rc := newReceiver(t)
	c := startOutbound(t, fanOutRoutes, map[string]any{"A": rc.URL, "B": rc.URL})
	const unusable = "plain-secret-not-base64!"
	for _, tc := range []struct {
		name string
		body map[string]any
		want int
	}{
		{"secret the scheme cannot use", map[string]any{"route": "events", "id": "crm", "url": rc.URL, "secret": unusable}, http.StatusBadRequest},
		{"id of the route", map[string]any{"route": "events", "id": "events", "url": rc.URL}, http.StatusConflict},
	} {
		code, text := adminJSON(t, c, http.MethodPost, "/webhooks/endpoints", tc.body, nil)
		assert.Equal(t, tc.want, code, "%s: %s", tc.name, text)
		assert.NotContains(t, text, unusable, tc.name)
	}
	for _, id := range []string{"crm", "events"} {
		assert.Equal(t, http.StatusNotFound, c.admin(http.MethodGet, "/webhooks/endpoints/"+id, nil), "%s was not stored", id)
	}

	var created endpointAnswer
	code, text := adminJSON(t, c, http.MethodPost, "/webhooks/endpoints", map[string]any{"route": "events", "id": "crm", "url": rc.URL + "/crm"}, &created)
	require.Equal(t, http.StatusCreated, code, text)
	code, text = adminJSON(t, c, http.MethodPost, "/webhooks/endpoints/crm/rotate", map[string]any{"secret": unusable}, nil)
	assert.Equal(t, http.StatusBadRequest, code, text)
	assert.NotContains(t, text, unusable)

	code, ans := emit(t, c, "/events", `{"type":"user.created"}`, map[string]string{"Idempotency-Key": "k1"})
	require.Equal(t, http.StatusAccepted, code, ans)
	waitFor(t, 5*time.Second, "the delivery to crm", func() bool { return len(rc.deliveries()) == 1 })
	verifyStandard(t, rc.deliveries()[0], created.Secret)
}

// TestOutboundSubmitRefusesCrossSite: a browser's simple cross-site POST
// (text/plain, no preflight) gets 415 and a request marked cross-site 403;
// neither is delivered, while the app's JSON submission is.
func TestOutboundSubmitRefusesCrossSite(t *testing.T) {
	rc := newReceiver(t)
	c := startOutbound(t, signedTo, map[string]any{"To": rc.URL})
	post := func(contentType, fetchSite string) int {
		req, err := http.NewRequest(http.MethodPost, "http://"+c.HTTP+"/emit", strings.NewReader(`{"type":"x"}`))
		require.NoError(t, err)
		req.Header.Set("Content-Type", contentType)
		if fetchSite != "" {
			req.Header.Set("Origin", "https://evil.example")
			req.Header.Set("Sec-Fetch-Site", fetchSite)
		}
		code, _ := do(t, req)
		return code
	}
	assert.Equal(t, http.StatusUnsupportedMediaType, post("text/plain;charset=UTF-8", ""))
	assert.Equal(t, http.StatusForbidden, post("application/json", "cross-site"))
	assert.Equal(t, http.StatusAccepted, post("application/json; charset=utf-8", ""))
	waitFor(t, 5*time.Second, "the JSON submission", func() bool { return len(rc.deliveries()) == 1 })
	time.Sleep(200 * time.Millisecond)
	assert.Len(t, rc.deliveries(), 1, "nothing refused is delivered")
}
