package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// metric returns the value of the sample of name whose labels include
// labels (a regexp over the label text), or -1 if there is none.
func (c *caddy) metric(name, labels string) float64 {
	c.t.Helper()
	resp, err := http.Get("http://" + c.Admin + "/metrics")
	require.NoError(c.t, err)
	defer resp.Body.Close()
	text, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	re := regexp.MustCompile(`(?m)^` + name + `\{[^}]*` + labels + `[^}]*\} (\S+)$`)
	m := re.FindSubmatch(text)
	if m == nil {
		return -1
	}
	v, err := strconv.ParseFloat(string(m[1]), 64)
	require.NoError(c.t, err)
	return v
}

func TestMetricsCountDecisionsAndQueues(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ *http.Request, _ http.ResponseWriter) int {
		if n == 1 {
			return http.StatusUnprocessableEntity
		}
		return http.StatusServiceUnavailable
	})
	c := startInbound(t, rc, map[string]any{"Retry": "1h"})
	route := `route="` + regexp.QuoteMeta(rc.URL) + `"`
	queue := `queue="` + regexp.QuoteMeta(rc.URL) + `"`

	code, _ := c.post("/hooks/contextfile", `{"id":"evt_m1"}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	code, _ = c.post("/hooks/contextfile", `{"id":"evt_m1"}`, nil)
	require.Equal(t, http.StatusOK, code)
	code, _ = c.post("/hooks/contextfile", `{"id":"evt_m2"}`, map[string]string{"X-Webhook-Signature": "00"})
	require.Equal(t, http.StatusUnauthorized, code)
	code, _ = c.post("/hooks/contextfile", `{"id":"evt_m3"}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	waitFor(t, 5*time.Second, "two attempts", func() bool { return len(rc.deliveries()) == 2 })

	assert.Equal(t, 2.0, c.metric("hookgate_received_total", `result="accepted",`+route))
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="duplicate",`+route))
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="unauthorized",`+route))
	waitFor(t, 5*time.Second, "the attempts counted", func() bool {
		return c.metric("hookgate_delivery_attempts_total", `code="422",outcome="dead",`+queue) == 1 &&
			c.metric("hookgate_delivery_attempts_total", `code="503",outcome="retry",`+queue) == 1
	})
	assert.Equal(t, 1.0, c.metric("hookgate_queue_messages", queue), "one message waits for its retry")
	assert.Equal(t, 1.0, c.metric("hookgate_dead_letters", queue))
	assert.Greater(t, c.metric("hookgate_queue_oldest_age_seconds", queue), 0.0)
	assert.Equal(t, 2.0, c.metric("hookgate_delivery_duration_seconds_count", queue))
}
