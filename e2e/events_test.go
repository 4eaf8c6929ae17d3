package e2e

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature"
)

// notifySecret signs the notifications (a Standard Webhooks whsec_ key).
const notifySecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

const eventsCaddyfile = `{
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
http://{{.HTTP}} {
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

// notifications verifies each request the ops receiver got as a Standard
// Webhook and returns their payloads.
func notifications(t *testing.T, ops *receiver) []notification {
	v, err := signature.Config{Scheme: "standard_webhooks"}.NewVerifier([]string{notifySecret}, 0)
	require.NoError(t, err)
	var out []notification
	for _, d := range ops.deliveries() {
		req, _ := http.NewRequest(d.Method, "http://ops"+d.URI, strings.NewReader(d.Body))
		req.Header = d.Header
		require.NoError(t, v.Verify(req, []byte(d.Body), time.Now()), "a notification's signature")
		var n notification
		require.NoError(t, json.Unmarshal([]byte(d.Body), &n))
		out = append(out, n)
	}
	return out
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
	byType := map[string]notification{}
	for _, n := range notifications(t, ops) {
		byType[n.Type] = n
	}
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
