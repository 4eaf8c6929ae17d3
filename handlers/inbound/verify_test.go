package inbound

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
)

// fakeBackend records what the handler asks of the webhooks app.
type fakeBackend struct {
	enqueued     []*queue.Message
	groups       [][]*queue.Message // of EnqueueAll
	keys         map[string]bool
	results      []string
	filterErrors int
	queues       []string             // registered
	now          delivery.NowResult   // what DeliverNow returns
	tracer       trace.TracerProvider // of Traced
}

func (f *fakeBackend) RegisterQueue(q string, _ *delivery.Policy, _ *redact.Headers) error {
	f.queues = append(f.queues, q)
	return nil
}
func (f *fakeBackend) FilterError(string) { f.filterErrors++ }

func (f *fakeBackend) EnqueueAll(ms []*queue.Message, k queue.Key) (string, error) {
	if err := queue.CheckGroup(ms); err != nil {
		return "", err
	}
	if f.keys == nil {
		f.keys = map[string]bool{}
	}
	if k.Value != "" && f.keys[k.Value] {
		return "msg_dup", queue.ErrDuplicate
	}
	f.keys[k.Value] = true
	f.groups = append(f.groups, ms)
	return ms[0].ID, nil
}
func (f *fakeBackend) Claim(queue.Key, string) (string, error) { return "", nil }
func (f *fakeBackend) Release(queue.Key, string) error         { return nil }
func (f *fakeBackend) Confirm(queue.Key, string) error         { return nil }
func (f *fakeBackend) Received(_, result string)               { f.results = append(f.results, result) }
func (f *fakeBackend) DeliverNow(*queue.Message, time.Duration) delivery.NowResult {
	return f.now
}

func (f *fakeBackend) Enqueue(m *queue.Message, k queue.Key) (string, error) {
	if f.keys == nil {
		f.keys = map[string]bool{}
	}
	if k.Value != "" && f.keys[k.Value] {
		return "msg_dup", queue.ErrDuplicate
	}
	f.keys[k.Value] = true
	f.enqueued = append(f.enqueued, m)
	return m.ID, nil
}

var testNow = time.Unix(1700000000, 0)

// setup provisions h, a route named "test" to an upstream on a closed
// port, with a fake webhooks app and the clock stopped at testNow.
func setup(t *testing.T, h *Handler) *fakeBackend {
	t.Helper()
	fb := &fakeBackend{}
	h.Name, h.Upstream = "test", &Upstream{Policy: delivery.Policy{URL: "http://127.0.0.1:9"}}
	require.NoError(t, h.provision(fb, zap.NewNop()))
	h.now = func() time.Time { return testNow }
	return fb
}

// send signs body with cfg at the given time (unless secret is "") and
// serves it.
func send(t *testing.T, h *Handler, cfg signature.Config, secret string, signedAt time.Time, method, target, body string, hdr http.Header) *httptest.ResponseRecorder {
	t.Helper()
	r := httptest.NewRequest(method, target, strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		r.Header[k] = v
	}
	if secret != "" {
		s, err := cfg.NewSigner([]string{secret})
		require.NoError(t, err)
		u, _ := url.Parse(target)
		require.NoError(t, s.Sign(r.Header, u, "msg_1", []byte(body), signedAt))
	}
	w := httptest.NewRecorder()
	require.NoError(t, h.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })))
	return w
}

func TestPresetDefaults(t *testing.T) {
	for _, tc := range []struct {
		scheme, dedupe, want string
	}{
		{"github", "", "{signed_digest}"},
		{"github", "{json.hook_id}", "{json.hook_id}"},
		{"stripe", DedupeOff, DedupeOff},
		{"ctxfy", "", "{json.sourceId}:{json.status}"},
		{"hmac", "", ""},
	} {
		cfg := &signature.Config{Scheme: tc.scheme, Header: "X-Sig", Secrets: []string{"s"}}
		if tc.scheme != "hmac" {
			cfg.Header = ""
		}
		if tc.scheme == "ctxfy" {
			cfg.Secrets = nil
		}
		h := &Handler{Verify: cfg, Dedupe: tc.dedupe}
		setup(t, h)
		assert.Equal(t, tc.want, h.Dedupe, tc.scheme)
		if tc.dedupe == DedupeOff {
			assert.Nil(t, h.key)
		}
	}
}

