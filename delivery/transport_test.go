package delivery

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"sync/atomic"
	"testing"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/delivery/upstreamauth"
	"github.com/hookgate/hookgate/internal/netguard"
)

func caddyCtx(t *testing.T) caddy.Context {
	ctx, cancel := caddy.NewContext(caddy.Context{Context: context.Background()})
	t.Cleanup(cancel)
	return ctx
}

// loaded is a policy to url with the transport JSON raw, loaded.
func loaded(t *testing.T, url, raw string, guard *netguard.Rules) (*Policy, error) {
	p := &Policy{URL: url, TransportRaw: json.RawMessage(raw), Guard: guard, Retry: []caddy.Duration{0}}
	return p, p.LoadTransport(caddyCtx(t))
}

// TestTransportStillGuarded: with a configured transport, the outbound
// SSRF guard still refuses a private address at dial time; allowing its
// prefix lets the same transport through.
func TestTransportStillGuarded(t *testing.T) {
	var hits atomic.Int32
	up := httptest.NewServer(http.HandlerFunc(func(http.ResponseWriter, *http.Request) { hits.Add(1) }))
	defer up.Close()
	const raw = `{"protocol":"http","dial_timeout":"2s","keep_alive":{"probe_interval":"15s"}}`

	p, err := loaded(t, up.URL, raw, &netguard.Rules{AllowHTTP: true})
	require.NoError(t, err)
	_, outcome, m := attemptOnce(t, p)
	assert.Equal(t, Retry, outcome)
	require.NotNil(t, m)
	assert.Contains(t, m.LastError, netguard.ErrBlocked.Error())
	assert.Zero(t, hits.Load(), "the upstream was never reached")

	p, err = loaded(t, up.URL, raw, &netguard.Rules{AllowHTTP: true, AllowPrivate: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})
	require.NoError(t, err)
	_, outcome, _ = attemptOnce(t, p)
	assert.Equal(t, Delivered, outcome)
	assert.EqualValues(t, 1, hits.Load())
}

// TestTransportGuardRefusesDialersItCannotSee: options with which Caddy's
// transport dials on its own are refused where the guard applies, and
// accepted elsewhere.
func TestTransportGuardRefusesDialersItCannotSee(t *testing.T) {
	for _, raw := range []string{
		`{"protocol":"http","tls":{"server_name":"{http.request.host}"}}`,
		`{"protocol":"http","proxy_protocol":"v2"}`,
		`{"protocol":"http","versions":["3"],"tls":{}}`,
		`{"protocol":"http","local_address":"127.0.0.1"}`,
		`{"protocol":"http","read_timeout":"5s"}`,
	} {
		_, err := loaded(t, "https://example.com/", raw, &netguard.Rules{})
		assert.ErrorContains(t, err, "SSRF guard", raw)
		_, err = loaded(t, "https://example.com/", raw, nil)
		assert.NoError(t, err, raw)
	}
}

// TestTransportH2 delivers over HTTP/2 to a TLS upstream with versions 2.
func TestTransportH2(t *testing.T) {
	var proto atomic.Value
	up := httptest.NewUnstartedServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) { proto.Store(r.Proto) }))
	up.EnableHTTP2 = true
	up.StartTLS()
	defer up.Close()
	p, err := loaded(t, up.URL, `{"protocol":"http","versions":["2"],"tls":{"insecure_skip_verify":true}}`, nil)
	require.NoError(t, err)
	_, outcome, _ := attemptOnce(t, p)
	assert.Equal(t, Delivered, outcome)
	assert.Equal(t, "HTTP/2.0", proto.Load())

	// Without tls_insecure_skip_verify (or the test CA in a trust pool),
	// the upstream's certificate is refused: a retry.
	p, err = loaded(t, up.URL, `{"protocol":"http","versions":["2"]}`, nil)
	require.NoError(t, err)
	_, outcome, m := attemptOnce(t, p)
	assert.Equal(t, Retry, outcome)
	assert.Contains(t, m.LastError, "certificate")
}

func TestProvisionWantsLoadedTransport(t *testing.T) {
	p := &Policy{URL: "https://example.com/", TransportRaw: json.RawMessage(`{"protocol":"http"}`)}
	assert.ErrorContains(t, p.Provision(), "not loaded")
	p = &Policy{URL: "https://example.com/", Auth: &upstreamauth.Config{Bearer: "x"}}
	assert.ErrorContains(t, p.Provision(), "not loaded")
	require.NoError(t, p.LoadTransport(caddyCtx(t)))
	assert.NoError(t, p.Provision())
}

// TestSameConfig: two routes that share a queue load a transport each;
// they are configured alike all the same.
func TestSameConfig(t *testing.T) {
	const raw = `{"protocol":"http","versions":["2"]}`
	a, err := loaded(t, "https://example.com/", raw, nil)
	require.NoError(t, err)
	b, err := loaded(t, "https://example.com/", raw, nil)
	require.NoError(t, err)
	require.NoError(t, a.Provision())
	require.NoError(t, b.Provision())
	assert.True(t, a.SameConfig(b))
	assert.JSONEq(t, raw, string(a.TransportRaw), "the JSON config keeps the transport")
	c, err := loaded(t, "https://example.com/", `{"protocol":"http","versions":["1.1"]}`, nil)
	require.NoError(t, err)
	require.NoError(t, c.Provision())
	assert.False(t, a.SameConfig(c))
}

// TestAuthTokenEndpointDownRetries: an attempt that cannot get its token
// is retried, like one that cannot connect; it reaches the upstream once
// the token endpoint is back.
func TestAuthTokenEndpointDownRetries(t *testing.T) {
	var down atomic.Bool
	down.Store(true)
	tokens := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if down.Load() {
			w.WriteHeader(http.StatusBadGateway)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_, _ = w.Write([]byte(`{"access_token":"fresh","token_type":"Bearer","expires_in":3600}`))
	}))
	defer tokens.Close()
	var auth atomic.Value
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		auth.Store(r.Header.Get("Authorization"))
	}))
	defer up.Close()
	p := &Policy{URL: up.URL, Retry: []caddy.Duration{0},
		Auth: &upstreamauth.Config{OAuth2: &upstreamauth.OAuth2{TokenURL: tokens.URL, ClientID: "hg", ClientSecret: "s"}}}
	require.NoError(t, p.LoadTransport(caddyCtx(t)))
	_, outcome, m := attemptOnce(t, p)
	assert.Equal(t, Retry, outcome)
	assert.Contains(t, m.LastError, "oauth2 token endpoint answered 502")
	assert.Nil(t, auth.Load())

	down.Store(false)
	_, outcome, _ = attemptOnce(t, p)
	assert.Equal(t, Delivered, outcome)
	assert.Equal(t, "Bearer fresh", auth.Load())
}
