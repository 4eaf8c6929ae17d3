package webhooks

import (
	"maps"
	"net/http"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/notify"
)

func init() {
	caddy.RegisterModule(keysAPI{})
}

// keysAPI serves the public signing keys on Caddy's admin endpoint:
//
//	GET /webhooks/keys
//
// It lists, by route, the public keys (whpk_…) of the Ed25519 keys that sign
// deliveries as Standard Webhooks v1a (sign standard_webhooks { key ed25519
// … }): outbound routes and their endpoints, inbound upstreams that re-sign,
// and notify. Receivers pin them. A private key never leaves the config.
type keysAPI struct{}

// CaddyModule returns the Caddy module information.
func (keysAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.webhook_keys", New: func() caddy.Module { return new(keysAPI) }}
}

// Routes returns the admin routes.
func (k keysAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{{Pattern: "/webhooks/keys", Handler: caddy.AdminHandlerFunc(k.list)}}
}

// signingKeys are the public keys that sign one queue's deliveries.
type signingKeys struct {
	// Route is the route's name (an inbound route without a name: its
	// upstream URL); "notify" for operational events.
	Route string `json:"route"`
	// Endpoint is the outbound endpoint's id.
	Endpoint   string   `json:"endpoint,omitempty"`
	Queue      string   `json:"queue"`
	PublicKeys []string `json:"public_keys"`
}

func (keysAPI) list(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet {
		return apiError(http.StatusMethodNotAllowed, "method %s not allowed", r.Method)
	}
	a := current.Load()
	if a == nil {
		return apiError(http.StatusServiceUnavailable, "the webhooks app is not running")
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"keys": a.signingKeys()})
}

// signingKeys lists the queues whose deliveries are signed with keys: the
// inbound, notify and destination_header queues, then each outbound
// route's endpoints (of the config, and created through the admin API).
func (a *App) signingKeys() []signingKeys {
	out := []signingKeys{}
	for _, name := range slices.Sorted(maps.Keys(a.policies)) {
		route, ok := strings.CutPrefix(name, queue.RouteQueue(""))
		if !ok && name == notify.Queue {
			route = "notify"
		}
		if pub := a.policies[name].PublicKeys(); len(pub) > 0 {
			out = append(out, signingKeys{Route: route, Queue: name, PublicKeys: pub})
		}
	}
	for _, name := range slices.Sorted(maps.Keys(a.routes)) {
		r := a.routes[name]
		for _, e := range a.shared.merged(r, false) {
			p, err := r.Policy(&e)
			if err != nil {
				continue // an endpoint whose route changed since; it does not deliver
			}
			if pub := p.PublicKeys(); len(pub) > 0 {
				out = append(out, signingKeys{Route: name, Endpoint: e.ID, Queue: e.Queue(), PublicKeys: pub})
			}
		}
	}
	return out
}
