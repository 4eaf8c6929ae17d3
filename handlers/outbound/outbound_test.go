package outbound

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
	"github.com/hookgate/hookgate/webhooks"
)

// fakeBackend is the webhooks app in memory.
type fakeBackend struct {
	mu       sync.Mutex
	route    *webhooks.OutboundRoute
	queues   map[string]*delivery.Policy
	disabled map[string]string // endpoint id → why it is disabled
	keys     map[string]string // scope \x00 value → holder
	msgs     []*queue.Message
	results  []string
	tracer   trace.TracerProvider // of Traced
}

func newFake() *fakeBackend {
	return &fakeBackend{queues: map[string]*delivery.Policy{}, disabled: map[string]string{}, keys: map[string]string{}}
}

func (f *fakeBackend) RegisterQueue(name string, p *delivery.Policy, _ *redact.Headers) error {
	f.queues[name] = p
	return nil
}

func (f *fakeBackend) RegisterOutbound(r *webhooks.OutboundRoute) error {
	f.route = r
	return nil
}

func (f *fakeBackend) Endpoints(string) ([]queue.Endpoint, error) {
	out := append([]queue.Endpoint(nil), f.route.Endpoints...)
	for i := range out {
		out[i].DisabledReason = f.disabled[out[i].ID]
		out[i].Disabled = out[i].DisabledReason != ""
	}
	return out, nil
}

func (f *fakeBackend) claim(k queue.Key, id string) (string, error) {
	if k.Empty() {
		return id, nil
	}
	if holder, ok := f.keys[k.Scope+"\x00"+k.Value]; ok {
		return holder, queue.ErrDuplicate
	}
	f.keys[k.Scope+"\x00"+k.Value] = id
	return id, nil
}

func (f *fakeBackend) Enqueue(m *queue.Message, k queue.Key) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	id, err := f.claim(k, m.ID)
	if err == nil {
		f.msgs = append(f.msgs, m)
	}
	return id, err
}

func (f *fakeBackend) Claim(k queue.Key, id string) (string, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.claim(k, id)
}

func (f *fakeBackend) Received(_, result string) { f.results = append(f.results, result) }

var testSign = &signature.Config{Scheme: "standard_webhooks", Secrets: []string{"whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"}}

func provisioned(t *testing.T, h *Handler) (*Handler, *fakeBackend) {
	t.Helper()
	f := newFake()
	require.NoError(t, h.Validate())
	require.NoError(t, h.provision(f, zap.NewNop()))
	return h, f
}

func submit(t *testing.T, h *Handler, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/emit", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/vnd.test+json")
	for k, v := range header {
		r.Header.Set(k, v)
	}
	w := httptest.NewRecorder()
	require.NoError(t, h.ServeHTTP(w, r, nil))
	var out map[string]any
	require.NoError(t, json.Unmarshal(w.Body.Bytes(), &out), w.Body.String())
	return w.Code, out
}

