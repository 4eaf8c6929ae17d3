package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const ackCaddyfile = `{
	admin {{.Admin}}
}
http://{{.HTTP}} {
	route /hooks/contextfile {
		webhook_inbound {
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			ack within 500ms
			upstream {{.Upstream}} {
				timeout 5s
				retry 200ms
			}
		}
	}
}
`

func TestAckWithinPassesAFastUpstreamsAnswerThrough(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(_ int, _ *http.Request, w http.ResponseWriter) int {
		w.Header().Set("X-App", "yes")
		w.WriteHeader(http.StatusCreated)
		_, _ = w.Write([]byte(`{"created":true}`))
		return 0
	})
	c := startCaddy(t, ackCaddyfile, map[string]any{"Upstream": rc.URL})
	code, body := c.post("/hooks/contextfile", `{"id":"evt_fast"}`, nil)
	assert.Equal(t, http.StatusCreated, code)
	assert.Equal(t, `{"created":true}`, body)
	time.Sleep(300 * time.Millisecond)
	assert.Len(t, rc.deliveries(), 1, "delivered once: the queue does not try again")
	assert.Zero(t, c.stats().Queues[rc.URL].Queued)
}

func TestAckWithinAnswers202PastTheBudgetAndStillDeliversOnce(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int { time.Sleep(2 * time.Second); return http.StatusOK })
	c := startCaddy(t, ackCaddyfile, map[string]any{"Upstream": rc.URL})
	start := time.Now()
	code, body := c.post("/hooks/contextfile", `{"id":"evt_slow"}`, nil)
	took := time.Since(start)
	require.Equal(t, http.StatusAccepted, code, body)
	assert.Equal(t, "queued", decodeAck(t, body).Status)
	assert.Less(t, took, 1500*time.Millisecond, "answered at the budget, not after the upstream's 2 s")
	waitFor(t, 5*time.Second, "the delivery", func() bool { return len(rc.deliveries()) == 1 })
	time.Sleep(2500 * time.Millisecond)
	assert.Len(t, rc.deliveries(), 1, "the attempt past the budget is not repeated by the queue")
	assert.Zero(t, c.stats().Queues[rc.URL].Queued)
}

func TestAckWithinLeavesARetryToTheQueue(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ *http.Request, _ http.ResponseWriter) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusOK
	})
	c := startCaddy(t, ackCaddyfile, map[string]any{"Upstream": rc.URL})
	code, body := c.post("/hooks/contextfile", `{"id":"evt_retry"}`, nil)
	require.Equal(t, http.StatusAccepted, code, "a 503 is the queue's to retry, not the sender's")
	assert.Equal(t, "queued", decodeAck(t, body).Status)
	waitFor(t, 5*time.Second, "the retry", func() bool { return len(rc.deliveries()) == 2 })
}
