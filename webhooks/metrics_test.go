package webhooks

import (
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
)

func TestDisabledByRoute(t *testing.T) {
	a := &App{shared: &openStore{}, routes: map[string]*OutboundRoute{
		"events": {Name: "events", Endpoints: []queue.Endpoint{
			{ID: "crm", Route: "events", Config: true},
			{ID: "billing", Route: "events", Config: true},
		}},
		"quiet": {Name: "quiet", Endpoints: []queue.Endpoint{{ID: "quiet", Route: "quiet", Config: true}}},
	}}
	a.shared.endpoints.replace([]*queue.Endpoint{
		{ID: "crm", Route: "events", Config: true, Disabled: true},
		{ID: "api1", Route: "events", Disabled: true},
		{ID: "api2", Route: "events"},
		{ID: "orphan", Route: "removed", Disabled: true},
		{ID: "old", Route: "removed", Config: true, Disabled: true}, // a config endpoint no longer configured
	}, time.Now())
	assert.Equal(t, map[string]int{"events": 2, "quiet": 0, "removed": 1}, a.disabledByRoute())

	a.shared.endpoints.remove("api1")
	a.shared.endpoints.put(&queue.Endpoint{ID: "crm", Route: "events", Config: true})
	assert.Equal(t, map[string]int{"events": 0, "quiet": 0, "removed": 1}, a.disabledByRoute(),
		"deleting and enabling bring a route back to 0")
}

// TestCodeLabel: the code label takes a fixed set of values, whatever status
// an upstream makes up; the common codes keep their own label.
func TestCodeLabel(t *testing.T) {
	for _, tc := range []struct {
		status int
		want   string
	}{
		{0, "0"}, {200, "200"}, {204, "204"}, {302, "302"}, {404, "404"}, {410, "410"},
		{429, "429"}, {500, "500"}, {503, "503"},
		{299, "other"}, {599, "other"}, {999, "other"}, {100, "other"}, {418, "other"},
		{-1, "other"}, {1 << 30, "other"},
	} {
		assert.Equal(t, tc.want, codeLabel(tc.status), "status %d", tc.status)
	}
}

// TestAttemptCodesAreBounded: a thousand made-up statuses add one series.
func TestAttemptCodesAreBounded(t *testing.T) {
	reg := prometheus.NewRegistry()
	m := registerMetrics(reg)
	m.attempts.Reset()
	t.Cleanup(m.attempts.Reset)
	for status := 1000; status < 2000; status++ {
		m.attempt(delivery.Attempt{Queue: "q", Outcome: delivery.Dead, Status: status})
	}
	m.attempt(delivery.Attempt{Queue: "q", Outcome: delivery.Dead, Status: 599})
	m.attempt(delivery.Attempt{Queue: "q", Outcome: delivery.Dead, Status: 410})

	families, err := reg.Gather()
	require.NoError(t, err)
	got := map[string]float64{}
	for _, f := range families {
		if f.GetName() != "hookgate_delivery_attempts_total" {
			continue
		}
		for _, s := range f.GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "code" {
					got[l.GetValue()] = s.GetCounter().GetValue()
				}
			}
		}
	}
	assert.Equal(t, map[string]float64{"other": 1001, "410": 1}, got)
}
