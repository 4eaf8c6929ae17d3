// Package endpointsapi is the outbound endpoints admin API, the
// admin.api.webhook_endpoints module: list, create, change, rotate the
// secret of, enable, disable and delete the endpoints of the webhooks app's
// fan-out routes. It reaches the running app through App, which the app
// attaches (Attach); it never imports the app.
package endpointsapi

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/internal/netguard"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/endpointstate"
)

func init() {
	caddy.RegisterModule(endpointsAPI{})
}

// App is the running webhooks app, as the endpoints API uses it.
type App interface {
	// Store returns the app's open store.
	Store() (queue.Store, error)
	// Routes returns the outbound routes of the running config, sorted by
	// name.
	Routes() []*Route
	// Endpoints is the endpoints' state: the stored ones, and the lock
	// (Write) under which a stored endpoint is written.
	Endpoints() *endpointstate.Set
	// SetDisabled disables (or enables) an endpoint, stores that, applies
	// it to the dispatcher and emits the event.
	SetDisabled(ref endpointstate.Ref, disabled bool, reason, why string) error
	// Reapply hands the queues, those of the active endpoints with them,
	// to the dispatcher again.
	Reapply()
}

// Route is what the API needs of an outbound route (see
// webhooks.OutboundRoute, whose fields these are).
type Route struct {
	Name      string
	Endpoints []queue.Endpoint // of the config
	FanOut    bool             // endpoints may be added through the API
	Policy    func(e *queue.Endpoint) (*delivery.Policy, error)
	Guard     *netguard.Rules // checks the URLs given
}

func (r *Route) endpoint(id string) *queue.Endpoint {
	for i := range r.Endpoints {
		if r.Endpoints[i].ID == id {
			return &r.Endpoints[i]
		}
	}
	return nil
}

// running returns the running app, nil when none; see Attach.
var running func() App

// Attach tells the API how to find the running app: the webhooks app
// calls it once, at init; running returns nil while no app runs.
func Attach(find func() App) { running = find }

// rotationGrace is how long the previous secret keeps signing (beside the
// new one) after a rotation, so receivers can switch without losing a
// delivery.
const rotationGrace = 24 * time.Hour

// endpointsAPI serves the outbound endpoints on Caddy's admin endpoint:
//
//	GET    /webhooks/endpoints               list
//	POST   /webhooks/endpoints               create {route, id?, url, events?, secret?}
//	GET    /webhooks/endpoints/{id}
//	PATCH  /webhooks/endpoints/{id}          {url?, events?, active?}
//	DELETE /webhooks/endpoints/{id}
//	POST   /webhooks/endpoints/{id}/rotate   {secret?}
//	POST   /webhooks/endpoints/{id}/enable
//	POST   /webhooks/endpoints/{id}/disable
//
// A secret is shown once, in the answer that generated it; no other answer
// holds a secret.
type endpointsAPI struct {
	url func(string) string // see Routes
}

// CaddyModule returns the Caddy module information.
func (endpointsAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.webhook_endpoints", New: func() caddy.Module { return new(endpointsAPI) }}
}

// Routes returns the admin routes of the module.
func (a endpointsAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/webhooks/endpoints", Handler: caddy.AdminHandlerFunc(a.collection)},
		{Pattern: "/webhooks/endpoints/", Handler: caddy.AdminHandlerFunc(a.item)},
	}
}

// Routes returns the module's routes for a handler that serves them
// elsewhere (the dashboard), answering as on Caddy's admin endpoint but for
// url, which, when not nil, rewrites each URL shown (see webhooks.View).
func Routes(url func(string) string) []caddy.AdminRoute {
	return endpointsAPI{url: url}.Routes()
}

