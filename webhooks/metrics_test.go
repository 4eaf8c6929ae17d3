package webhooks

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hookgate/hookgate/queue"
)

func TestDisabledByRoute(t *testing.T) {
	a := &App{shared: &openStore{}, routes: map[string]*OutboundRoute{
		"events": {Name: "events", Endpoints: []queue.Endpoint{
			{ID: "crm", Route: "events", Config: true},
			{ID: "billing", Route: "events", Config: true},
		}},
		"quiet": {Name: "quiet", Endpoints: []queue.Endpoint{{ID: "quiet", Route: "quiet", Config: true}}},
	}}
	a.shared.endpoints.Replace([]*queue.Endpoint{
		{ID: "crm", Route: "events", Config: true, Disabled: true},
		{ID: "api1", Route: "events", Disabled: true},
		{ID: "api2", Route: "events"},
		{ID: "orphan", Route: "removed", Disabled: true},
		{ID: "old", Route: "removed", Config: true, Disabled: true}, // a config endpoint no longer configured
	}, time.Now())
	assert.Equal(t, map[string]int{"events": 2, "quiet": 0, "removed": 1}, a.disabledByRoute())

	a.shared.endpoints.Remove("api1")
	a.shared.endpoints.Put(&queue.Endpoint{ID: "crm", Route: "events", Config: true})
	assert.Equal(t, map[string]int{"events": 0, "quiet": 0, "removed": 1}, a.disabledByRoute(),
		"deleting and enabling bring a route back to 0")
}
