package webhooks

import (
	"maps"
	"slices"

	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/endpointsapi"
	"github.com/hookgate/hookgate/webhooks/endpointstate"
)

// The outbound endpoints admin API (package endpointsapi) finds the
// running app (current) through apiApp.
func init() {
	endpointsapi.Attach(func() endpointsapi.App {
		if a := current.Load(); a != nil {
			return apiApp{a}
		}
		return nil
	})
}

// apiApp is an app as the endpoints admin API sees it: see endpointsapi.App.
type apiApp struct{ a *App }

func (x apiApp) Store() (queue.Store, error)   { return x.a.store() }
func (x apiApp) Endpoints() *endpointstate.Set { return &x.a.shared.endpoints }
func (x apiApp) Reapply()                      { x.a.shared.reapply() }

func (x apiApp) SetDisabled(ref endpointstate.Ref, disabled bool, reason, why string) error {
	return x.a.shared.setDisabled(ref, disabled, reason, why)
}

func (x apiApp) Routes() []*endpointsapi.Route {
	out := make([]*endpointsapi.Route, 0, len(x.a.routes))
	for _, name := range slices.Sorted(maps.Keys(x.a.routes)) {
		r := x.a.routes[name]
		out = append(out, &endpointsapi.Route{Name: r.Name, Endpoints: r.Endpoints, FanOut: r.FanOut, Policy: r.Policy, Guard: r.Guard})
	}
	return out
}