// endpointView is what the admin API shows of an endpoint: never secrets.
type endpointView struct {
	ID             string    `json:"id"`
	Route          string    `json:"route"`
	URL            string    `json:"url"`
	Events         []string  `json:"events,omitempty"`
	Active         bool      `json:"active"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
	DisabledAt     time.Time `json:"disabled_at,omitzero"`
	Source         string    `json:"source"` // config or api
	Queue          string    `json:"queue"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	// Secret is set only in the answer that generated it.
	Secret        string    `json:"secret,omitempty"`
	PreviousUntil time.Time `json:"previous_secret_until,omitzero"`
}

func (api endpointsAPI) endpoint(e *queue.Endpoint) endpointView {
	u := e.URL
	if api.url != nil && u != "" {
		u = api.url(u)
	}
	v := endpointView{ID: e.ID, Route: e.Route, URL: u, Events: e.Events, Active: !e.Disabled,
		DisabledReason: e.DisabledReason, DisabledAt: e.DisabledAt, Source: "api", Queue: e.Queue(), CreatedAt: e.CreatedAt}
	if e.Config {
		v.Source = "config"
	}
	if len(e.Secrets) > 1 && e.PreviousUntil.After(time.Now()) {
		v.PreviousUntil = e.PreviousUntil
	}
	return v
}

// endpointRequest is the body of POST and PATCH.
type endpointRequest struct {
	ID     string    `json:"id"`
	Route  string    `json:"route"`
	URL    *string   `json:"url"`
	Events *[]string `json:"events"`
	Secret string    `json:"secret"`
	Active *bool     `json:"active"`
}

// adminEndpoints checks the method and returns the running app and its
// endpoint store.
func adminEndpoints(r *http.Request, methods ...string) (App, queue.EndpointStore, error) {
	if err := httpx.CheckMethod(r, methods...); err != nil {
		return nil, nil, err
	}
	var a App
	if running != nil {
		a = running()
	}
	if a == nil {
		return nil, nil, apiError(http.StatusServiceUnavailable, "the webhooks app is not running")
	}
	s, err := a.Store()
	if err != nil {
		return nil, nil, apiError(http.StatusServiceUnavailable, "webhook storage: %v", err)
	}
	es, ok := s.(queue.EndpointStore)
	if !ok {
		return nil, nil, apiError(http.StatusNotImplemented, "this storage does not keep outbound endpoints")
	}
	return a, es, nil
}

// apiError is an admin API error: see httpx.APIError.
func apiError(code int, format string, args ...any) error {
	return httpx.APIError(code, format, args...)
}

// decodeBody decodes a JSON request body: see httpx.DecodeJSON.
func decodeBody(r *http.Request, v any) error { return httpx.DecodeJSON(r, v) }

// findRoute returns the running route named name, nil if none.
func findRoute(a App, name string) *Route {
	for _, r := range a.Routes() {
		if r.Name == name {
			return r
		}
	}
	return nil
}

func (api endpointsAPI) collection(w http.ResponseWriter, r *http.Request) error {
	a, es, err := adminEndpoints(r, http.MethodGet, http.MethodPost)
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		return api.create(w, r, a, es)
	}
	list := All(a)
	views := make([]endpointView, len(list))
	for i := range list {
		views[i] = api.endpoint(&list[i])
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"endpoints": views})
}

