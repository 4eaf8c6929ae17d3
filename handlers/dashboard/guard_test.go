package dashboard

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDashboardHostAllowed: by default only loopback names and IP literals
// (any port) are answered, never a name an attacker could rebind; an
// origins list replaces that default.
func TestDashboardHostAllowed(t *testing.T) {
	tests := []struct {
		origins []string
		host    string
		want    bool
	}{
		{nil, "localhost", true},
		{nil, "localhost:2020", true},
		{nil, "LocalHost:2020", true},
		{nil, "127.0.0.1", true},
		{nil, "127.0.0.1:8080", true},
		{nil, "[::1]:2020", true},
		{nil, "[::1]", true},
		{nil, "10.1.2.3:2020", true},
		{nil, "[2001:db8::1]:443", true},
		{nil, "evil.example", false},
		{nil, "evil.example:2020", false},
		{nil, "localhost.evil.example", false},
		{nil, "127.0.0.1.nip.io:2020", false},
		{nil, "foo.localhost", false},
		{nil, "localhost.", false},
		{nil, "localhost:http", false},
		{nil, "", false},
		{[]string{"dash.example.com"}, "dash.example.com", true},
		{[]string{"dash.example.com"}, "DASH.example.com:8443", true},
		{[]string{"dash.example.com"}, "localhost:2020", false},
		{[]string{"dash.example.com"}, "127.0.0.1", false},
		{[]string{"dash.example.com"}, "evil.example", false},
		{[]string{"dash.example.com:8443"}, "dash.example.com:8443", true},
		{[]string{"dash.example.com:8443"}, "dash.example.com:9000", false},
		{[]string{"dash.example.com:8443"}, "dash.example.com", false},
		{[]string{"https://dash.example.com"}, "dash.example.com", true},
		{[]string{"[::1]:2020"}, "[::1]:2020", true},
		{[]string{"[::1]:2020"}, "[::1]:2021", false},
	}
	for _, tt := range tests {
		g, err := newHostGuard(tt.origins)
		require.NoError(t, err)
		assert.Equal(t, tt.want, g.hostAllowed(tt.host), "origins %q, Host %q", tt.origins, tt.host)
	}
}

// TestDashboardOriginsConfig: a bad or empty origins list stops the config
// rather than fail open or refuse everything silently.
func TestDashboardOriginsConfig(t *testing.T) {
	tests := []struct {
		origins []string
		ok      bool
	}{
		{nil, true},
		{[]string{"dash.example.com", "dash.example.com:8443", "http://localhost:2020", "[::1]:2020", "::1"}, true},
		{[]string{}, false},
		{[]string{""}, false},
		{[]string{"https://dash.example.com/hookgate/"}, false},
		{[]string{"ftp://dash.example.com"}, false},
		{[]string{"https://user@dash.example.com"}, false},
		{[]string{"*.example.com"}, false},
		{[]string{"dash.example.com:https"}, false},
		{[]string{"a:b:c"}, false},
	}
	for _, tt := range tests {
		d := &Handler{Origins: tt.origins}
		err := d.Provision(caddy.Context{})
		assert.Equal(t, tt.ok, err == nil, "origins %q: %v", tt.origins, err)
	}
}

