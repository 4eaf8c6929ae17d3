package endpointsapi

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/internal/netguard"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/endpointstate"
)

// memStore keeps endpoints in memory; other Store methods are not used.
type memStore struct {
	queue.Store
	mu sync.Mutex
	m  map[string]queue.Endpoint
}

func (s *memStore) PutEndpoint(e *queue.Endpoint) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.m[e.ID] = *e
	return nil
}

func (s *memStore) GetEndpoint(id string) (*queue.Endpoint, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e, ok := s.m[id]
	if !ok {
		return nil, queue.ErrEndpointNotFound
	}
	return &e, nil
}

func (s *memStore) ListEndpoints() ([]*queue.Endpoint, error) { return nil, nil }

func (s *memStore) DeleteEndpoint(id string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.m, id)
	return nil
}

// fakeApp is an App over a memStore with one fan-out route, events.
type fakeApp struct {
	st       queue.Store
	set      endpointstate.Set
	reapply  int
	disabled map[string]bool
}

func (f *fakeApp) Store() (queue.Store, error)   { return f.st, nil }
func (f *fakeApp) Endpoints() *endpointstate.Set { return &f.set }
func (f *fakeApp) Reapply()                      { f.reapply++ }
func (f *fakeApp) SetDisabled(ref endpointstate.Ref, disabled bool, _, _ string) error {
	f.disabled[ref.ID] = disabled
	return nil
}

func (f *fakeApp) Routes() []*Route {
	return []*Route{{Name: "events", FanOut: true,
		Endpoints: []queue.Endpoint{{ID: "crm", Route: "events", URL: "https://crm.example/hook", Config: true}},
		Policy:    func(e *queue.Endpoint) (*delivery.Policy, error) { return &delivery.Policy{URL: e.URL}, nil },
		Guard:     &netguard.Rules{AllowPrivate: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8")}}}}
}

// attach makes app the running app (nil: none) for the test.
func attach(t *testing.T, app App) {
	prev := running
	Attach(func() App { return app })
	t.Cleanup(func() { running = prev })
}

func serve(t *testing.T, url func(string) string, method, path, body string) (int, string) {
	t.Helper()
	mux := http.NewServeMux()
	for _, r := range Routes(url) {
		mux.Handle(r.Pattern, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if err := r.Handler.ServeHTTP(w, req); err != nil {
				w.WriteHeader(apiStatus(t, err))
				_, _ = io.WriteString(w, err.Error())
			}
		}))
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	return w.Code, w.Body.String()
}

// TestNotRunning: no app, or a store without endpoints, is refused.
func TestNotRunning(t *testing.T) {
	attach(t, nil)
	code, body := serve(t, nil, http.MethodGet, "/webhooks/endpoints", "")
	assert.Equal(t, http.StatusServiceUnavailable, code)
	assert.Contains(t, body, "the webhooks app is not running")

	attach(t, &fakeApp{st: struct{ queue.Store }{}})
	code, body = serve(t, nil, http.MethodGet, "/webhooks/endpoints", "")
	assert.Equal(t, http.StatusNotImplemented, code)
	assert.Contains(t, body, "this storage does not keep outbound endpoints")

	code, _ = serve(t, nil, http.MethodPut, "/webhooks/endpoints", "")
	assert.Equal(t, http.StatusMethodNotAllowed, code)
}

// TestThroughApp: the API creates, shows (through the URL view),
// rotates, disables and deletes through App alone.
func TestThroughApp(t *testing.T) {
	app := &fakeApp{st: &memStore{m: map[string]queue.Endpoint{}}, disabled: map[string]bool{}}
	attach(t, app)
	cut := func(string) string { return "https://cut" }

	code, body := serve(t, nil, http.MethodPost, "/webhooks/endpoints", `{"route":"events","id":"api1","url":"https://10.0.0.1/x"}`)
	require.Equal(t, http.StatusCreated, code, body)
	var v endpointView
	require.NoError(t, json.Unmarshal([]byte(body), &v))
	assert.True(t, strings.HasPrefix(v.Secret, "whsec_"), "a generated secret is shown once")
	assert.Equal(t, 1, app.reapply)

	code, body = serve(t, cut, http.MethodGet, "/webhooks/endpoints", "")
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, 2, strings.Count(body, `"url":"https://cut"`), body)
	assert.NotContains(t, body, "whsec_")
	assert.Len(t, All(app), 2)

	code, body = serve(t, nil, http.MethodPost, "/webhooks/endpoints/api1/rotate", "")
	require.Equal(t, http.StatusOK, code, body)
	assert.Contains(t, body, "previous_secret_until")

	code, _ = serve(t, nil, http.MethodPost, "/webhooks/endpoints/crm/disable", "")
	assert.Equal(t, http.StatusOK, code)
	assert.True(t, app.disabled["crm"])

	code, _ = serve(t, nil, http.MethodDelete, "/webhooks/endpoints/api1", "")
	assert.Equal(t, http.StatusNoContent, code)
	_, err := app.st.(*memStore).GetEndpoint("api1")
	assert.True(t, errors.Is(err, queue.ErrEndpointNotFound))
	code, _ = serve(t, nil, http.MethodGet, "/webhooks/endpoints/api1", "")
	assert.Equal(t, http.StatusNotFound, code)
}