func TestSubmitTo(t *testing.T) {
	h, f := provisioned(t, &Handler{Name: "emit", To: "https://customer.example.com/hooks", Sign: testSign})
	code, ans := submit(t, h, `{"a":1}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	require.Len(t, f.msgs, 1)
	m := f.msgs[0]
	assert.Equal(t, ans["id"], m.ID)
	assert.Equal(t, "outbound:emit", m.Queue)
	assert.Equal(t, "", m.URL, "the endpoint's URL at send time")
	assert.Equal(t, `{"a":1}`, string(m.Body))
	assert.Equal(t, http.Header{"Content-Type": {"application/vnd.test+json"}}, m.Header)

	f.disabled["emit"] = "gone"
	code, _ = submit(t, h, `{"a":2}`, nil)
	assert.Equal(t, http.StatusConflict, code)
	assert.Len(t, f.msgs, 1)
}

func TestIdempotencyKey(t *testing.T) {
	h, f := provisioned(t, &Handler{Name: "emit", To: "https://customer.example.com/hooks", Sign: testSign})
	idem := map[string]string{"Idempotency-Key": "order-42"}
	code, first := submit(t, h, `{"a":1}`, idem)
	require.Equal(t, http.StatusAccepted, code)
	code, again := submit(t, h, `{"a":1}`, idem)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, first["id"], again["id"])
	assert.Equal(t, "duplicate", again["status"])
	assert.Len(t, f.msgs, 1, "a resubmission queues nothing")
	code, other := submit(t, h, `{"a":1}`, map[string]string{"Idempotency-Key": "order-43"})
	assert.Equal(t, http.StatusAccepted, code)
	assert.NotEqual(t, first["id"], other["id"])
	code, _ = submit(t, h, `{}`, map[string]string{"Idempotency-Key": strings.Repeat("k", 256)})
	assert.Equal(t, http.StatusBadRequest, code)
}

func fanOutHandler(t *testing.T) (*Handler, *fakeBackend) {
	return provisioned(t, &Handler{Name: "events", EventType: "{json.type}", Sign: testSign, Endpoints: []*Endpoint{
		{ID: "crm", URL: "https://crm.example.com/", Events: []string{"context.created", "context.updated"}},
		{ID: "billing", URL: "https://billing.example.com/", Events: []string{"invoice.*"}},
		{ID: "audit", URL: "https://audit.example.com/"},
	}})
}

func deliveries(ans map[string]any) map[string]string {
	out := map[string]string{}
	for _, d := range ans["deliveries"].([]any) {
		d := d.(map[string]any)
		out[d["endpoint"].(string)] = d["id"].(string)
	}
	return out
}

func TestFanOut(t *testing.T) {
	h, f := fanOutHandler(t)
	code, ans := submit(t, h, `{"type":"invoice.paid"}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	assert.ElementsMatch(t, []string{"billing", "audit"}, keys(deliveries(ans)))
	assert.NotContains(t, ans, "skipped", "nothing disabled, nothing skipped")
	assert.Equal(t, "outbound:events:billing", f.msgs[0].Queue)
	code, _ = submit(t, h, `{"no":"type"}`, nil)
	assert.Equal(t, http.StatusBadRequest, code)
}

// TestFanOutDisabled: a disabled endpoint that takes the event gets no
// message and is named in the answer; when every endpoint that takes it is
// disabled, 409, with nothing queued nor claimed; an event that no endpoint
// takes stays no_endpoint.
func TestFanOutDisabled(t *testing.T) {
	h, f := provisioned(t, &Handler{Name: "events", EventType: "{json.type}", Sign: testSign, Endpoints: []*Endpoint{
		{ID: "crm", URL: "https://crm.example.com/", Events: []string{"context.*"}},
		{ID: "audit", URL: "https://audit.example.com/", Events: []string{"context.*", "invoice.*"}},
	}})
	f.disabled["audit"] = "3 consecutive failed attempts"

	code, ans := submit(t, h, `{"type":"context.updated"}`, nil)
	require.Equal(t, http.StatusAccepted, code, ans)
	assert.Equal(t, "queued", ans["status"])
	assert.Equal(t, []string{"crm"}, keys(deliveries(ans)))
	assert.Equal(t, []any{"audit"}, ans["skipped"])
	require.Len(t, f.msgs, 1)

	idem := map[string]string{"Idempotency-Key": "inv-1"}
	code, ans = submit(t, h, `{"type":"invoice.paid"}`, idem)
	assert.Equal(t, http.StatusConflict, code, ans)
	assert.Contains(t, ans["error"], "audit (3 consecutive failed attempts)")
	assert.Len(t, f.msgs, 1, "a 409 queues nothing")

	code, ans = submit(t, h, `{"type":"user.created"}`, nil)
	assert.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, "no_endpoint", ans["status"])
	assert.Empty(t, ans["deliveries"])
	assert.NotContains(t, ans, "skipped")

	// The 409 claimed no key: once enabled, the same key is queued.
	delete(f.disabled, "audit")
	code, ans = submit(t, h, `{"type":"invoice.paid"}`, idem)
	assert.Equal(t, http.StatusAccepted, code, ans)
	assert.Equal(t, []string{"audit"}, keys(deliveries(ans)))
	assert.Equal(t, []string{resultAccepted, resultDisabled, resultNoEndpoint, resultAccepted}, f.results)
}

func TestFanOutIdempotency(t *testing.T) {
	h, f := fanOutHandler(t)
	idem := map[string]string{"Idempotency-Key": "evt_1"}
	_, first := submit(t, h, `{"type":"invoice.paid"}`, idem)
	n := len(f.msgs)
	code, again := submit(t, h, `{"type":"invoice.paid"}`, idem)
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, first["id"], again["id"])
	assert.Equal(t, deliveries(first), deliveries(again))
	assert.Len(t, f.msgs, n)
}

