package webhooks

import (
	"errors"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/endpointstate"
)

func init() {
	caddy.RegisterModule(endpointsAPI{})
}

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
	view View
}

// CaddyModule returns the Caddy module information.
func (endpointsAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.webhook_endpoints", New: func() caddy.Module { return new(endpointsAPI) }}
}

// Routes returns the admin routes.
func (a endpointsAPI) Routes() []caddy.AdminRoute {
	return []caddy.AdminRoute{
		{Pattern: "/webhooks/endpoints", Handler: caddy.AdminHandlerFunc(a.collection)},
		{Pattern: "/webhooks/endpoints/", Handler: caddy.AdminHandlerFunc(a.item)},
	}
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

func (show View) endpoint(e *queue.Endpoint) endpointView {
	v := endpointView{ID: e.ID, Route: e.Route, URL: show.url(e.URL), Events: e.Events, Active: !e.Disabled,
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

// adminEndpoints is the running app and its endpoint store.
func adminEndpoints(r *http.Request, methods ...string) (*App, queue.EndpointStore, error) {
	_, a, err := adminStore(r, methods...)
	if err != nil {
		return nil, nil, err
	}
	es, err := a.endpointStore()
	if err != nil {
		return nil, nil, apiError(http.StatusNotImplemented, "%v", err)
	}
	return a, es, nil
}

func (api endpointsAPI) collection(w http.ResponseWriter, r *http.Request) error {
	a, es, err := adminEndpoints(r, http.MethodGet, http.MethodPost)
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		return api.create(w, r, a, es)
	}
	list := a.allEndpoints()
	views := make([]endpointView, len(list))
	for i := range list {
		views[i] = api.view.endpoint(&list[i])
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"endpoints": views})
}

func (api endpointsAPI) create(w http.ResponseWriter, r *http.Request, a *App, es queue.EndpointStore) error {
	var req endpointRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	route := a.routes[req.Route]
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
	err = a.saveEndpoint(es, e, func() error {
		if a.endpointExists(es, req.ID) {
			return apiError(http.StatusConflict, "endpoint %q exists", req.ID)
		}
		return nil
	})
	if err != nil {
		return err
	}
	v := api.view.endpoint(e)
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
	e, route, err := a.lookupEndpoint(es, id)
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
		return a.deleteEndpoint(w, es, e)
	}
	return httpx.WriteJSON(w, http.StatusOK, api.view.endpoint(e))
}

// lookupEndpoint finds an endpoint (with its secrets) and its route (nil
// when the route is not configured).
func (a *App) lookupEndpoint(es queue.EndpointStore, id string) (*queue.Endpoint, *OutboundRoute, error) {
	for _, r := range a.routes {
		if r.endpoint(id) == nil {
			continue
		}
		for _, e := range a.shared.merged(r, true) {
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
	return e, a.routes[e.Route], nil
}

func (api endpointsAPI) setActive(w http.ResponseWriter, a *App, e *queue.Endpoint, active bool) error {
	ref := endpointstate.Ref{ID: e.ID, Route: e.Route}
	if err := a.shared.setDisabled(ref, !active, "admin", "disabled through the admin API"); err != nil {
		return apiError(http.StatusServiceUnavailable, "endpoint %s: %v", e.ID, err)
	}
	e.Disabled = !active
	return httpx.WriteJSON(w, http.StatusOK, api.view.endpoint(e))
}

// apiOnly refuses to change what the config defines.
func apiOnly(e *queue.Endpoint) error {
	if e.Config {
		return apiError(http.StatusConflict, "endpoint %q is defined in the config: change it there (only enable and disable apply)", e.ID)
	}
	return nil
}

func (api endpointsAPI) patch(w http.ResponseWriter, r *http.Request, a *App, es queue.EndpointStore, e *queue.Endpoint, route *OutboundRoute) error {
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
		if err := a.saveEndpoint(es, e, func() error { return applyChange(r.Context(), route, e, req) }); err != nil {
			return err
		}
	}
	if req.Active != nil && *req.Active == e.Disabled {
		return api.setActive(w, a, e, *req.Active)
	}
	return httpx.WriteJSON(w, http.StatusOK, api.view.endpoint(e))
}

func (api endpointsAPI) rotate(w http.ResponseWriter, r *http.Request, a *App, es queue.EndpointStore, e *queue.Endpoint, route *OutboundRoute) error {
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
	if err := a.saveEndpoint(es, e, nil); err != nil {
		return err
	}
	v := api.view.endpoint(e)
	if generated {
		v.Secret = secret
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

func (a *App) deleteEndpoint(w http.ResponseWriter, es queue.EndpointStore, e *queue.Endpoint) error {
	if err := apiOnly(e); err != nil {
		return err
	}
	a.shared.endpoints.Write.Lock()
	err := es.DeleteEndpoint(e.ID)
	if err == nil || errors.Is(err, queue.ErrEndpointNotFound) {
		a.shared.endpoints.Remove(e.ID)
		err = nil
	}
	a.shared.endpoints.Write.Unlock()
	if err != nil {
		return apiError(http.StatusServiceUnavailable, "deleting endpoint %s: %v", e.ID, err)
	}
	a.shared.reapply()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// allEndpoints returns every endpoint: those of the running routes, then stored
// ones whose route is not configured (their messages wait).
func (a *App) allEndpoints() []queue.Endpoint {
	var out []queue.Endpoint
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(a.routes)) {
		for _, e := range a.shared.merged(a.routes[name], false) {
			out, seen[e.ID] = append(out, e), true
		}
	}
	return append(out, a.shared.endpoints.Unlisted(seen)...)
}

func (a *App) endpointExists(es queue.EndpointStore, id string) bool {
	for _, r := range a.routes {
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
func (a *App) saveEndpoint(es queue.EndpointStore, e *queue.Endpoint, check func() error) error {
	set := &a.shared.endpoints
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
		a.shared.reapply()
	}
	return err
}
