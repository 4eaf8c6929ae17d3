package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/testpki"
)

// tlsReceiver is an HTTPS upstream that records the client certificate's
// name and the protocol of what it receives.
type tlsReceiver struct {
	*httptest.Server
	mu  sync.Mutex
	got []tlsDelivery
}

type tlsDelivery struct{ Client, Proto, Body string }

func newTLSReceiver(t *testing.T, pki *testpki.PKI, mutual, h2only bool) *tlsReceiver {
	rc := &tlsReceiver{}
	rc.Server = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if h2only && r.ProtoMajor != 2 {
			w.WriteHeader(http.StatusHTTPVersionNotSupported)
			return
		}
		b, _ := io.ReadAll(r.Body)
		d := tlsDelivery{Proto: r.Proto, Body: string(b)}
		if len(r.TLS.PeerCertificates) > 0 {
			d.Client = r.TLS.PeerCertificates[0].Subject.CommonName
		}
		rc.mu.Lock()
		rc.got = append(rc.got, d)
		rc.mu.Unlock()
	}))
	rc.TLS = pki.ServerTLS(mutual)
	rc.EnableHTTP2 = h2only // NextProtos: h2 only
	rc.StartTLS()
	t.Cleanup(rc.Close)
	return rc
}

func (rc *tlsReceiver) deliveries() []tlsDelivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]tlsDelivery(nil), rc.got...)
}

type storedMessage struct {
	State     string
	Attempts  int
	LastError string `json:"last_error"`
}

// storedMsg reads a message through the admin API (ok=false once delivered).
func storedMsg(c *caddy, id string) (storedMessage, bool) {
	var m storedMessage
	return m, c.admin(http.MethodGet, "/webhooks/messages/"+id, &m) == http.StatusOK
}

// accept posts a signed webhook to path and returns its message id.
func accept(t *testing.T, c *caddy, path, body string) string {
	t.Helper()
	code, answer := c.post(path, body, nil)
	require.Equal(t, http.StatusAccepted, code, answer)
	var a struct{ ID string }
	require.NoError(t, json.Unmarshal([]byte(answer), &a))
	return a.ID
}

// waitDead waits for message id to be dead-lettered after attempts
// attempts, with an error containing want.
func waitDead(t *testing.T, c *caddy, id string, attempts int, want string) {
	t.Helper()
	var last storedMessage
	waitFor(t, 10*time.Second, "the message to die of "+want, func() bool {
		m, ok := storedMsg(c, id)
		last = m
		return ok && m.State == "dead"
	})
	assert.Equal(t, attempts, last.Attempts, "retried before dying")
	assert.Contains(t, last.LastError, want)
}

const transportGlobal = `{
	admin {{.Admin}}
	webhooks {
		storage embedded
	}
}
`

// upstreamRoute is a queued route /hooks/<Name> delivering to Upstream with
// Options (upstream options, one a line).
type upstreamRoute struct{ Name, Upstream, Options string }

// startTransport runs one Caddy with routes, each retrying every 100ms
// and dying after 3 attempts unless its options say otherwise.
func startTransport(t *testing.T, routes ...upstreamRoute) *caddy {
	var site strings.Builder
	for _, r := range routes {
		fmt.Fprintf(&site, `	route /hooks/%[1]s {
		webhook_inbound {
			name %[1]s
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream %[2]s {
				retry 100ms
				%[3]s
			}
		}
	}
`, r.Name, r.Upstream, r.Options)
	}
	return startCaddy(t, transportGlobal+"http://{{.HTTP}} {\n"+site.String()+"}\n", nil)
}

// TestUpstreamMTLS: an HTTPS upstream that requires a client certificate
// signed by a private CA receives deliveries only through a transport with
// tls_client_auth and tls_trust_pool; without them attempts fail, are
// retried, and die.
func TestUpstreamMTLS(t *testing.T) {
	pki, err := testpki.New(t.TempDir())
	require.NoError(t, err)
	up := newTLSReceiver(t, pki, true, false)
	c := startTransport(t,
		upstreamRoute{"mtls", up.URL, fmt.Sprintf(`transport http {
					tls_client_auth %s %s
					tls_trust_pool file %s
				}`, pki.ClientCert, pki.ClientKey, pki.CA)},
		upstreamRoute{"trustonly", up.URL, fmt.Sprintf(`max_attempts 3
				transport http {
					tls_trust_pool file %s
				}`, pki.CA)},
		upstreamRoute{"default", up.URL, `max_attempts 3`},
	)

	ok := accept(t, c, "/hooks/mtls", `{"id":"evt_mtls"}`)
	noCert := accept(t, c, "/hooks/trustonly", `{"id":"evt_trust"}`)
	noCA := accept(t, c, "/hooks/default", `{"id":"evt_default"}`)
	waitFor(t, 10*time.Second, "the mTLS delivery", func() bool { return len(up.deliveries()) == 1 })
	waitFor(t, 5*time.Second, "the mTLS message to leave the queue", func() bool { _, queued := storedMsg(c, ok); return !queued })
	waitDead(t, c, noCert, 3, "certificate required")
	waitDead(t, c, noCA, 3, "certificate signed by unknown authority")

	got := up.deliveries()
	require.Len(t, got, 1, "only the route with the client certificate got through")
	assert.Equal(t, pki.ClientName, got[0].Client)
	assert.Equal(t, `{"id":"evt_mtls"}`, got[0].Body)
}