func TestDestinationHeader(t *testing.T) {
	h, f := provisioned(t, &Handler{Name: "send", DestinationHeader: "Webhook-Destination", Sign: testSign})
	require.Contains(t, f.queues, "outbound:send")
	assert.True(t, f.queues["outbound:send"].PerDestination, "its destinations are paced and capped apart")
	for dest, want := range map[string]int{
		"":                                 http.StatusBadRequest,
		"http://93.184.216.34/":            http.StatusUnprocessableEntity, // http without allow_http
		"https://127.0.0.1/":               http.StatusUnprocessableEntity,
		"https://[::ffff:169.254.169.254]": http.StatusUnprocessableEntity,
		"https://localhost/":               http.StatusUnprocessableEntity,
		"https://93.184.216.34/hooks":      http.StatusAccepted,
	} {
		code, ans := submit(t, h, `{}`, map[string]string{"Webhook-Destination": dest})
		assert.Equal(t, want, code, "%s: %v", dest, ans)
	}
	require.Len(t, f.msgs, 1)
	assert.Equal(t, "https://93.184.216.34/hooks", f.msgs[0].URL)
}

func TestConfigChecks(t *testing.T) {
	for name, h := range map[string]*Handler{
		"http without allow_http": {To: "http://example.com/", Sign: testSign},
		"private literal":         {To: "https://10.0.0.1/", Sign: testSign},
		"no secret":               {To: "https://example.com/"},
		"filter without type":     {Endpoints: []*Endpoint{{ID: "a", URL: "https://a.example.com/", Events: []string{"x"}}}, Sign: testSign},
		"duplicate ids":           {Endpoints: []*Endpoint{{ID: "a", URL: "https://a.example.com/"}, {ID: "a", URL: "https://b.example.com/"}}, Sign: testSign},
		// Its queue would be the route's, whose idempotency scope holds the submissions.
		"endpoint named after its route": {Name: "events", Endpoints: []*Endpoint{{ID: "events", URL: "https://a.example.com/"}}, Sign: testSign},
	} {
		assert.Error(t, h.provision(newFake(), zap.NewNop()), name)
	}
	provisioned(t, &Handler{To: "http://10.1.2.3/", AllowHTTP: true, AllowPrivate: []string{"10.1.0.0/16"}, Sign: testSign})
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// TestSubmitRefusesBrowserRequests: only a JSON content type is taken
// (a page can POST text/plain or a form cross-site without a preflight),
// and a request the browser marks cross-site is refused whatever its
// type. Nothing refused is queued.
func TestSubmitRefusesBrowserRequests(t *testing.T) {
	for _, c := range []struct {
		name, contentType, fetchSite string
		want                         int
	}{
		{"json", "application/json", "", http.StatusAccepted},
		{"json with charset", "application/json; charset=utf-8", "", http.StatusAccepted},
		{"+json type", "application/cloudevents+json", "", http.StatusAccepted},
		{"upper case", "Application/JSON", "", http.StatusAccepted},
		{"same-origin fetch", "application/json", "same-origin", http.StatusAccepted},
		{"same-site fetch", "application/json", "same-site", http.StatusAccepted},
		{"no content type", "", "", http.StatusUnsupportedMediaType},
		{"text/plain", "text/plain", "", http.StatusUnsupportedMediaType},
		{"text/plain with charset", "text/plain;charset=UTF-8", "", http.StatusUnsupportedMediaType},
		{"form", "application/x-www-form-urlencoded", "", http.StatusUnsupportedMediaType},
		{"multipart", "multipart/form-data; boundary=x", "", http.StatusUnsupportedMediaType},
		{"json prefix only", "application/jsonx", "", http.StatusUnsupportedMediaType},
		{"malformed", "application/json; =", "", http.StatusUnsupportedMediaType},
		{"cross-site", "application/json", "cross-site", http.StatusForbidden},
		{"cross-site text/plain", "text/plain", "cross-site", http.StatusForbidden},
	} {
		t.Run(c.name, func(t *testing.T) {
			h, f := provisioned(t, &Handler{To: "https://example.com/hooks", Sign: testSign})
			header := map[string]string{"Content-Type": c.contentType}
			if c.fetchSite != "" {
				header["Sec-Fetch-Site"] = c.fetchSite
			}
			code, ans := submit(t, h, `{"type":"a"}`, header)
			assert.Equal(t, c.want, code, ans)
			if c.want != http.StatusAccepted {
				assert.Empty(t, f.msgs, "nothing is queued")
				assert.NotEmpty(t, ans["error"])
				assert.NotEqual(t, resultAccepted, f.results[len(f.results)-1])
			}
		})
	}
}
