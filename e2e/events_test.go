package e2e

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// notifySecret signs the notifications (a Standard Webhooks whsec_ key).
const notifySecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// eventsGlobal sends operational events to {{.Notify}}.
const eventsGlobal = `{
	admin {{.Admin}}
	webhooks {
		stale_after 1s
		notify {{.Notify}} {
			retry 100ms 100ms
			sign standard_webhooks {
				secret ` + notifySecret + `
			}
		}
	}
}
`

const eventsCaddyfile = eventsGlobal + `http://{{.HTTP}} {
	route /hooks/contextfile {
		webhook_inbound {
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Upstream}} {
				retry 1h
			}
		}
	}
}
`

type notification struct {
	Type string
	Data map[string]any
}

// verifyStandardWebhook checks d as the Standard Webhooks spec tells a
// receiver to, written out here rather than taken from Hookgate's signature
// package, so that a bug there cannot vouch for itself: HMAC-SHA256 keyed
// with the base64 after whsec_, over "id.timestamp.body"; one of the
// space-separated signatures is "v1,<base64>"; the timestamp within 5
// minutes of receipt.
func verifyStandardWebhook(d delivery, secret string) error {
	id, ts := d.Header.Get("Webhook-Id"), d.Header.Get("Webhook-Timestamp")
	if id == "" || ts == "" {
		return errors.New("webhook-id or webhook-timestamp missing")
	}
	sec, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return fmt.Errorf("webhook-timestamp %q: %w", ts, err)
	}
	if skew := d.At.Sub(time.Unix(sec, 0)).Abs(); skew > 5*time.Minute {
		return fmt.Errorf("webhook-timestamp %s off", skew)
	}
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil {
		return err
	}
	m := hmac.New(sha256.New, key)
	m.Write([]byte(id + "." + ts + "." + d.Body))
	want := m.Sum(nil)
	for _, sig := range strings.Fields(d.Header.Get("Webhook-Signature")) {
		version, b64, _ := strings.Cut(sig, ",")
		got, err := base64.StdEncoding.DecodeString(b64)
		if version == "v1" && err == nil && hmac.Equal(got, want) {
			return nil
		}
	}
	return errors.New("no v1 signature matches")
}

// notifications verifies each request the ops receiver got as a Standard
// Webhook and returns their payloads.
func notifications(t *testing.T, ops *receiver) []notification {
	var out []notification
	for _, d := range ops.deliveries() {
		require.NoError(t, verifyStandardWebhook(d, notifySecret), "a notification's signature")
		var n notification
		require.NoError(t, json.Unmarshal([]byte(d.Body), &n))
		out = append(out, n)
	}
	return out
}

// notified returns the latest notification of each type.
func notified(t *testing.T, ops *receiver) map[string]notification {
	byType := map[string]notification{}
	for _, n := range notifications(t, ops) {
		byType[n.Type] = n
	}
	return byType
}

func TestDeadLettersAndStaleQueuesNotifyOps(t *testing.T) {
	ops := newReceiver(t)
	rc := newReceiver(t)
	rc.setAnswer(func(_ int, r *http.Request, _ http.ResponseWriter) int {
		if strings.Contains(r.Header.Get("Content-Type"), "json") && r.ContentLength > 0 {
			var v struct{ ID string }
			_ = json.NewDecoder(r.Body).Decode(&v)
			if v.ID == "evt_doomed" {
				return http.StatusUnprocessableEntity
			}
		}
		return http.StatusServiceUnavailable // the others wait an hour
	})
	c := startCaddy(t, eventsCaddyfile, map[string]any{"Upstream": rc.URL, "Notify": ops.URL})

	code, resp := c.post("/hooks/contextfile", `{"id":"evt_doomed"}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	doomed := decodeAck(t, resp).ID
	code, _ = c.post("/hooks/contextfile", `{"id":"evt_waiting"}`, nil)
	require.Equal(t, http.StatusAccepted, code)

	waitFor(t, 10*time.Second, "two notifications", func() bool { return len(ops.deliveries()) >= 2 })
	byType := notified(t, ops)
	require.Contains(t, byType, "hookgate.webhook_dead")
	assert.Equal(t, doomed, byType["hookgate.webhook_dead"].Data["id"])
	assert.Equal(t, rc.URL, byType["hookgate.webhook_dead"].Data["queue"])
	require.Contains(t, byType, "hookgate.queue_stale")
	assert.Equal(t, rc.URL, byType["hookgate.queue_stale"].Data["queue"])

	time.Sleep(1500 * time.Millisecond)
	stale := 0
	for _, n := range notifications(t, ops) {
		if n.Type == "hookgate.queue_stale" {
			stale++
		}
	}
	assert.Equal(t, 1, stale, "a stale queue is reported once, not at every check")
}

// TestEventsEndpointDisabledAndEnabledNotifyOps: a 410 disables an outbound
// endpoint and enabling it through the admin API enables it; each sends ops
// a signed notification naming the endpoint (and why it was disabled).
func TestEventsEndpointDisabledAndEnabledNotifyOps(t *testing.T) {
	ops, gone := newReceiver(t), newReceiver(t)
	gone.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusGone })
	c := startCaddy(t, eventsGlobal+"http://{{.HTTP}} {\n"+disableRoutes+"\n}\n",
		map[string]any{"Notify": ops.URL, "Gone": gone.URL, "Flaky": newReceiver(t).URL})

	code, _ := emit(t, c, "/gone", `{"n":1}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	waitFor(t, 10*time.Second, "endpoint_disabled", func() bool { return notified(t, ops)["hookgate.endpoint_disabled"].Type != "" })
	assert.NotContains(t, notified(t, ops), "hookgate.endpoint_enabled")
	code, _ = adminJSON(t, c, http.MethodPost, "/webhooks/endpoints/gone/enable", nil, nil)
	require.Equal(t, http.StatusOK, code)
	waitFor(t, 10*time.Second, "endpoint_enabled", func() bool { return notified(t, ops)["hookgate.endpoint_enabled"].Type != "" })

	byType := notified(t, ops)
	disabled, enabled := byType["hookgate.endpoint_disabled"].Data, byType["hookgate.endpoint_enabled"].Data
	assert.Equal(t, "gone", disabled["endpoint"])
	assert.Equal(t, "gone", disabled["route"])
	assert.Contains(t, disabled["reason"], "410")
	assert.Equal(t, map[string]any{"endpoint": "gone", "route": "gone"}, enabled)

	// The verifier is not a rubber stamp: a changed body, or another key, fails it.
	d := ops.deliveries()[0]
	require.NoError(t, verifyStandardWebhook(d, notifySecret))
	assert.Error(t, verifyStandardWebhook(d, "whsec_"+base64.StdEncoding.EncodeToString([]byte("another key"))))
	d.Body += " "
	assert.Error(t, verifyStandardWebhook(d, notifySecret))
}