func (api endpointsAPI) create(w http.ResponseWriter, r *http.Request, a App, es queue.EndpointStore) error {
	var req endpointRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	route := findRoute(a, req.Route)
	switch {
	case route == nil:
		return apiError(http.StatusNotFound, "no outbound route %q", req.Route)
	case !route.FanOut:
		return apiError(http.StatusConflict, "route %q has a single destination (to or destination_header): it takes no endpoints", req.Route)
	case req.URL == nil:
		return apiError(http.StatusBadRequest, "url is required")
	}
	if req.ID == "" {
		req.ID = "ep_" + strings.ToLower(strings.TrimPrefix(queue.NewID(time.Now()), "msg_"))
	}
	if err := checkEndpointID(route, req.ID); err != nil {
		return err
	}
	secret, generated, err := newSecret(req.Secret)
	if err != nil {
		return err
	}
	now := time.Now()
	e := &queue.Endpoint{ID: req.ID, Route: route.Name, Secrets: []string{secret}, CreatedAt: now, UpdatedAt: now}
	if err := applyChange(r.Context(), route, e, req); err != nil {
		return err
	}
	if err := checkSecret(route, e, secret, generated); err != nil {
		return err
	}
	err = saveEndpoint(a, es, e, func() error {
		if endpointExists(a, es, req.ID) {
			return apiError(http.StatusConflict, "endpoint %q exists", req.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	v := api.endpoint(e)
	if generated {
		v.Secret = secret
	}
	return httpx.WriteJSON(w, http.StatusCreated, v)
}

// item serves /webhooks/endpoints/{id}[/rotate|/enable|/disable].
func (api endpointsAPI) item(w http.ResponseWriter, r *http.Request) error {
	id, action, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/webhooks/endpoints/"), "/")
	methods := []string{http.MethodGet, http.MethodPatch, http.MethodDelete}
	switch action {
	case "":
	case "rotate", "enable", "disable":
		methods = []string{http.MethodPost}
	default:
		return apiError(http.StatusNotFound, "no such action %q", action)
	}
	a, es, err := adminEndpoints(r, methods...)
	if err != nil {
		return err
	}
	e, route, err := lookupEndpoint(a, es, id)
	if err != nil {
		return err
	}
	switch {
	case action == "enable" || action == "disable":
		return api.setActive(w, a, e, action == "enable")
	case action == "rotate":
		return api.rotate(w, r, a, es, e, route)
	case r.Method == http.MethodPatch:
		return api.patch(w, r, a, es, e, route)
	case r.Method == http.MethodDelete:
		return deleteEndpoint(w, a, es, e)
	}
	return httpx.WriteJSON(w, http.StatusOK, api.endpoint(e))
}

// lookupEndpoint finds an endpoint (with its secrets) and its route (nil
// when the route is not configured).
func lookupEndpoint(a App, es queue.EndpointStore, id string) (*queue.Endpoint, *Route, error) {
	for _, r := range a.Routes() {
		if r.endpoint(id) == nil {
			continue
		}
		for _, e := range a.Endpoints().Merged(r.Name, r.Endpoints, true) {
			if e.ID == id {
				return &e, r, nil
			}
		}
	}
	e, err := es.GetEndpoint(id)
	switch {
	case errors.Is(err, queue.ErrEndpointNotFound) || (err == nil && e.Config):
		return nil, nil, apiError(http.StatusNotFound, "endpoint %q not found", id)
	case err != nil:
		return nil, nil, apiError(http.StatusServiceUnavailable, "reading endpoint %s: %v", id, err)
	}
	return e, findRoute(a, e.Route), nil
}

func (api endpointsAPI) setActive(w http.ResponseWriter, a App, e *queue.Endpoint, active bool) error {
	ref := endpointstate.Ref{ID: e.ID, Route: e.Route}
	if err := a.SetDisabled(ref, !active, "admin", "disabled through the admin API"); err != nil {
		return apiError(http.StatusServiceUnavailable, "endpoint %s: %v", e.ID, err)
	}
	e.Disabled = !active
	return httpx.WriteJSON(w, http.StatusOK, api.endpoint(e))
}

// apiOnly refuses to change what the config defines.
func apiOnly(e *queue.Endpoint) error {
	if e.Config {
		return apiError(http.StatusConflict, "endpoint %q is defined in the config: change it there (only enable and disable apply)", e.ID)
	}
	return nil
}

func (api endpointsAPI) patch(w http.ResponseWriter, r *http.Request, a App, es queue.EndpointStore, e *queue.Endpoint, route *Route) error {
	var req endpointRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.ID != "" || req.Route != "" || req.Secret != "" {
		return apiError(http.StatusBadRequest, "only url, events and active can be changed (rotate changes the secret)")
	}
	if req.URL != nil || req.Events != nil {
		if err := apiOnly(e); err != nil {
			return err
		}
		if route == nil {
			return apiError(http.StatusConflict, "route %q is not configured", e.Route)
		}
		e.UpdatedAt = time.Now()
		if err := saveEndpoint(a, es, e, func() error { return applyChange(r.Context(), route, e, req) }); err != nil {
			return err
		}
	}
	if req.Active != nil && *req.Active == e.Disabled {
		return api.setActive(w, a, e, *req.Active)
	}
	return httpx.WriteJSON(w, http.StatusOK, api.endpoint(e))
}

func (api endpointsAPI) rotate(w http.ResponseWriter, r *http.Request, a App, es queue.EndpointStore, e *queue.Endpoint, route *Route) error {
	if err := apiOnly(e); err != nil {
		return err
	}
	if route == nil {
		// Its scheme, which the new secret must suit, is unknown.
		return apiError(http.StatusConflict, "route %q is not configured", e.Route)
	}
	var req struct {
		Secret string `json:"secret"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(r, &req); err != nil {
			return err
		}
	}
	secret, generated, err := newSecret(req.Secret)
	if err != nil {
		return err
	}
	if err := checkSecret(route, e, secret, generated); err != nil {
		return err
	}
	now := time.Now()
	// The previous secret signs too, for a while.
	e.Secrets = append([]string{secret}, e.ActiveSecrets(now)[:min(1, len(e.Secrets))]...)
	e.PreviousUntil, e.UpdatedAt = now.Add(rotationGrace), now
	if err := saveEndpoint(a, es, e, nil); err != nil {
		return err
	}
	v := api.endpoint(e)
	if generated {
		v.Secret = secret
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

func deleteEndpoint(w http.ResponseWriter, a App, es queue.EndpointStore, e *queue.Endpoint) error {
	if err := apiOnly(e); err != nil {
		return err
	}
	set := a.Endpoints()
	set.Write.Lock()
	err := es.DeleteEndpoint(e.ID)
	if err == nil || errors.Is(err, queue.ErrEndpointNotFound) {
		set.Remove(e.ID)
		err = nil
	}
	set.Write.Unlock()
	if err != nil {
		return apiError(http.StatusServiceUnavailable, "deleting endpoint %s: %v", e.ID, err)
	}
	a.Reapply()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// All returns every endpoint of a, without secrets: those of the running
// routes, then stored ones whose route is not configured (their messages
// wait).
func All(a App) []queue.Endpoint {
	var out []queue.Endpoint
	seen := map[string]bool{}
	set := a.Endpoints()
	for _, r := range a.Routes() {
		for _, e := range set.Merged(r.Name, r.Endpoints, false) {
			out, seen[e.ID] = append(out, e), true
		}
	}
	return append(out, set.Unlisted(seen)...)
}

func endpointExists(a App, es queue.EndpointStore, id string) bool {
	for _, r := range a.Routes() {
		if r.endpoint(id) != nil {
			return true
		}
	}
	_, err := es.GetEndpoint(id)
	return !errors.Is(err, queue.ErrEndpointNotFound)
}

// saveEndpoint stores e once check (if any) passes, both under the write
// lock, then applies it to the dispatcher (outside the lock: applying
// takes the engine's lock, and the engine takes the write lock on open).
func saveEndpoint(a App, es queue.EndpointStore, e *queue.Endpoint, check func() error) error {
	set := a.Endpoints()
	set.Write.Lock()
	var err error
	if check != nil {
		err = check()
	}
	if err == nil {
		if err = es.PutEndpoint(e); err != nil {
			err = apiError(http.StatusServiceUnavailable, "storing endpoint %s: %v", e.ID, err)
		} else {
			set.Put(e)
		}
	}
	set.Write.Unlock()
	if err == nil {
		a.Reapply()
	}
	return err
}