// TestUpstreamH2: an upstream that speaks only HTTP/2 (ALPN h2, and it
// refuses anything else) receives deliveries with versions h2.
func TestUpstreamH2(t *testing.T) {
	pki, err := testpki.New(t.TempDir())
	require.NoError(t, err)
	up := newTLSReceiver(t, pki, false, true)
	c := startTransport(t,
		upstreamRoute{"h2", up.URL, fmt.Sprintf(`transport http {
					tls_trust_pool file %s
					versions h2
				}`, pki.CA)},
		upstreamRoute{"h1", up.URL, fmt.Sprintf(`max_attempts 3
				transport http {
					tls_trust_pool file %s
					versions 1.1
				}`, pki.CA)},
	)
	accept(t, c, "/hooks/h2", `{"id":"evt_h2"}`)
	h1 := accept(t, c, "/hooks/h1", `{"id":"evt_h1"}`)
	waitFor(t, 10*time.Second, "the HTTP/2 delivery", func() bool { return len(up.deliveries()) == 1 })
	assert.Equal(t, "HTTP/2.0", up.deliveries()[0].Proto)
	var m storedMessage
	waitFor(t, 10*time.Second, "the HTTP/1.1 attempts to die", func() bool {
		var ok bool
		m, ok = storedMsg(c, h1)
		return ok && m.State == "dead"
	})
	assert.Equal(t, 3, m.Attempts)
	assert.Len(t, up.deliveries(), 1)
}

// tokenServer is an in-test OAuth 2.0 token endpoint (client credentials)
// for the client "hookgate" and secret; it issues random tokens, watched
// as secrets, and can be down.
type tokenServer struct {
	*httptest.Server
	secret  string
	down    atomic.Bool
	fetches atomic.Int32
	mu      sync.Mutex
	issued  []string
}

