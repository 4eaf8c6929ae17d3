package webhooks

import (
	"errors"
	"fmt"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/internal/netguard"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/metrics"
)

// OutboundRoute is what a webhook_outbound handler declares to the app:
// its endpoints and how to deliver to them. The app owns the endpoints'
// state (active, disabled), which outlives configs, and gives each active
// endpoint its queue.
type OutboundRoute struct {
	// Name names the route; endpoints created through the admin API name it.
	Name string
	// Endpoints are those of the config, ids unique across routes.
	Endpoints []queue.Endpoint
	// FanOut: endpoints may be added through the admin API. Routes with a
	// single destination (to, destination_header) take none.
	FanOut bool
	// Policy returns the provisioned delivery policy of an endpoint of
	// this route (of the config or the admin API).
	Policy func(e *queue.Endpoint) (*delivery.Policy, error)
	// Guard checks the URLs of endpoints created or changed through the
	// admin API.
	Guard *netguard.Rules
	// DisableAfter disables an endpoint after that many consecutive failed
	// attempts; 0: never.
	DisableAfter int
	// Inspect, when not nil, shows the bodies and headers of the messages
	// of the route's endpoints on the admin API, the headers redacted
	// through it (see App.RegisterQueue).
	Inspect *redact.Headers
}

// RegisterOutbound declares an outbound route. Route names and endpoint
// ids must be unique within a config.
func (a *App) RegisterOutbound(r *OutboundRoute) error {
	if a.routes == nil {
		a.routes = map[string]*OutboundRoute{}
	}
	if _, ok := a.routes[r.Name]; ok {
		return fmt.Errorf("two webhook_outbound routes are named %q: give each its own name", r.Name)
	}
	for _, other := range a.routes {
		for _, e := range r.Endpoints {
			if other.endpoint(e.ID) != nil {
				return fmt.Errorf("endpoint %q is declared by routes %q and %q: endpoint ids are global", e.ID, other.Name, r.Name)
			}
		}
	}
	a.routes[r.Name] = r
	metrics.RegisterEndpoints(a.ctx.GetMetricsRegistry(), running{})
	return nil
}

func (r *OutboundRoute) endpoint(id string) *queue.Endpoint {
	for i := range r.Endpoints {
		if r.Endpoints[i].ID == id {
			return &r.Endpoints[i]
		}
	}
	return nil
}

// Endpoints returns the endpoints of route with their current state
// (without secrets), for a submission to pick from.
func (a *App) Endpoints(route string) ([]queue.Endpoint, error) {
	r := a.routes[route]
	if r == nil {
		return nil, fmt.Errorf("no outbound route %q", route)
	}
	if _, err := a.store(); err != nil {
		return nil, err
	}
	return a.shared.merged(r, false), nil
}

// endpointStore is the open store's EndpointStore.
func (a *App) endpointStore() (queue.EndpointStore, error) {
	s, err := a.store()
	if err != nil {
		return nil, err
	}
	es, ok := s.(queue.EndpointStore)
	if !ok {
		return nil, errors.New("this storage does not keep outbound endpoints")
	}
	return es, nil
}
