// The webhooks admin API is two admin modules on Caddy's admin endpoint:
// admin_messages.go (stats, messages, attempts) and package endpointsapi
// (the outbound endpoints), which reaches the app through endpoints_api.go.
// This file holds what they share.

package webhooks

import (
	"net/http"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/endpointsapi"
)

// apiError is an admin API error: its status and message reach the client.
func apiError(code int, format string, args ...any) error {
	return httpx.APIError(code, format, args...)
}

// adminStore checks the method and returns the running app's store.
func adminStore(r *http.Request, methods ...string) (queue.Store, *App, error) {
	if err := httpx.CheckMethod(r, methods...); err != nil {
		return nil, nil, err
	}
	a := current.Load()
	if a == nil {
		return nil, nil, apiError(http.StatusServiceUnavailable, "the webhooks app is not running")
	}
	s, err := a.store()
	if err != nil {
		return nil, nil, apiError(http.StatusServiceUnavailable, "webhook storage: %v", err)
	}
	return s, a, nil
}

// decodeBody decodes a JSON request body: see httpx.DecodeJSON.
func decodeBody(r *http.Request, v any) error { return httpx.DecodeJSON(r, v) }

// AdminRoutes returns the routes of the webhooks admin API, those of
// admin.api.webhooks and admin.api.webhook_endpoints, for a handler that
// serves them elsewhere (the dashboard). They answer as on Caddy's admin
// endpoint, but for what show changes; the zero View changes nothing.
func AdminRoutes(show View) []caddy.AdminRoute {
	return append(adminAPI{view: show}.Routes(), endpointsapi.Routes(show.URL)...)
}

// View is how the admin API's answers show what they describe.
type View struct {
	// URL, when not nil, rewrites each URL an answer shows: the url of
	// messages and of endpoints (an empty one stays empty). The dashboard, a page that gets
	// screen-shared, shows scheme and host only, since the path or query
	// of a capability URL (Slack, Discord, ...) is its credential.
	URL func(string) string
}

func (show View) url(u string) string {
	if show.URL == nil || u == "" { // a message to an endpoint has none
		return u
	}
	return show.URL(u)
}