func newTokenServer(t *testing.T, secret string) *tokenServer {
	ts := &tokenServer{secret: secret}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ts.down.Load() {
			http.Error(w, "down", http.StatusServiceUnavailable)
			return
		}
		id, sec, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil || !ok || id != "hookgate" || sec != ts.secret || r.Form.Get("grant_type") != "client_credentials" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"error":"invalid_client"}`))
			return
		}
		tok := randomToken("tok_")
		watchSecret(tok)
		ts.fetches.Add(1)
		ts.mu.Lock()
		ts.issued = append(ts.issued, tok)
		ts.mu.Unlock()
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": tok, "token_type": "Bearer", "expires_in": 3600})
	}))
	t.Cleanup(ts.Close)
	return ts
}

// latest is the token issued last ("" before any).
func (ts *tokenServer) latest() string {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	if len(ts.issued) == 0 {
		return ""
	}
	return ts.issued[len(ts.issued)-1]
}

func randomToken(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// TestUpstreamAuth: an upstream that requires a valid bearer token gets
// it from an in-test token server (oauth2 client credentials), fetched
// once and reused, renewed when the upstream answers 401, and retried
// while the token server is down; a static bearer token from a file works
// too. Neither the tokens nor the client secret reach the logs or the
// admin API.
func TestUpstreamAuth(t *testing.T) {
	dir := t.TempDir()
	clientSecret, bearer := randomToken("cs_"), randomToken("static_")
	watchSecret(clientSecret)
	watchSecret(bearer)
	secretFile, bearerFile := filepath.Join(dir, "client_secret"), filepath.Join(dir, "bearer")
	require.NoError(t, os.WriteFile(secretFile, []byte(clientSecret+"\n"), 0o600))
	require.NoError(t, os.WriteFile(bearerFile, []byte(bearer), 0o600))
	ts := newTokenServer(t, clientSecret)

	// The upstream takes the token issued last, unless revoked, and the
	// static token on /static.
	var revoked sync.Map
	var ok atomic.Int32
	rc := newReceiver(t)
	rc.setAnswer(func(_ int, r *http.Request, _ http.ResponseWriter) int {
		want := ts.latest()
		if _, gone := revoked.Load(want); gone {
			want = ""
		}
		if strings.HasPrefix(r.URL.Path, "/static") {
			want = bearer
		}
		if want == "" || r.Header.Get("Authorization") != "Bearer "+want {
			return http.StatusUnauthorized
		}
		ok.Add(1)
		return http.StatusOK
	})
	c := startTransport(t,
		upstreamRoute{"oauth", rc.URL, fmt.Sprintf(`max_attempts 100
				auth oauth2 {
					token_url %s/oauth/token?tenant=e2e
					client_id hookgate
					client_secret {file.%s}
					scopes deliveries
				}`, ts.URL, secretFile)},
		upstreamRoute{"static", rc.URL + "/static", `auth bearer {file.` + bearerFile + `}`},
	)

	// The token server is down: attempts fail before reaching the upstream
	// and are retried.
	ts.down.Store(true)
	id := accept(t, c, "/hooks/oauth", `{"id":"evt_1"}`)
	var m storedMessage
	waitFor(t, 10*time.Second, "attempts to be retried while the token server is down", func() bool {
		m, _ = storedMsg(c, id)
		return m.State == "queued" && m.Attempts >= 2
	})
	assert.Contains(t, m.LastError, "token endpoint answered 503")
	assert.Empty(t, rc.deliveries(), "nothing sent without a token")

	// Back up: one token serves every delivery.
	ts.down.Store(false)
	waitFor(t, 10*time.Second, "the first delivery", func() bool { return ok.Load() == 1 })
	accept(t, c, "/hooks/oauth", `{"id":"evt_2"}`)
	accept(t, c, "/hooks/oauth", `{"id":"evt_3"}`)
	waitFor(t, 10*time.Second, "three deliveries", func() bool { return ok.Load() == 3 })
	assert.EqualValues(t, 1, ts.fetches.Load(), "the token is fetched once and cached")
	assert.Len(t, rc.deliveries(), 3, "no 401 meanwhile")

	// The upstream revokes it: the next attempt gets a 401, fetches a new
	// token and sends again, within the same attempt.
	revoked.Store(ts.latest(), true)
	accept(t, c, "/hooks/oauth", `{"id":"evt_4"}`)
	waitFor(t, 10*time.Second, "the delivery with a renewed token", func() bool { return ok.Load() == 4 })
	assert.EqualValues(t, 2, ts.fetches.Load())
	got := rc.deliveries()
	require.Len(t, got, 5, "one 401, then the renewed token")
	assert.Equal(t, got[3].Header.Get("Webhook-Attempt"), got[4].Header.Get("Webhook-Attempt"), "the same attempt")
	assert.Equal(t, "Bearer "+ts.latest(), got[4].Header.Get("Authorization"))

	// A static bearer token from a file.
	accept(t, c, "/hooks/static", `{"id":"evt_static"}`)
	waitFor(t, 10*time.Second, "the static bearer delivery", func() bool { return ok.Load() == 5 })

	// The admin API shows the placeholders, never what they resolve to
	// (the secrets scan checks every answer and the log).
	var cfg any
	require.Equal(t, http.StatusOK, c.admin(http.MethodGet, "/config/", &cfg))
	raw, _ := json.Marshal(cfg)
	assert.Contains(t, string(raw), "{file."+secretFile+"}")
}

// TestOutboundTransportStillGuarded: an outbound route with a transport of
// its own still refuses, at connect time, a destination whose name
// resolves to a private address; allow_private opens it, and the
// transport's trust pool then carries the delivery.
func TestOutboundTransportStillGuarded(t *testing.T) {
	pki, err := testpki.New(t.TempDir())
	require.NoError(t, err)
	up := newTLSReceiver(t, pki, false, false)
	url := strings.Replace(up.URL, "127.0.0.1", "localhost", 1) + "/in"
	route := func(name, extra string) string {
		return fmt.Sprintf(`	route /%[1]s {
		webhook_outbound {
			name %[1]s
			to %[2]s
			sign standard_webhooks {
				secret %[3]s
			}
			retry 100ms
			max_attempts 2
			transport http {
				tls_trust_pool file %[4]s
				dial_timeout 2s
			}
			%[5]s
		}
	}
`, name, url, outSecret, pki.CA, extra)
	}
	c := startOutbound(t, route("guarded", "")+route("allowed", "allow_private 127.0.0.0/8 ::1/128"), nil)

	code, ans := emit(t, c, "/guarded", `{"n":1}`, nil)
	require.Equal(t, http.StatusAccepted, code, ans)
	waitDead(t, c, ans["id"].(string), 2, "not allowed")
	assert.Empty(t, up.deliveries(), "the guard refused the dial")

	code, ans = emit(t, c, "/allowed", `{"n":2}`, nil)
	require.Equal(t, http.StatusAccepted, code, ans)
	waitFor(t, 10*time.Second, "the allowed delivery", func() bool { return len(up.deliveries()) == 1 })
	assert.Equal(t, `{"n":2}`, up.deliveries()[0].Body)
}
