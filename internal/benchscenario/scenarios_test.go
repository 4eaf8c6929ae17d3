package benchscenario

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestScenarioTableIsConsistent(t *testing.T) {
	require.NoError(t, Check(Scenarios))
	for _, s := range Scenarios {
		assert.NotEmpty(t, s.Title, s.Name)
		if s.Upstream == SlowUpstream {
			assert.Positive(t, s.Delay, s.Name)
		}
		if s.Metric == Delivered {
			assert.Contains(t, []UpstreamKind{FastUpstream, SlowUpstream, MTLSUpstream}, s.Upstream, s.Name)
		}
		_, err := Caddyfile(&s, CaddyfileParams{AdminAddr: "127.0.0.1:1", HTTPPort: 2, Path: "/p",
			Route: RouteData{Upstream: "127.0.0.1:3", UpstreamURL: "http://127.0.0.1:3", SecretEnv: "S"}})
		assert.NoError(t, err, s.Name)
	}
	assert.Error(t, Check([]Scenario{{Name: "a", Baseline: "b"}, {Name: "b"}}), "baseline after")
	assert.Error(t, Check([]Scenario{{Name: "a"}, {Name: "a"}}), "duplicate")
	assert.Error(t, Check([]Scenario{{Name: "a", Goals: []Goal{{RateRatioMin, 1}}}}), "ratio without baseline")
}

func TestRenderCaddyfile(t *testing.T) {
	s := &Scenario{Name: "inbound", Route: queuedRoute}
	got, err := Caddyfile(s, CaddyfileParams{
		AdminAddr: "127.0.0.1:2999",
		HTTPPort:  8080,
		Storage:   "embedded /tmp/x/webhooks",
		Path:      "/hooks/contextfile",
		Route:     RouteData{Upstream: "127.0.0.1:9000", UpstreamURL: "http://127.0.0.1:9000", SecretEnv: "CONTEXTFILE_SECRET"},
	})
	require.NoError(t, err)
	want := `{
	admin 127.0.0.1:2999
	webhooks {
		storage embedded /tmp/x/webhooks
	}
}

:8080 {
	bind 127.0.0.1
	route /hooks/contextfile {
		webhook_inbound {
			verify hmac {
				header X-Webhook-Signature
				algorithm sha256
				encoding hex
				secret {env.CONTEXTFILE_SECRET}
			}
			dedupe {json.id}
			upstream http://127.0.0.1:9000 {
				timeout 30s
				concurrency 64
			}
		}
	}
}
`
	assert.Equal(t, want, got)

	base, err := Caddyfile(&Scenario{Name: "respond", Route: "respond 202"}, CaddyfileParams{AdminAddr: "127.0.0.1:1", HTTPPort: 2, Path: "/p"})
	require.NoError(t, err)
	assert.NotContains(t, base, "webhooks", "baselines carry no webhooks option")
	assert.NotContains(t, base, "log", "no access log")
	assert.Contains(t, base, "\troute /p {\n\t\trespond 202\n\t}\n")
}

func TestSelectScenariosAddsBaselines(t *testing.T) {
	names := func(ss []*Scenario) string {
		var n []string
		for _, s := range ss {
			n = append(n, s.Name)
		}
		return strings.Join(n, ",")
	}
	sel, err := Select(Scenarios, "^inbound-slow$")
	require.NoError(t, err)
	assert.Equal(t, "respond,inbound,inbound-slow", names(sel), "transitive baselines, table order")
	sel, err = Select(Scenarios, "^e2e$")
	require.NoError(t, err)
	assert.Equal(t, "proxy,e2e", names(sel))
	sel, err = Select(Scenarios, "")
	require.NoError(t, err)
	assert.Len(t, sel, len(Scenarios))
	_, err = Select(Scenarios, "nothing-matches")
	assert.Error(t, err)
	_, err = Select(Scenarios, "(")
	assert.Error(t, err)
}
