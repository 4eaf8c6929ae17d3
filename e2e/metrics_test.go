package e2e

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
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
	big := `{"id":"evt_big","pad":"` + strings.Repeat("x", 1100) + `"}` // max_body 1KiB
	code, _ = c.post("/hooks/contextfile", big, nil)
	require.Equal(t, http.StatusRequestEntityTooLarge, code)
	code, _ = c.post("/hooks/contextfile", `id=evt_m5`, nil)
	require.Equal(t, http.StatusBadRequest, code)
	old := strconv.FormatInt(time.Now().Add(-2*time.Minute).Unix(), 10) // tolerance 1m
	body := `{"id":"evt_m6"}`
	code, _ = c.post("/hooks/timed", body, map[string]string{"X-Webhook-Timestamp": old, "X-Webhook-Signature": sign(old + "." + body)})
	require.Equal(t, http.StatusUnauthorized, code)
	waitFor(t, 5*time.Second, "two attempts", func() bool { return len(rc.deliveries()) == 2 })

	assert.Equal(t, 2.0, c.metric("hookgate_received_total", `result="accepted",`+route))
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="duplicate",`+route))
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="unauthorized",`+route))
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="too_large",`+route))
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="bad_request",`+route))
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="stale",route="timed"`))
	assert.Equal(t, -1.0, c.metric("hookgate_received_total", `result="unauthorized",route="timed"`), "a stale request is not counted as unauthorized")
	waitFor(t, 5*time.Second, "the attempts counted", func() bool {
		return c.metric("hookgate_delivery_attempts_total", `code="422",outcome="dead",`+queue) == 1 &&
			c.metric("hookgate_delivery_attempts_total", `code="503",outcome="retry",`+queue) == 1
	})
	assert.Equal(t, 1.0, c.metric("hookgate_queue_messages", queue), "one message waits for its retry")
	assert.Equal(t, 1.0, c.metric("hookgate_dead_letters", queue))
	assert.Greater(t, c.metric("hookgate_queue_oldest_age_seconds", queue), 0.0)
	assert.Equal(t, 2.0, c.metric("hookgate_delivery_duration_seconds_count", queue))
}

// TestMetricsEndpointsDisabled: the gauge of endpoints disabled now goes to
// 1 when a 410 disables an endpoint and back to 0 once it is enabled through
// the admin API, while the counter of disablings keeps its count.
func TestMetricsEndpointsDisabled(t *testing.T) {
	gone := newReceiver(t)
	gone.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusGone })
	c := startOutbound(t, disableRoutes, map[string]any{"Gone": gone.URL, "Flaky": newReceiver(t).URL})
	const disabled, disablings = "hookgate_endpoints_disabled", "hookgate_endpoints_disabled_total"
	assert.Equal(t, 0.0, c.metric(disabled, `route="gone"`), "reported as 0 before any disabling")

	code, _ := emit(t, c, "/gone", `{"n":1}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	waitFor(t, 5*time.Second, "the gauge at 1", func() bool { return c.metric(disabled, `route="gone"`) == 1 })
	assert.Equal(t, 1.0, c.metric(disablings, `reason="gone",route="gone"`))
	assert.Equal(t, 0.0, c.metric(disabled, `route="flaky"`), "other routes are not counted")

	code, _ = adminJSON(t, c, http.MethodPost, "/webhooks/endpoints/gone/enable", nil, nil)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, 0.0, c.metric(disabled, `route="gone"`), "enabled: back to 0 at once")
	assert.Equal(t, 1.0, c.metric(disablings, `reason="gone",route="gone"`), "the counter keeps the disabling")
}
