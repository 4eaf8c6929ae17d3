package webhooks

import (
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/endpointsapi"
)

// apiStatus is the status of an admin API error, 0 for none.
func apiStatus(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ae caddy.APIError
	require.True(t, errors.As(err, &ae), "%v is not an admin API error", err)
	return ae.HTTPStatus
}

// serveRoutes answers method path through routes as the admin endpoint
// would, returning the status and body.
func serveRoutes(t *testing.T, routes []caddy.AdminRoute, method, path, body string) (int, string) {
	t.Helper()
	mux := http.NewServeMux()
	for _, r := range routes {
		mux.Handle(r.Pattern, http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
			if err := r.Handler.ServeHTTP(w, req); err != nil {
				w.WriteHeader(apiStatus(t, err))
			}
		}))
	}
	w := httptest.NewRecorder()
	mux.ServeHTTP(w, httptest.NewRequest(method, path, strings.NewReader(body)))
	b, _ := io.ReadAll(w.Result().Body)
	return w.Code, string(b)
}

// TestAdminRoutesView: routes with a View that cuts URLs to scheme and
// host (the dashboard's) never show the path or query of a message's or an
// endpoint's URL, where capability URLs hold their token; the admin
// modules' own routes show them whole, and a change made through the cut
// view keeps the stored URL whole.
func TestAdminRoutesView(t *testing.T) {
	const secretURL = "https://hooks.example/services/T0/B0/SECRETTOKEN?x=1"
	id := queue.NewID(time.Now())
	st := &fakeStore{messages: []*queue.Message{{ID: id, Queue: "outbound:events:slack", Method: http.MethodPost,
		URL: secretURL, State: queue.StateQueued, ReceivedAt: time.Now()},
		{ID: queue.NewID(time.Now()), Queue: "outbound:events:slack", Method: http.MethodPost, State: queue.StateDead}, // its endpoint's URL
	}}
	require.NoError(t, st.PutEndpoint(&queue.Endpoint{ID: "slack", Route: "events", URL: secretURL, Secrets: []string{"whsec_x"}}))
	runningApp(t, st, &OutboundRoute{Name: "events", FanOut: true})

	reads := []string{"/webhooks/messages", "/webhooks/messages/" + id, "/webhooks/endpoints", "/webhooks/endpoints/slack"}
	cut := AdminRoutes(View{URL: redact.URL})
	full := append(adminAPI{}.Routes(), endpointsapi.Routes(nil)...)
	for _, path := range reads {
		code, body := serveRoutes(t, cut, http.MethodGet, path, "")
		require.Equal(t, http.StatusOK, code, "%s: %s", path, body)
		assert.Contains(t, body, `"url":"https://hooks.example"`, path)
		assert.NotContains(t, body, "SECRETTOKEN", path)
		assert.NotContains(t, body, "x=1", path)
		assert.NotContains(t, body, "/services", path)

		code, body = serveRoutes(t, full, http.MethodGet, path, "")
		require.Equal(t, http.StatusOK, code, "%s: %s", path, body)
		assert.Contains(t, body, "/services/T0/B0/SECRETTOKEN?x=1", path)
	}

	_, body := serveRoutes(t, cut, http.MethodGet, "/webhooks/messages?state=dead", "")
	assert.Contains(t, body, `"url":""`, "no URL stays none")

	code, body := serveRoutes(t, cut, http.MethodPatch, "/webhooks/endpoints/slack", `{"events":["order.*"]}`)
	require.Equal(t, http.StatusOK, code, body)
	assert.NotContains(t, body, "SECRETTOKEN")
	assert.Equal(t, secretURL, st.endpoint("slack").URL, "the stored URL stays whole")
}
