package endpointsapi

import (
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
)

// signingRoute is a fan-out route named events whose endpoints sign with
// scheme, built as the outbound handler builds its policies.
func signingRoute(scheme string) *Route {
	return &Route{Name: "events", FanOut: true, Policy: func(e *queue.Endpoint) (*delivery.Policy, error) {
		p := &delivery.Policy{URL: e.URL, Sign: &signature.Config{Scheme: scheme, Secrets: e.ActiveSecrets(time.Now())}}
		return p, p.Provision()
	}}
}

func apiStatus(t *testing.T, err error) int {
	t.Helper()
	if err == nil {
		return 0
	}
	var ae caddy.APIError
	require.True(t, errors.As(err, &ae), "%v is not an admin API error", err)
	return ae.HTTPStatus
}

func TestCheckEndpointID(t *testing.T) {
	route := signingRoute("standard_webhooks")
	for _, c := range []struct {
		id   string
		want int
	}{
		{"crm", 0},
		{"ep_01jz", 0},
		{"events", http.StatusConflict}, // the route's own queue and idempotency scope
		{"", http.StatusBadRequest},
		{"a/b", http.StatusBadRequest},
	} {
		assert.Equal(t, c.want, apiStatus(t, checkEndpointID(route, c.id)), "id %q", c.id)
	}
}

// TestCheckSecret: a secret the route's scheme cannot sign with is a 400
// whose reason does not quote it; one it can is accepted.
func TestCheckSecret(t *testing.T) {
	const notBase64 = "not-base64-secret!"
	for _, c := range []struct {
		name, scheme, secret string
		generated            bool
		want                 int
	}{
		{"standard_webhooks, whsec_ base64", "standard_webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", false, 0},
		{"standard_webhooks, generated", "standard_webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true, 0},
		{"standard_webhooks, not base64", "standard_webhooks", notBase64, false, http.StatusBadRequest},
		{"github takes any bytes", "github", notBase64, false, 0},
		{"discord wants an ed25519 key", "discord", notBase64, false, http.StatusBadRequest},
		{"discord, generated", "discord", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", true, http.StatusBadRequest},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := &queue.Endpoint{ID: "crm", Route: "events", URL: "https://example.com/hook"}
			err := checkSecret(signingRoute(c.scheme), e, c.secret, c.generated)
			assert.Equal(t, c.want, apiStatus(t, err))
			if err != nil {
				assert.NotContains(t, err.Error(), c.secret)
				assert.Contains(t, err.Error(), "secret")
			}
		})
	}
}
