package webhooks

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hookgate/hookgate/queue"
)

// item serves /webhooks/endpoints/{id}[/rotate|/enable|/disable].
func (endpointsAPI) item(w http.ResponseWriter, r *http.Request) error {
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
		return a.setActive(w, e, action == "enable")
	case action == "rotate":
		return a.rotate(w, r, es, e, route)
	case r.Method == http.MethodPatch:
		return a.patch(w, r, es, e, route)
	case r.Method == http.MethodDelete:
		return a.deleteEndpoint(w, es, e)
	}
	return writeJSON(w, http.StatusOK, viewEndpoint(e))
}

// lookupEndpoint finds an endpoint (with its secrets) and its route (nil
// when the route is not configured).
func (a *App) lookupEndpoint(es queue.EndpointStore, id string) (*queue.Endpoint, *OutboundRoute, error) {
	for _, r := range a.routes {
		if r.endpoint(id) == nil {
			continue
		}
		for _, e := range a.shared.endpoints.merged(r, true) {
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

func (a *App) setActive(w http.ResponseWriter, e *queue.Endpoint, active bool) error {
	ref := endpointRef{id: e.ID, route: e.Route}
	if err := a.shared.setDisabled(ref, !active, "admin", "disabled through the admin API"); err != nil {
		return apiError(http.StatusServiceUnavailable, "endpoint %s: %v", e.ID, err)
	}
	e.Disabled = !active
	return writeJSON(w, http.StatusOK, viewEndpoint(e))
}

// apiOnly refuses to change what the config defines.
func apiOnly(e *queue.Endpoint) error {
	if e.Config {
		return apiError(http.StatusConflict, "endpoint %q is defined in the config: change it there (only enable and disable apply)", e.ID)
	}
	return nil
}

func (a *App) patch(w http.ResponseWriter, r *http.Request, es queue.EndpointStore, e *queue.Endpoint, route *OutboundRoute) error {
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
		return a.setActive(w, e, *req.Active)
	}
	return writeJSON(w, http.StatusOK, viewEndpoint(e))
}

func (a *App) rotate(w http.ResponseWriter, r *http.Request, es queue.EndpointStore, e *queue.Endpoint, route *OutboundRoute) error {
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
	v := viewEndpoint(e)
	if generated {
		v.Secret = secret
	}
	return writeJSON(w, http.StatusOK, v)
}

func (a *App) deleteEndpoint(w http.ResponseWriter, es queue.EndpointStore, e *queue.Endpoint) error {
	if err := apiOnly(e); err != nil {
		return err
	}
	a.shared.endpoints.write.Lock()
	err := es.DeleteEndpoint(e.ID)
	if err == nil || errors.Is(err, queue.ErrEndpointNotFound) {
		a.shared.endpoints.remove(e.ID)
		err = nil
	}
	a.shared.endpoints.write.Unlock()
	if err != nil {
		return apiError(http.StatusServiceUnavailable, "deleting endpoint %s: %v", e.ID, err)
	}
	a.shared.reapply()
	w.WriteHeader(http.StatusNoContent)
	return nil
}
