package outbound

import (
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/internal/limit"
)

// TestEndpointRate: an endpoint's own rate replaces the route's in its
// policy only; an invalid one fails the config load.
func TestEndpointRate(t *testing.T) {
	own := &limit.Rate{Events: 20, Per: caddy.Duration(time.Second), Burst: 2}
	route := &limit.Rate{Events: 100}
	_, f := provisioned(t, &Handler{Name: "events", Sign: testSign, Delivery: &delivery.Policy{Rate: route}, Endpoints: []*Endpoint{
		{ID: "slow", URL: "https://slow.example.com/", Rate: own},
		{ID: "fast", URL: "https://fast.example.com/"},
	}})
	rates := map[string]*limit.Rate{}
	for _, e := range f.route.Endpoints {
		p, err := f.route.Policy(&e)
		require.NoError(t, err)
		rates[e.ID] = p.Rate
	}
	assert.Equal(t, map[string]*limit.Rate{"slow": own, "fast": route}, rates)

	h := &Handler{Name: "bad", Sign: testSign, Endpoints: []*Endpoint{{ID: "x", URL: "https://x.example.com/", Rate: &limit.Rate{}}}}
	assert.ErrorContains(t, h.provision(newFake(), zap.NewNop()), "endpoint x: rate")
}