func TestPresetTolerance(t *testing.T) {
	body := `{"event_id":"evt_1","data":{}}`
	paddle := signature.Config{Scheme: "paddle"}
	for _, tc := range []struct {
		tolerance time.Duration
		age       time.Duration
		want      int
	}{
		{0, 4 * time.Second, http.StatusAccepted}, // paddle's default: 5s
		{0, 10 * time.Second, http.StatusUnauthorized},
		{time.Minute, 10 * time.Second, http.StatusAccepted}, // explicit wins
	} {
		h := &Handler{Verify: &signature.Config{Scheme: "paddle", Secrets: []string{"pdl_secret"}}, Tolerance: caddy.Duration(tc.tolerance)}
		setup(t, h)
		w := send(t, h, paddle, "pdl_secret", testNow.Add(-tc.age), http.MethodPost, "/paddle", body, nil)
		assert.Equal(t, tc.want, w.Code, "tolerance %s, age %s: %s", tc.tolerance, tc.age, w.Body)
	}
}

func TestUnsignedPresetDedupes(t *testing.T) {
	h := &Handler{Verify: &signature.Config{Scheme: "ctxfy"}}
	fb := setup(t, h)
	body := `{"sourceId":"src_9","status":"completed"}`
	w := send(t, h, signature.Config{}, "", testNow, http.MethodPost, "/ctxfy", body, nil)
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	w = send(t, h, signature.Config{}, "", testNow, http.MethodPost, "/ctxfy", body, nil)
	assert.Equal(t, http.StatusOK, w.Code, "duplicate")
	require.Len(t, fb.enqueued, 1)
	assert.Equal(t, "src_9:completed", fb.enqueued[0].DedupeKey)
}

func TestHandshakesAreAnsweredNotQueued(t *testing.T) {
	slack := signature.Config{Scheme: "slack"}
	h := &Handler{Verify: &signature.Config{Scheme: "slack", Secrets: []string{"slack-secret"}}}
	fb := setup(t, h)
	body := `{"token":"t","challenge":"ch4llenge","type":"url_verification"}`

	w := send(t, h, slack, "slack-secret", testNow, http.MethodPost, "/slack", body, nil)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "ch4llenge", w.Body.String())
	assert.Equal(t, "nosniff", w.Header().Get("X-Content-Type-Options"))

	w = send(t, h, slack, "wrong-secret", testNow, http.MethodPost, "/slack", body, nil)
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.NotContains(t, w.Body.String(), "ch4llenge")

	w = send(t, h, slack, "", testNow, http.MethodGet, "/slack", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Empty(t, fb.enqueued, "a handshake is never queued")
	assert.Equal(t, []string{resultHandshake, resultUnauthorized, resultBadRequest}, fb.results)

	meta := &Handler{Verify: &signature.Config{Scheme: "meta", Secrets: []string{"app-secret"}, VerifyToken: "{env.HOOKGATE_TEST_VERIFY_TOKEN}"}}
	t.Setenv("HOOKGATE_TEST_VERIFY_TOKEN", "vt-123")
	fb = setup(t, meta)
	w = send(t, meta, signature.Config{}, "", testNow, http.MethodGet, "/meta?hub.mode=subscribe&hub.challenge=42&hub.verify_token=vt-123", "", nil)
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Equal(t, "42", w.Body.String())
	w = send(t, meta, signature.Config{}, "", testNow, http.MethodGet, "/meta?hub.mode=subscribe&hub.challenge=42&hub.verify_token=nope", "", nil)
	assert.Equal(t, http.StatusForbidden, w.Code)
	assert.Empty(t, fb.enqueued)
}

func TestGenericRouteRefusesGet(t *testing.T) {
	h := &Handler{Verify: &signature.Config{Header: "X-Sig", Secrets: []string{"s"}}}
	setup(t, h)
	w := send(t, h, signature.Config{}, "", testNow, http.MethodGet, "/x", "", nil)
	assert.Equal(t, http.StatusMethodNotAllowed, w.Code)
	assert.Equal(t, http.MethodPost, w.Header().Get("Allow"))
}

// TestSignNeedsAVerifiedRoute: an upstream sign on a route that verifies
// nothing would vouch, with the upstream's secret, for whatever anyone
// posts; it takes `verify none` to say so on purpose.
func TestSignNeedsAVerifiedRoute(t *testing.T) {
	sign := &signature.Config{Scheme: "standard_webhooks", Secrets: []string{"{env.S}"}}
	for _, tc := range []struct {
		name    string
		verify  *signature.Config
		wantErr string
	}{
		{"no verify", nil, "sign unauthenticated input"},
		{"verify none", &signature.Config{Scheme: "none"}, ""},
		{"unsigned preset", &signature.Config{Scheme: "ctxfy"}, ""},
		{"verified", &signature.Config{Scheme: "github", Secrets: []string{"{env.G}"}}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{Verify: tc.verify, Upstream: &Upstream{Policy: delivery.Policy{URL: "http://127.0.0.1:9000", Sign: sign}}}
			err := h.Validate()
			if tc.wantErr == "" {
				assert.NoError(t, err)
			} else {
				assert.ErrorContains(t, err, tc.wantErr)
			}
		})
	}
}
