package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"
)

// keepCaddyfile keeps what it delivers for 2s, with the start of each answer.
const keepCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		{{.Storage}}
	}
}
http://{{.HTTP}} {
	route /hooks/keep {
		webhook_inbound {
			name keep
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Upstream}} {
				keep_delivered 2s
				keep_responses
			}
		}
	}
}
`

type keptMessage struct {
	ID          string    `json:"id"`
	State       string    `json:"state"`
	DeliveredAt time.Time `json:"delivered_at"`
	KeepUntil   time.Time `json:"keep_until"`
}

type keptDetail struct {
	keptMessage
	Count   int `json:"attempts"`
	History []struct {
		At        time.Time `json:"at"`
		Status    int       `json:"status"`
		LatencyMS float64   `json:"latency_ms"`
		Error     string    `json:"error"`
		Response  string    `json:"response"`
	} `json:"history"`
}

// TestKeepDelivered: on the embedded store and on Redis, a route with
// keep_delivered lists what it delivered, with its attempts and the first
// 1 KiB of the answer; a replay delivers it again; after the window it is
// swept.
func TestKeepDelivered(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testKeepDelivered(t, "storage embedded") })
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		testKeepDelivered(t, "storage redis "+srv.URL()+" {\n\t\t\tkey_prefix keep:\n\t\t}")
	})
}

func testKeepDelivered(t *testing.T, storage string) {
	answer := strings.Repeat("a", 1000) + strings.Repeat("b", 1000)
	rc := newReceiver(t)
	rc.setAnswer(func(_ int, _ *http.Request, w http.ResponseWriter) int {
		w.WriteHeader(http.StatusOK)
		_, _ = w.Write([]byte(answer))
		return 0
	})
	c := startCaddy(t, keepCaddyfile, map[string]any{"Upstream": rc.URL, "Storage": storage})

	code, body := c.post("/hooks/keep", `{"id":"evt_keep_1"}`, nil)
	require.Equal(t, http.StatusAccepted, code, body)
	waitFor(t, 10*time.Second, "the delivery", func() bool { return len(rc.deliveries()) == 1 })

	var list struct{ Messages []keptMessage }
	waitFor(t, 5*time.Second, "the delivered message listed", func() bool {
		list.Messages = nil
		return c.admin(http.MethodGet, "/webhooks/messages?state=delivered", &list) == http.StatusOK && len(list.Messages) == 1
	})
	m := list.Messages[0]
	assert.Equal(t, "delivered", m.State)
	assert.False(t, m.DeliveredAt.IsZero())
	assert.Equal(t, 2*time.Second, m.KeepUntil.Sub(m.DeliveredAt))
	var st struct {
		Queues map[string]struct{ Queued, Delivered int }
	}
	require.Equal(t, http.StatusOK, c.admin(http.MethodGet, "/webhooks/stats", &st))
	assert.Equal(t, 1, st.Queues["keep"].Delivered)

	var one keptDetail
	require.Equal(t, http.StatusOK, c.admin(http.MethodGet, "/webhooks/messages/"+m.ID, &one))
	assert.Equal(t, 1, one.Count)
	require.Len(t, one.History, 1)
	a := one.History[0]
	assert.Equal(t, 200, a.Status)
	assert.Empty(t, a.Error)
	assert.Positive(t, a.LatencyMS)
	assert.Equal(t, answer[:1024], a.Response, "the first 1 KiB of the answer")

	// Replay: the upstream gets it again, and it is kept again.
	require.Equal(t, http.StatusOK, c.admin(http.MethodPost, "/webhooks/messages/"+m.ID+"/replay", nil))
	waitFor(t, 10*time.Second, "the replayed delivery", func() bool { return len(rc.deliveries()) == 2 })
	d := rc.deliveries()
	assert.Equal(t, d[0].Body, d[1].Body)
	assert.Equal(t, m.ID, d[1].Header.Get("Webhook-Id"))
	waitFor(t, 5*time.Second, "kept again", func() bool {
		one = keptDetail{}
		return c.admin(http.MethodGet, "/webhooks/messages/"+m.ID, &one) == http.StatusOK && one.State == "delivered"
	})
	assert.Len(t, one.History, 2, "both attempts, oldest first")

	// Swept after its window.
	waitFor(t, 10*time.Second, "the kept message swept", func() bool {
		return c.admin(http.MethodGet, "/webhooks/messages/"+m.ID, nil) == http.StatusNotFound
	})
	list.Messages = nil
	require.Equal(t, http.StatusOK, c.admin(http.MethodGet, "/webhooks/messages?state=delivered", &list))
	assert.Empty(t, list.Messages)
	c.assertNoSecretInLogs()
}

// keepFanoutCaddyfile fans out to two upstreams, one of which keeps what it
// delivered.
const keepFanoutCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		storage embedded
	}
}
http://{{.HTTP}} {
	route /hooks/keep {
		webhook_inbound {
			name fan
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Kept}} {
				name kept
				keep_delivered 1h
			}
			upstream {{.Plain}} {
				name plain
			}
		}
	}
}
`

// TestKeepDeliveredFanout: a kept delivery of a fan-out group keeps the
// group's one body after the other delivery went: its replay sends it.
func TestKeepDeliveredFanout(t *testing.T) {
	kept, plain := newReceiver(t), newReceiver(t)
	c := startCaddy(t, keepFanoutCaddyfile, map[string]any{"Kept": kept.URL, "Plain": plain.URL})
	body := `{"id":"evt_fan_1","data":"` + strings.Repeat("x", 300) + `"}`
	code, answer := c.post("/hooks/keep", body, nil)
	require.Equal(t, http.StatusAccepted, code, answer)
	waitFor(t, 10*time.Second, "both deliveries", func() bool {
		return len(kept.deliveries()) == 1 && len(plain.deliveries()) == 1
	})
	var list struct{ Messages []keptMessage }
	waitFor(t, 5*time.Second, "the kept delivery listed", func() bool {
		list.Messages = nil
		return c.admin(http.MethodGet, "/webhooks/messages?state=delivered", &list) == http.StatusOK && len(list.Messages) == 1
	})
	require.Equal(t, http.StatusOK, c.admin(http.MethodPost, "/webhooks/messages/"+list.Messages[0].ID+"/replay", nil))
	waitFor(t, 10*time.Second, "the replay", func() bool { return len(kept.deliveries()) == 2 })
	assert.Equal(t, body, kept.deliveries()[1].Body, "the shared body stayed with the kept delivery")
	assert.Len(t, plain.deliveries(), 1, "only the kept delivery is replayed")
}
