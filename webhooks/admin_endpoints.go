package webhooks

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"maps"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/hookgate/queue"
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
type endpointsAPI struct{}

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

func viewEndpoint(e *queue.Endpoint) endpointView {
	v := endpointView{ID: e.ID, Route: e.Route, URL: e.URL, Events: e.Events, Active: !e.Disabled,
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

// allEndpoints returns every endpoint: those of the running routes, then stored
// ones whose route is not configured (their messages wait).
func (a *App) allEndpoints() []queue.Endpoint {
	var out []queue.Endpoint
	seen := map[string]bool{}
	for _, name := range slices.Sorted(maps.Keys(a.routes)) {
		for _, e := range a.shared.endpoints.merged(a.routes[name], false) {
			out, seen[e.ID] = append(out, e), true
		}
	}
	a.shared.endpoints.mu.Lock()
	defer a.shared.endpoints.mu.Unlock()
	for _, e := range a.shared.endpoints.stored {
		if !seen[e.ID] && !e.Config {
			c := *e
			c.Secrets = nil
			out = append(out, c)
		}
	}
	return out
}

func (endpointsAPI) collection(w http.ResponseWriter, r *http.Request) error {
	a, es, err := adminEndpoints(r, http.MethodGet, http.MethodPost)
	if err != nil {
		return err
	}
	if r.Method == http.MethodPost {
		return createEndpoint(w, r, a, es)
	}
	list := a.allEndpoints()
	views := make([]endpointView, len(list))
	for i := range list {
		views[i] = viewEndpoint(&list[i])
	}
	return writeJSON(w, http.StatusOK, map[string]any{"endpoints": views})
}

// validEndpointID: ids appear in queue names, metrics and admin paths.
var validEndpointID = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$`)

func createEndpoint(w http.ResponseWriter, r *http.Request, a *App, es queue.EndpointStore) error {
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
	v := viewEndpoint(e)
	if generated {
		v.Secret = secret
	}
	return writeJSON(w, http.StatusCreated, v)
}

// checkEndpointID refuses an id that is malformed, or that is its route's
// name: the endpoint's queue would then be the route's own, whose
// idempotency scope holds the submission ids, so every message of a
// submission with an Idempotency-Key would be taken for a duplicate.
func checkEndpointID(route *OutboundRoute, id string) error {
	switch {
	case !validEndpointID.MatchString(id):
		return apiError(http.StatusBadRequest, "id must be 1 to 64 letters, digits, '_', '.' or '-'")
	case id == route.Name:
		return apiError(http.StatusConflict, "id %q is the name of its route: choose another", id)
	}
	return nil
}

// checkSecret refuses a secret that route's signature scheme cannot sign
// with (a Standard Webhooks secret that is not base64, a key pair scheme
// given an HMAC secret): the endpoint would be stored, then left out of
// delivery, its messages neither delivered nor dead-lettered. The reason
// never quotes the secret.
func checkSecret(route *OutboundRoute, e *queue.Endpoint, secret string, generated bool) error {
	probe := *e
	probe.Secrets, probe.PreviousUntil = []string{secret}, time.Time{}
	_, err := route.Policy(&probe)
	switch {
	case err == nil:
		return nil
	case generated:
		return apiError(http.StatusBadRequest, "secret: the route's signature scheme cannot sign with a generated secret: give one")
	}
	why := strings.ReplaceAll(err.Error(), secret, "…")
	return apiError(http.StatusBadRequest, "secret: the route's signature scheme cannot sign with it: %s", why)
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

// newSecret returns the given secret, or a generated whsec_ secret (24
// random bytes, base64: what Standard Webhooks receivers expect).
func newSecret(given string) (secret string, generated bool, err error) {
	if given != "" {
		if strings.ContainsAny(given, "{}") {
			// Secrets of the config are placeholders; one given here is a value.
			return "", false, apiError(http.StatusBadRequest, "secret must not contain braces")
		}
		return given, false, nil
	}
	var b [24]byte
	_, _ = rand.Read(b[:])
	return "whsec_" + base64.StdEncoding.EncodeToString(b[:]), true, nil
}

// applyChange applies the url and events of req to e, checking them.
func applyChange(ctx context.Context, route *OutboundRoute, e *queue.Endpoint, req endpointRequest) error {
	if req.URL != nil {
		ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if err := route.Guard.CheckURL(ctx, *req.URL); err != nil {
			return apiError(http.StatusUnprocessableEntity, "url: %v", err)
		}
		e.URL = *req.URL
	}
	if req.Events != nil {
		for _, p := range *req.Events {
			if err := queue.ValidEventPattern(p); err != nil {
				return apiError(http.StatusBadRequest, "%v", err)
			}
		}
		e.Events = *req.Events
	}
	return nil
}

// saveEndpoint stores e once check (if any) passes, both under the write
// lock, then applies it to the dispatcher (outside the lock: applying
// takes the open store's lock, and the open store takes the write lock on open).
func (a *App) saveEndpoint(es queue.EndpointStore, e *queue.Endpoint, check func() error) error {
	set := &a.shared.endpoints
	set.write.Lock()
	var err error
	if check != nil {
		err = check()
	}
	if err == nil {
		if err = es.PutEndpoint(e); err != nil {
			err = apiError(http.StatusServiceUnavailable, "storing endpoint %s: %v", e.ID, err)
		} else {
			set.put(e)
		}
	}
	set.write.Unlock()
	if err == nil {
		a.shared.reapply()
	}
	return err
}

func decodeBody(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return apiError(http.StatusBadRequest, "decoding request body: %v", err)
	}
	return nil
}
