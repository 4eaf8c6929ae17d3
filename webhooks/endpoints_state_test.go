package webhooks

import (
	"errors"
	"net/http"
	"net/netip"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/internal/netguard"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/endpointsapi"
	"github.com/hookgate/hookgate/webhooks/endpointstate"
	"github.com/hookgate/hookgate/webhooks/metrics"
)

// The endpoint state machine (endpointstate, endpoints.go) against an in-memory store:
// disable and enable, by the admin API, by a 410 and by disable_after;
// what is stored for a config endpoint; and the admin API's conflicts.

// stateRoute is a fan-out route named events with the config endpoint crm,
// disabling its endpoints after disableAfter failed attempts.
func stateRoute(disableAfter int) *OutboundRoute {
	return &OutboundRoute{Name: "events", FanOut: true, DisableAfter: disableAfter,
		Endpoints: []queue.Endpoint{{ID: "crm", Route: "events", URL: "https://crm.example/hook", Config: true}},
		Policy:    func(e *queue.Endpoint) (*delivery.Policy, error) { return &delivery.Policy{URL: e.URL}, nil },
		Guard:     &netguard.Rules{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}
}

// shown is endpoint id as the app shows it (merged with its stored state).
func shown(t *testing.T, a *App, id string) queue.Endpoint {
	t.Helper()
	for _, e := range endpointsapi.All(apiApp{a}) {
		if e.ID == id {
			return e
		}
	}
	t.Fatalf("endpoint %s is not shown", id)
	return queue.Endpoint{}
}

// disabledCount reads hookgate_endpoints_disabled_total{route="events",reason}.
func disabledCount(t *testing.T, reason string) float64 {
	t.Helper()
	reg := prometheus.NewRegistry()
	metrics.RegisterEndpoints(reg, running{})
	families, err := reg.Gather()
	require.NoError(t, err)
	for _, f := range families {
		for _, m := range f.GetMetric() {
			labels := map[string]string{}
			for _, l := range m.GetLabel() {
				labels[l.GetName()] = l.GetValue()
			}
			if labels["route"] == "events" && labels["reason"] == reason {
				return m.GetCounter().GetValue()
			}
		}
	}
	return 0
}

// TestEndpointDisableEnableConfig: disabling a config endpoint stores its
// state only (the config keeps its URL and secrets); doing it twice
// changes nothing; enabling clears the reason and forgives its failures.
func TestEndpointDisableEnableConfig(t *testing.T) {
	st := &fakeStore{}
	a := runningApp(t, st, stateRoute(0))
	ref := endpointstate.Ref{ID: "crm", Route: "events"}
	before := disabledCount(t, "admin")

	require.NoError(t, a.shared.setDisabled(ref, true, "admin", "disabled through the admin API"))
	rec := st.endpoint("crm")
	require.NotNil(t, rec)
	assert.True(t, rec.Config && rec.Disabled)
	assert.Equal(t, "disabled through the admin API", rec.DisabledReason)
	assert.False(t, rec.DisabledAt.IsZero())
	assert.Empty(t, rec.URL, "only the state of a config endpoint is stored")
	e := shown(t, a, "crm")
	assert.True(t, e.Disabled)
	assert.Equal(t, "https://crm.example/hook", e.URL)
	assert.Equal(t, before+1, disabledCount(t, "admin"))

	puts := st.puts
	require.NoError(t, a.shared.setDisabled(ref, true, "admin", "again"))
	assert.Equal(t, puts, st.puts, "already disabled: nothing stored")
	assert.Equal(t, "disabled through the admin API", st.endpoint("crm").DisabledReason)
	assert.Equal(t, before+1, disabledCount(t, "admin"), "counted once")

	a.shared.endpoints.Count("crm", false)
	require.NoError(t, a.shared.setDisabled(ref, false, "admin", ""))
	rec = st.endpoint("crm")
	assert.False(t, rec.Disabled)
	assert.Empty(t, rec.DisabledReason)
	assert.True(t, rec.DisabledAt.IsZero())
	assert.False(t, shown(t, a, "crm").Disabled)
	assert.Equal(t, 1, a.shared.endpoints.Count("crm", false), "enabling forgave the failures")
}

// TestEndpointDisableRefusals: an unknown endpoint, a route not running
// and a store that fails leave the state as it was.
func TestEndpointDisableRefusals(t *testing.T) {
	st := &fakeStore{}
	a := runningApp(t, st, stateRoute(0))
	err := a.shared.setDisabled(endpointstate.Ref{ID: "nope", Route: "events"}, true, "admin", "x")
	assert.ErrorIs(t, err, queue.ErrEndpointNotFound)
	assert.Error(t, a.shared.setDisabled(endpointstate.Ref{ID: "crm", Route: "gone"}, true, "admin", "x"))

	st.failPut = errors.New("disk full")
	assert.ErrorContains(t, a.shared.setDisabled(endpointstate.Ref{ID: "crm", Route: "events"}, true, "admin", "x"), "disk full")
	assert.Nil(t, st.endpoint("crm"))
	assert.False(t, shown(t, a, "crm").Disabled)
}

// TestEndpointAttemptResults: a 410 Gone disables an endpoint at once;
// disable_after failures in a row disable it, a success between them
// starts the run again; an attempt of a queue that is no endpoint's is
// ignored.
func TestEndpointAttemptResults(t *testing.T) {
	st := &fakeStore{}
	require.NoError(t, st.PutEndpoint(&queue.Endpoint{ID: "api1", Route: "events", URL: "https://a.example/h"}))
	a := runningApp(t, st, stateRoute(3))
	a.shared.policies(a) // ties each endpoint's queue to it
	attempt := func(id string, outcome delivery.Outcome, status int) {
		q := (&queue.Endpoint{ID: id, Route: "events"}).Queue()
		a.shared.endpointAttempt(delivery.Attempt{Queue: q, Outcome: outcome, Status: status})
	}
	disabled := func(id string) func() bool {
		return func() bool { e := st.endpoint(id); return e != nil && e.Disabled }
	}

	gone := disabledCount(t, "gone")
	attempt("api1", "retry", http.StatusGone)
	require.Eventually(t, disabled("api1"), 2*time.Second, 5*time.Millisecond)
	assert.Equal(t, "the endpoint answered 410 Gone", st.endpoint("api1").DisabledReason)
	assert.Equal(t, gone+1, disabledCount(t, "gone"))
	assert.Equal(t, "https://a.example/h", st.endpoint("api1").URL, "an API endpoint is stored whole")

	failing := disabledCount(t, "failing")
	attempt("crm", "retry", 500)
	attempt("crm", "retry", 0)
	attempt("crm", "delivered", 200)
	attempt("crm", "retry", 503)
	attempt("crm", "dead", 500)
	time.Sleep(20 * time.Millisecond)
	assert.Nil(t, st.endpoint("crm"), "two failures since the success: still active, nothing stored")
	attempt("crm", "retry", 500)
	require.Eventually(t, disabled("crm"), 2*time.Second, 5*time.Millisecond)
	assert.Equal(t, "3 consecutive failed attempts", st.endpoint("crm").DisabledReason)
	assert.Equal(t, failing+1, disabledCount(t, "failing"))

	puts := st.puts
	a.shared.endpointAttempt(delivery.Attempt{Queue: "inbound-queue", Outcome: "retry", Status: http.StatusGone})
	time.Sleep(20 * time.Millisecond)
	assert.Equal(t, puts, st.puts, "not an endpoint's queue")
}

// TestEndpointAPIConflicts: what the config defines changes only in the
// config (409), ids are unique across config and store, a route with a
// single destination takes no endpoints, and a stored endpoint whose route
// is not configured cannot change its URL; enable and disable apply to
// config endpoints too.
func TestEndpointAPIConflicts(t *testing.T) {
	st := &fakeStore{}
	require.NoError(t, st.PutEndpoint(&queue.Endpoint{ID: "api1", Route: "events", URL: "https://a.example/h", Secrets: []string{"s"}}))
	require.NoError(t, st.PutEndpoint(&queue.Endpoint{ID: "orphan", Route: "removed", URL: "https://o.example/h", Secrets: []string{"s"}}))
	single := &OutboundRoute{Name: "single", Endpoints: []queue.Endpoint{{ID: "single", Route: "single", Config: true}}}
	a := runningApp(t, st, stateRoute(0), single)
	routes := AdminRoutes(View{})
	call := func(method, path, body string) int {
		code, text := serveRoutes(t, routes, method, path, body)
		t.Logf("%s %s: %d %s", method, path, code, text)
		return code
	}

	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{http.MethodPatch, "/webhooks/endpoints/crm", `{"url":"https://10.0.0.1/"}`, http.StatusConflict},
		{http.MethodPatch, "/webhooks/endpoints/crm", `{"events":["a.*"]}`, http.StatusConflict},
		{http.MethodPost, "/webhooks/endpoints/crm/rotate", ``, http.StatusConflict},
		{http.MethodDelete, "/webhooks/endpoints/crm", ``, http.StatusConflict},
		{http.MethodPost, "/webhooks/endpoints", `{"route":"events","id":"crm","url":"https://10.0.0.1/"}`, http.StatusConflict},
		{http.MethodPost, "/webhooks/endpoints", `{"route":"events","id":"api1","url":"https://10.0.0.1/"}`, http.StatusConflict},
		{http.MethodPost, "/webhooks/endpoints", `{"route":"events","id":"orphan","url":"https://10.0.0.1/"}`, http.StatusConflict},
		{http.MethodPost, "/webhooks/endpoints", `{"route":"single","id":"new","url":"https://10.0.0.1/"}`, http.StatusConflict},
		{http.MethodPost, "/webhooks/endpoints", `{"route":"removed","id":"new","url":"https://10.0.0.1/"}`, http.StatusNotFound},
		{http.MethodPatch, "/webhooks/endpoints/orphan", `{"url":"https://10.0.0.1/"}`, http.StatusConflict},
		{http.MethodPost, "/webhooks/endpoints/orphan/rotate", ``, http.StatusConflict},
		{http.MethodPatch, "/webhooks/endpoints/api1", `{"secret":"x"}`, http.StatusBadRequest},
		{http.MethodGet, "/webhooks/endpoints/nope", ``, http.StatusNotFound},
	} {
		assert.Equal(t, c.want, call(c.method, c.path, c.body), "%s %s %s", c.method, c.path, c.body)
	}
	assert.Equal(t, "https://a.example/h", st.endpoint("api1").URL, "refusals store nothing")
	assert.Equal(t, "https://o.example/h", st.endpoint("orphan").URL)

	assert.Equal(t, http.StatusOK, call(http.MethodPost, "/webhooks/endpoints/crm/disable", ""))
	assert.True(t, shown(t, a, "crm").Disabled)
	assert.Equal(t, http.StatusOK, call(http.MethodPatch, "/webhooks/endpoints/crm", `{"active":true}`))
	assert.False(t, shown(t, a, "crm").Disabled)

	assert.Equal(t, http.StatusCreated, call(http.MethodPost, "/webhooks/endpoints", `{"route":"events","id":"new","url":"https://10.0.0.1/"}`))
	assert.Equal(t, "https://10.0.0.1/", st.endpoint("new").URL)
	assert.Equal(t, http.StatusNoContent, call(http.MethodDelete, "/webhooks/endpoints/api1", ""))
	assert.Nil(t, st.endpoint("api1"))
	assert.Equal(t, http.StatusNotFound, call(http.MethodGet, "/webhooks/endpoints/api1", ""))
}
