package metrics

import (
	"errors"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
)

// source is a Source with fixed figures; the zero one is no running app.
type source struct {
	stats    map[string]queue.Stats
	disabled map[string]int
}

func (s source) QueueStats() (map[string]queue.Stats, error) {
	if s.stats == nil {
		return nil, errors.New("not running")
	}
	return s.stats, nil
}

func (s source) DisabledByRoute() map[string]int { return s.disabled }

// gauges gathers reg's gauges as name{label} → value.
func gauges(t *testing.T, reg *prometheus.Registry) map[string]float64 {
	t.Helper()
	families, err := reg.Gather()
	require.NoError(t, err)
	out := map[string]float64{}
	for _, f := range families {
		for _, m := range f.GetMetric() {
			if m.GetGauge() != nil {
				out[f.GetName()+"{"+m.GetLabel()[0].GetValue()+"}"] = m.GetGauge().GetValue()
			}
		}
	}
	return out
}

// TestGaugesReadTheSource: the gauges show the source's figures at scrape
// time, and nothing while no app runs.
func TestGaugesReadTheSource(t *testing.T) {
	reg := prometheus.NewRegistry()
	Register(reg, source{})
	RegisterEndpoints(reg, source{})
	assert.Empty(t, gauges(t, reg))

	reg = prometheus.NewRegistry()
	src := source{stats: map[string]queue.Stats{"q": {Queued: 3, Leased: 1, Dead: 2}}, disabled: map[string]int{"events": 1}}
	Register(reg, src)
	RegisterEndpoints(reg, src)
	assert.Equal(t, map[string]float64{
		"hookgate_queue_messages{q}": 3, "hookgate_queue_in_flight{q}": 1, "hookgate_dead_letters{q}": 2,
		"hookgate_endpoints_disabled{events}": 1,
	}, gauges(t, reg), "no oldest age without an oldest message")
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
	m := Register(reg, source{})
	m.attempts.Reset()
	t.Cleanup(m.attempts.Reset)
	for status := 1000; status < 2000; status++ {
		m.Attempt(delivery.Attempt{Queue: "q", Outcome: delivery.Dead, Status: status})
	}
	m.Attempt(delivery.Attempt{Queue: "q", Outcome: delivery.Dead, Status: 599})
	m.Attempt(delivery.Attempt{Queue: "q", Outcome: delivery.Dead, Status: 410})

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
