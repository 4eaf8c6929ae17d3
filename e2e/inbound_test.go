package e2e

import (
	"fmt"
	"net/http"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// inboundCaddyfile has a queued route (/hooks/contextfile), a route with a
// signed timestamp (/hooks/timed) and a verify-only route in front of
// reverse_proxy (/hooks/direct), and the dashboard (/hookgate/).
const inboundCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		storage embedded
	}
}
http://{{.HTTP}} {
	route /hooks/contextfile {
		webhook_inbound {
			verify hmac {
				header X-Webhook-Signature
				algorithm sha256
				encoding hex
				secret {env.HOOKGATE_SECRET_OLD}
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			max_body 1KiB
			upstream {{.Upstream}} {
				timeout 2s
				retry {{or .Retry "100ms 100ms"}}
				concurrency {{or .Concurrency 8}}
			}
		}
	}
	route /hooks/timed {
		webhook_inbound {
			verify hmac {
				header X-Webhook-Signature
				signed_content "{timestamp}.{body}"
				timestamp_header X-Webhook-Timestamp
				secret {env.HOOKGATE_SECRET}
			}
			name timed
			tolerance 1m
			dedupe {json.id}
			upstream {{.Upstream}}
		}
	}
	route /hooks/direct {
		webhook_inbound {
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.sourceId}:{json.status}
		}
		reverse_proxy {{.UpstreamHost}}
	}
	route /hookgate/* {
		webhook_dashboard
	}
}
`

func startInbound(t *testing.T, rc *receiver, vars map[string]any) *caddy {
	if vars == nil {
		vars = map[string]any{}
	}
	vars["Upstream"] = rc.URL
	vars["UpstreamHost"] = strings.TrimPrefix(rc.URL, "http://")
	return startCaddy(t, inboundCaddyfile, vars)
}

type ack struct{ ID, Status string }

func decodeAck(t *testing.T, body string) ack {
	t.Helper()
	var a ack
	require.NoError(t, jsonUnmarshal(body, &a), body)
	return a
}

func TestAcceptedWebhookIsDeliveredAsReceived(t *testing.T) {
	rc := newReceiver(t)
	c := startInbound(t, rc, nil)
	body := `{"id":"evt_1", "type":"context.created",  "name":"ünïcode"}` // spacing kept: no re-serialisation
	code, resp := c.post("/hooks/contextfile?tenant=7", body, map[string]string{"X-Custom": "kept"})
	require.Equal(t, http.StatusAccepted, code, resp)
	a := decodeAck(t, resp)
	assert.Equal(t, "queued", a.Status)

	waitFor(t, 5*time.Second, "delivery", func() bool { return len(rc.deliveries()) == 1 })
	d := rc.deliveries()[0]
	assert.Equal(t, http.MethodPost, d.Method)
	assert.Equal(t, "/hooks/contextfile?tenant=7", d.URI)
	assert.Equal(t, body, d.Body)
	assert.Equal(t, "kept", d.Header.Get("X-Custom"))
	assert.Equal(t, "application/json", d.Header.Get("Content-Type"))
	assert.Equal(t, sign(body), d.Header.Get("X-Webhook-Signature"))
	assert.Equal(t, a.ID, d.Header.Get("Webhook-Id"))
	assert.Equal(t, "1", d.Header.Get("Webhook-Attempt"))
	assert.Equal(t, a.ID, d.Header.Get("Idempotency-Key"))
	assert.Equal(t, "127.0.0.1", d.Header.Get("X-Forwarded-For"))
	waitFor(t, 2*time.Second, "an empty queue", func() bool { return c.stats().Queues[rc.URL].Queued == 0 })
}

func TestBadRequestsAreRejectedAndNothingIsQueued(t *testing.T) {
	rc := newReceiver(t)
	c := startInbound(t, rc, nil)
	big := `{"id":"evt_big","pad":"` + strings.Repeat("x", 1100) + `"}`
	for _, tc := range []struct {
		name   string
		req    func() *http.Request
		status int
		reason string
	}{
		{"wrong signature", signed(c, "/hooks/contextfile", `{"id":"a"}`, "00ff"), 401, "invalid signature"},
		{"missing signature", signed(c, "/hooks/contextfile", `{"id":"a"}`, ""), 401, "invalid signature"},
		{"signature of another body", signed(c, "/hooks/contextfile", `{"id":"a"}`, sign(`{"id":"b"}`)), 401, "invalid signature"},
		{"body over max_body", signed(c, "/hooks/contextfile", big, sign(big)), 413, "body larger than max_body"},
		{"chunked body over max_body", func() *http.Request {
			r := signed(c, "/hooks/contextfile", big, sign(big))()
			r.ContentLength = -1 // sent chunked, so only the read can tell
			r.Body = nopCloser(big)
			return r
		}, 413, "body larger than max_body"},
		{"body not JSON", signed(c, "/hooks/contextfile", `id=a`, sign(`id=a`)), 400, "no dedupe key"},
		{"dedupe field missing", signed(c, "/hooks/contextfile", `{"type":"x"}`, sign(`{"type":"x"}`)), 400, "no dedupe key"},
		{"GET", func() *http.Request {
			r, _ := http.NewRequest(http.MethodGet, "http://"+c.HTTP+"/hooks/contextfile", nil)
			return r
		}, 405, "method GET not allowed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, body := do(t, tc.req())
			assert.Equal(t, tc.status, code, body)
			assert.JSONEq(t, fmt.Sprintf(`{"error":%q}`, tc.reason), body)
		})
	}
	time.Sleep(300 * time.Millisecond)
	assert.Empty(t, rc.deliveries())
	assert.Zero(t, c.stats().Queues[rc.URL].Queued)
	logs := c.logs()
	assert.Contains(t, logs, `"result":"unauthorized","reason":"invalid signature","cause":"signature mismatch`)
	assert.Contains(t, logs, `"result":"too_large"`)
	assert.Contains(t, logs, `"result":"bad_request","reason":"no dedupe key"`)
}

func TestStaleTimestampIsRejected(t *testing.T) {
	rc := newReceiver(t)
	c := startInbound(t, rc, nil)
	body := `{"id":"evt_t"}`
	send := func(ts time.Time) (int, string) {
		stamp := strconv.FormatInt(ts.Unix(), 10)
		return c.post("/hooks/timed", body, map[string]string{
			"X-Webhook-Timestamp": stamp, "X-Webhook-Signature": sign(stamp + "." + body),
		})
	}
	code, resp := send(time.Now().Add(-2 * time.Minute))
	assert.Equal(t, http.StatusUnauthorized, code, resp)
	code, resp = send(time.Now())
	assert.Equal(t, http.StatusAccepted, code, resp)
	assert.Contains(t, c.logs(), `"result":"stale"`)
}

func TestDuplicateIsAcknowledgedButNotForwarded(t *testing.T) {
	rc := newReceiver(t)
	c := startInbound(t, rc, nil)
	body := `{"id":"evt_dup"}`
	code, first := c.post("/hooks/contextfile", body, nil)
	require.Equal(t, http.StatusAccepted, code)
	code, second := c.post("/hooks/contextfile", body, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, ack{ID: decodeAck(t, first).ID, Status: "duplicate"}, decodeAck(t, second))
	time.Sleep(500 * time.Millisecond)
	assert.Len(t, rc.deliveries(), 1)
}

func TestRotatedSecretsBothVerify(t *testing.T) {
	rc := newReceiver(t)
	c := startInbound(t, rc, nil)
	// HOOKGATE_SECRET_OLD is unset: an empty rotation slot is ignored and
	// the current secret verifies.
	code, body := c.post("/hooks/contextfile", `{"id":"evt_rot"}`, nil)
	assert.Equal(t, http.StatusAccepted, code, body)
}

func TestRetriesHonourRetryAfter(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ *http.Request, w http.ResponseWriter) int {
		if n == 1 {
			w.Header().Set("Retry-After", "1")
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	c := startInbound(t, rc, map[string]any{"Retry": "50ms"})
	code, _ := c.post("/hooks/contextfile", `{"id":"evt_ra"}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	waitFor(t, 5*time.Second, "the retry", func() bool { return len(rc.deliveries()) == 2 })
	d := rc.deliveries()
	assert.Equal(t, "2", d[1].Header.Get("Webhook-Attempt"))
	assert.GreaterOrEqual(t, d[1].At.Sub(d[0].At), 950*time.Millisecond, "Retry-After: 1 was not honoured")
}

func TestRetryableFailuresEndInTheDeadLetterQueue(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusBadGateway })
	c := startInbound(t, rc, map[string]any{"Retry": "50ms 50ms"})
	code, resp := c.post("/hooks/contextfile", `{"id":"evt_502"}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	id := decodeAck(t, resp).ID
	waitFor(t, 5*time.Second, "dead letter", func() bool { return c.stats().Queues[rc.URL].Dead == 1 })
	assert.Len(t, rc.deliveries(), 3, "max attempts = schedule + 1")
	var m message
	require.Equal(t, http.StatusOK, c.admin(http.MethodGet, "/webhooks/messages/"+id, &m))
	assert.Equal(t, "dead", m.State)
	assert.Equal(t, 3, m.Attempts)
	assert.Equal(t, 502, m.LastStatus)
}

type message struct {
	ID, State, Queue string
	Attempts         int
	LastStatus       int      `json:"last_status"`
	HeaderNames      []string `json:"header_names"`
}

func TestPermanentFailureIsDeadAtOnceAndReplayable(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ *http.Request, _ http.ResponseWriter) int {
		if n == 1 {
			return http.StatusUnprocessableEntity
		}
		return http.StatusOK
	})
	c := startInbound(t, rc, nil)
	code, resp := c.post("/hooks/contextfile", `{"id":"evt_422"}`, map[string]string{"Authorization": "Bearer " + secret})
	require.Equal(t, http.StatusAccepted, code)
	id := decodeAck(t, resp).ID
	waitFor(t, 5*time.Second, "dead letter", func() bool { return c.stats().Queues[rc.URL].Dead == 1 })
	assert.Len(t, rc.deliveries(), 1, "a 4xx is not retried")

	var list struct{ Messages []message }
	require.Equal(t, http.StatusOK, c.admin(http.MethodGet, "/webhooks/messages?state=dead", &list))
	require.Len(t, list.Messages, 1)
	assert.Equal(t, id, list.Messages[0].ID)
	assert.Equal(t, 422, list.Messages[0].LastStatus)
	assert.Contains(t, list.Messages[0].HeaderNames, "Authorization") // the name, never the value

	require.Equal(t, http.StatusOK, c.admin(http.MethodPost, "/webhooks/messages/"+id+"/replay", nil))
	waitFor(t, 5*time.Second, "replayed delivery", func() bool { return len(rc.deliveries()) == 2 })
	assert.Equal(t, `{"id":"evt_422"}`, rc.deliveries()[1].Body)
	waitFor(t, 2*time.Second, "message removed", func() bool {
		return c.admin(http.MethodGet, "/webhooks/messages/"+id, nil) == http.StatusNotFound
	})
	assert.Zero(t, c.stats().Queues[rc.URL].Dead)
}

func TestAdminAPIRefusesBadRequests(t *testing.T) {
	rc := newReceiver(t)
	c := startInbound(t, rc, nil)
	assert.Equal(t, http.StatusBadRequest, c.admin(http.MethodGet, "/webhooks/messages/not-an-id", nil))
	assert.Equal(t, http.StatusBadRequest, c.admin(http.MethodDelete, "/webhooks/messages/msg_short", nil))
	assert.Equal(t, http.StatusNotFound, c.admin(http.MethodGet, "/webhooks/messages/msg_01M82MAFVSA0RW4001RXKQ5X2S", nil))
	assert.Equal(t, http.StatusNotFound, c.admin(http.MethodDelete, "/webhooks/messages/msg_01M82MAFVSA0RW4001RXKQ5X2S", nil))
	assert.Equal(t, http.StatusNotFound, c.admin(http.MethodPost, "/webhooks/messages/msg_01M82MAFVSA0RW4001RXKQ5X2S/replay", nil))
	assert.Equal(t, http.StatusNotFound, c.admin(http.MethodPost, "/webhooks/messages/msg_01M82MAFVSA0RW4001RXKQ5X2S/explode", nil))
	assert.Equal(t, http.StatusBadRequest, c.admin(http.MethodGet, "/webhooks/messages?state=lost", nil))
	assert.Equal(t, http.StatusBadRequest, c.admin(http.MethodGet, "/webhooks/messages?limit=0", nil))
	assert.Equal(t, http.StatusMethodNotAllowed, c.admin(http.MethodPost, "/webhooks/stats", nil))
}

func TestDeleteRemovesAQueuedMessage(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusServiceUnavailable })
	c := startInbound(t, rc, map[string]any{"Retry": "1h"})
	code, resp := c.post("/hooks/contextfile", `{"id":"evt_del"}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	id := decodeAck(t, resp).ID
	waitFor(t, 5*time.Second, "first attempt", func() bool { return len(rc.deliveries()) == 1 })
	assert.Equal(t, http.StatusNoContent, c.admin(http.MethodDelete, "/webhooks/messages/"+id, nil))
	assert.Equal(t, http.StatusNotFound, c.admin(http.MethodGet, "/webhooks/messages/"+id, nil))
	assert.Zero(t, c.stats().Queues[rc.URL].Queued)
}

func TestVerifyOnlyReleasesTheKeyWhenTheUpstreamFails(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ *http.Request, _ http.ResponseWriter) int {
		if n == 1 {
			return http.StatusInternalServerError
		}
		return http.StatusNoContent
	})
	c := startInbound(t, rc, nil)
	body := `{"sourceId":"src_1","status":"completed"}`
	code, _ := c.post("/hooks/direct", body, nil)
	assert.Equal(t, http.StatusInternalServerError, code, "the upstream's answer passes through")
	code, _ = c.post("/hooks/direct", body, nil)
	assert.Equal(t, http.StatusNoContent, code, "the sender's retry is let through")
	code, resp := c.post("/hooks/direct", body, nil)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, "duplicate", decodeAck(t, resp).Status)
	code, _ = c.post("/hooks/direct", `{"sourceId":"src_1","status":"failed"}`, nil)
	assert.Equal(t, http.StatusNoContent, code, "another status is another event")
	d := rc.deliveries()
	require.Len(t, d, 3)
	assert.Equal(t, body, d[1].Body)
	code, _ = c.post("/hooks/direct", body, map[string]string{"X-Webhook-Signature": "bad"})
	assert.Equal(t, http.StatusUnauthorized, code)
	assert.Len(t, rc.deliveries(), 3)
}

// TestVerifyOnlyNeverCallsAnUnfinishedWebhookADuplicate: while a webhook is
// being handed on, its duplicate gets 409 (not 200, which would tell the
// sender to stop), and still 409 after Caddy is killed mid-request, because
// the key was only held; the hold lapses after a minute (store suite:
// ClaimHold), when the sender's retry passes.
func TestVerifyOnlyNeverCallsAnUnfinishedWebhookADuplicate(t *testing.T) {
	rc := newReceiver(t)
	release := make(chan struct{})
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int {
		<-release
		return http.StatusNoContent
	})
	defer close(release)
	c := startInbound(t, rc, nil)
	body := `{"sourceId":"src_held","status":"completed"}`
	first := c.request("/hooks/direct", body, nil)
	go func() { _, _, _ = send(first) }() // cut short by the kill below
	waitFor(t, 5*time.Second, "the webhook reaches the app", func() bool { return len(rc.deliveries()) == 1 })

	code, resp := c.post("/hooks/direct", body, nil)
	assert.Equal(t, http.StatusConflict, code, "a duplicate of a webhook in flight: %s", resp)

	c.kill()
	c.start()
	code, resp = c.post("/hooks/direct", body, nil)
	assert.Equal(t, http.StatusConflict, code, "after a crash mid-request the key is still only held: %s", resp)
	assert.Len(t, rc.deliveries(), 1, "neither duplicate was forwarded")
}

// TestNothingAcknowledgedIsLostWhenCaddyIsKilled acks 500 webhooks while the
// upstream is down, kills Caddy with SIGKILL, restarts it with the upstream
// up, and expects every acknowledged webhook delivered.
func TestNothingAcknowledgedIsLostWhenCaddyIsKilled(t *testing.T) {
	const n = 500
	port := freePort(t) // nothing listens there yet
	upstream := fmt.Sprintf("http://127.0.0.1:%d", port)
	c := startCaddy(t, inboundCaddyfile, map[string]any{"Upstream": upstream, "UpstreamHost": "127.0.0.1:1", "Retry": "1s 1s 1s 1s 1s 1s 1s 1s 1s 1s"})

	acked := sendMany(t, c, n, 16, "evt_kill_")
	require.Len(t, acked, n)
	c.kill()

	rc := newReceiverOn(t, port)
	c.start()
	waitFor(t, 60*time.Second, "every acknowledged webhook delivered", func() bool { return len(rc.deliveredIDs()) == n })
	for id, count := range rc.deliveredIDs() {
		assert.Equal(t, 1, count, "webhook %s delivered %d times", id, count)
	}
	waitFor(t, 5*time.Second, "an empty queue", func() bool { return c.stats().Queues[upstream].Queued == 0 })
}

// TestReloadUnderLoadLosesAndRepeatsNothing reloads a changed config five
// times while webhooks arrive and are delivered.
func TestReloadUnderLoadLosesAndRepeatsNothing(t *testing.T) {
	const n = 600
	rc := newReceiver(t)
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int { time.Sleep(5 * time.Millisecond); return 200 })
	c := startInbound(t, rc, nil)

	var acked map[string]bool
	done := make(chan struct{})
	go func() { defer close(done); acked = sendMany(t, c, n, 4, "evt_reload_") }()
	for i := 0; i < 5; i++ {
		time.Sleep(150 * time.Millisecond)
		c.Vars["Concurrency"] = 2 + 3*(i%2)
		c.reload(inboundCaddyfile)
	}
	<-done
	require.Len(t, acked, n)
	waitFor(t, 30*time.Second, "every webhook delivered", func() bool { return len(rc.deliveredIDs()) == n })
	time.Sleep(300 * time.Millisecond)
	for id, count := range rc.deliveredIDs() {
		assert.Equal(t, 1, count, "webhook %s delivered %d times", id, count)
	}

	// Workers do not leak: ten more reloads leave the goroutine count flat.
	before := goroutines(t, c)
	for i := 0; i < 10; i++ {
		c.Vars["Concurrency"] = 3 + i%2
		c.reload(inboundCaddyfile)
	}
	time.Sleep(500 * time.Millisecond)
	assert.InDelta(t, before, goroutines(t, c), 15, "goroutines before and after 10 reloads")
}

// sendMany posts n distinct signed webhooks from workers goroutines and
// returns the ids that were acknowledged with 202. Like a real sender, it
// retries an attempt that got no answer or a 5xx (Caddy closes idle
// keep-alive connections on a reload, so a request may race the close); a
// retry answered "duplicate" counts as acknowledged.
func sendMany(t *testing.T, c *caddy, n, workers int, prefix string) map[string]bool {
	var mu sync.Mutex
	acked := map[string]bool{}
	next := make(chan int)
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range next {
				id := fmt.Sprintf("%s%d", prefix, i)
				if sendUntilAnswered(t, c, fmt.Sprintf(`{"id":%q}`, id)) {
					mu.Lock()
					acked[id] = true
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < n; i++ {
		next <- i
	}
	close(next)
	wg.Wait()
	return acked
}

// sendUntilAnswered posts body up to five times and reports whether it was
// accepted (202, or 200 duplicate after a lost answer).
func sendUntilAnswered(t *testing.T, c *caddy, body string) bool {
	for attempt := 0; attempt < 5; attempt++ {
		code, resp, err := send(c.request("/hooks/contextfile", body, nil))
		switch {
		case err != nil || code >= 500:
			time.Sleep(50 * time.Millisecond)
		case code == http.StatusAccepted:
			return true
		case code == http.StatusOK && strings.Contains(resp, `"duplicate"`):
			return attempt > 0
		default:
			t.Errorf("%s: unexpected %d %s", body, code, resp)
			return false
		}
	}
	t.Errorf("%s: no answer after five attempts", body)
	return false
}

// TestValidateBesideARunningServer runs `caddy validate` on the running
// server's config and data directory: provisioning must not wait for the
// embedded database, which the server holds locked.
func TestValidateBesideARunningServer(t *testing.T) {
	rc := newReceiver(t)
	c := startInbound(t, rc, nil)
	code, _ := c.post("/hooks/contextfile", `{"id":"evt_validate"}`, nil)
	require.Equal(t, http.StatusAccepted, code) // the store is open, its file locked

	cmd := exec.Command(caddyBin, "validate", "--config", c.config, "--adapter", "caddyfile")
	cmd.Env = c.env()
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.Contains(t, string(out), "Valid configuration") // opening the locked file would have failed
}
