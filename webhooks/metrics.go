package webhooks

import (
	"errors"

	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/endpointsapi"
)

// running is what the metrics' gauges read at scrape time: the app started
// last (current), nothing while none runs.
type running struct{}

func (running) QueueStats() (map[string]queue.Stats, error) {
	a := current.Load()
	if a == nil {
		return nil, errors.New("the webhooks app is not running")
	}
	s, err := a.store()
	if err != nil {
		return nil, err
	}
	return s.Stats()
}

func (running) DisabledByRoute() map[string]int {
	if a := current.Load(); a != nil {
		return a.disabledByRoute()
	}
	return nil
}

// disabledByRoute counts the disabled endpoints of every route, 0 for the
// configured routes with none (so that an enabled endpoint brings the
// gauge back to 0 rather than removing it).
func (a *App) disabledByRoute() map[string]int {
	out := make(map[string]int, len(a.routes))
	for name := range a.routes {
		out[name] = 0
	}
	for _, e := range endpointsapi.All(apiApp{a}) {
		if e.Disabled {
			out[e.Route]++
		}
	}
	return out
}