// TestDashboardGuardsRequests drives the handler: which Host, Origin,
// Referer and Sec-Fetch-Site a read or a write may carry, and read_only.
// Passing the guard, the API answers 503 here (no webhooks app runs).
func TestDashboardGuardsRequests(t *testing.T) {
	const (
		page   = "/hookgate/"
		stats  = "/hookgate/api/stats"
		replay = "/hookgate/api/messages/msg_01J00000000000000000000000/replay"
		self   = "http://127.0.0.1:2020"
	)
	fromPage := map[string]string{"X-Hookgate-Dashboard": "1", "Origin": self}
	tests := []struct {
		name     string
		origins  []string
		readOnly bool
		method   string
		host     string
		path     string
		header   map[string]string
		want     int
	}{
		{"page on loopback IP", nil, false, "GET", "127.0.0.1:2020", page, nil, 200},
		{"page on localhost", nil, false, "GET", "localhost:2020", page, nil, 200},
		{"page on an IP literal", nil, false, "GET", "192.0.2.10:2020", page, nil, 200},
		{"page on a rebound name", nil, false, "GET", "evil.example:2020", page, nil, 403},
		{"API read without Origin", nil, false, "GET", "127.0.0.1:2020", stats, nil, 503},
		{"API read on a rebound name", nil, false, "GET", "evil.example", stats, nil, 403},
		{"write from the page", nil, false, "POST", "127.0.0.1:2020", replay, fromPage, 503},
		{"delete from the page", nil, false, "DELETE", "127.0.0.1:2020", "/hookgate/api/messages/msg_01J00000000000000000000000", fromPage, 503},
		{"write with Referer only", nil, false, "POST", "127.0.0.1:2020", replay,
			map[string]string{"X-Hookgate-Dashboard": "1", "Referer": self + "/hookgate/"}, 503},
		{"write on a rebound name, same origin", nil, false, "POST", "evil.example:2020", replay,
			map[string]string{"X-Hookgate-Dashboard": "1", "Origin": "http://evil.example:2020"}, 403},
		{"write without the page's header", nil, false, "POST", "127.0.0.1:2020", replay,
			map[string]string{"Origin": self}, 403},
		{"cross-site write", nil, false, "POST", "127.0.0.1:2020", replay,
			map[string]string{"X-Hookgate-Dashboard": "1", "Origin": self, "Sec-Fetch-Site": "cross-site"}, 403},
		{"write without Origin or Referer", nil, false, "POST", "127.0.0.1:2020", replay,
			map[string]string{"X-Hookgate-Dashboard": "1"}, 403},
		{"write from Origin null", nil, false, "POST", "127.0.0.1:2020", replay,
			map[string]string{"X-Hookgate-Dashboard": "1", "Origin": "null"}, 403},
		{"write from another IP literal", nil, false, "POST", "127.0.0.1:2020", replay,
			map[string]string{"X-Hookgate-Dashboard": "1", "Origin": "http://203.0.113.7"}, 403},
		{"write from another local port", nil, false, "POST", "127.0.0.1:2020", replay,
			map[string]string{"X-Hookgate-Dashboard": "1", "Origin": "http://127.0.0.1:3000"}, 403},
		{"write from a rebound Referer", nil, false, "POST", "127.0.0.1:2020", replay,
			map[string]string{"X-Hookgate-Dashboard": "1", "Referer": "http://evil.example:2020/"}, 403},

		{"listed host reads", []string{"dash.example.com"}, false, "GET", "dash.example.com", stats, nil, 503},
		{"list replaces loopback", []string{"dash.example.com"}, false, "GET", "127.0.0.1:2020", page, nil, 403},
		{"listed origin writes", []string{"dash.example.com"}, false, "POST", "dash.example.com", replay,
			map[string]string{"X-Hookgate-Dashboard": "1", "Origin": "https://dash.example.com"}, 503},
		{"unlisted origin on a listed host", []string{"dash.example.com"}, false, "POST", "dash.example.com", replay,
			map[string]string{"X-Hookgate-Dashboard": "1", "Origin": "https://evil.example"}, 403},
		{"listed origin, wrong scheme", []string{"https://dash.example.com"}, false, "POST", "dash.example.com", replay,
			map[string]string{"X-Hookgate-Dashboard": "1", "Origin": "http://dash.example.com"}, 403},

		{"read-only reads", nil, true, "GET", "127.0.0.1:2020", stats, nil, 503},
		{"read-only replay", nil, true, "POST", "127.0.0.1:2020", replay, fromPage, 403},
		{"read-only delete", nil, true, "DELETE", "127.0.0.1:2020", "/hookgate/api/messages/msg_01J00000000000000000000000", fromPage, 403},
		{"read-only enable", nil, true, "POST", "127.0.0.1:2020", "/hookgate/api/endpoints/crm/enable", fromPage, 403},
		{"read-only disable", nil, true, "POST", "127.0.0.1:2020", "/hookgate/api/endpoints/crm/disable", fromPage, 403},
		{"read-only create", nil, true, "POST", "127.0.0.1:2020", "/hookgate/api/endpoints", fromPage, 403},
		{"read-only rotate", nil, true, "POST", "127.0.0.1:2020", "/hookgate/api/endpoints/crm/rotate", fromPage, 403},
		{"read-only repoint", nil, true, "PATCH", "127.0.0.1:2020", "/hookgate/api/endpoints/crm", fromPage, 403},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := &Handler{Origins: tt.origins, ReadOnly: tt.readOnly}
			require.NoError(t, d.Provision(caddy.Context{}))
			r := httptest.NewRequest(tt.method, tt.path, nil)
			r.Host = tt.host
			for k, v := range tt.header {
				r.Header.Set(k, v)
			}
			assert.Equal(t, tt.want, serveDashboard(d, r))
		})
	}
}

// TestDashboardPageMarksReadOnly: the page learns from its <html> element
// whether to show buttons.
func TestDashboardPageMarksReadOnly(t *testing.T) {
	for _, readOnly := range []bool{false, true} {
		d := &Handler{ReadOnly: readOnly}
		require.NoError(t, d.Provision(caddy.Context{}))
		w := httptest.NewRecorder()
		r := httptest.NewRequest("GET", "/hookgate/", nil)
		r.Host = "localhost:2020"
		require.NoError(t, d.ServeHTTP(w, r, nil))
		mark := `data-read-only="false"`
		if readOnly {
			mark = `data-read-only="true"`
		}
		assert.Contains(t, w.Body.String(), mark)
	}
}

// serveDashboard answers r as Caddy would: the status of a returned
// handler error, else the one written.
func serveDashboard(d *Handler, r *http.Request) int {
	w := httptest.NewRecorder()
	err := d.ServeHTTP(w, r, nil)
	var he caddyhttp.HandlerError
	if errors.As(err, &he) {
		return he.StatusCode
	}
	return w.Code
}
