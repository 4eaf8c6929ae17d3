package webhooks

import (
	"encoding/json"
	"net/http"
	"os"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
	"github.com/hookgate/hookgate/signature/keys"
	"github.com/hookgate/hookgate/webhooks/notify"
)

// TestAdminKeys: GET /webhooks/keys lists the public keys that sign each
// queue as v1a, by route, and never a private key nor a secret.
func TestAdminKeys(t *testing.T) {
	privPEM, whpk, err := keys.GenerateEd25519()
	require.NoError(t, err)
	file := t.TempDir() + "/signing.key"
	require.NoError(t, os.WriteFile(file, privPEM, 0o600))
	signer := func(secrets ...string) *signature.Config {
		return &signature.Config{Scheme: "standard_webhooks", Keys: []string{"{file." + file + "}"}, Secrets: secrets}
	}
	policy := func(url string, sign *signature.Config) *delivery.Policy {
		p := &delivery.Policy{URL: url, Sign: sign}
		require.NoError(t, p.Provision())
		return p
	}
	route := &OutboundRoute{Name: "emit", Endpoints: []queue.Endpoint{
		{ID: "crm", Route: "emit", URL: "https://crm.example/", Config: true},
		{ID: "plain", Route: "emit", URL: "https://plain.example/", Config: true},
	}, Policy: func(e *queue.Endpoint) (*delivery.Policy, error) {
		if e.ID == "plain" {
			return policy(e.URL, &signature.Config{Scheme: "standard_webhooks", Secrets: []string{"whsec_c2VjcmV0"}}), nil
		}
		return policy(e.URL, signer()), nil
	}}
	a := runningApp(t, &fakeStore{}, route)
	a.policies["partner"] = policy("http://127.0.0.1:9000", signer("whsec_c2VjcmV0"))
	a.policies[notify.Queue] = policy("https://ops.example/", signer())
	a.policies["unsigned"] = policy("http://127.0.0.1:9001", nil)

	code, body := serveRoutes(t, keysAPI{}.Routes(), http.MethodGet, "/webhooks/keys", "")
	require.Equal(t, http.StatusOK, code, body)
	var got struct{ Keys []signingKeys }
	require.NoError(t, json.Unmarshal([]byte(body), &got))
	assert.Equal(t, []signingKeys{
		{Route: "notify", Queue: notify.Queue, PublicKeys: []string{whpk}},
		{Route: "partner", Queue: "partner", PublicKeys: []string{whpk}},
		{Route: "emit", Endpoint: "crm", Queue: "outbound:emit:crm", PublicKeys: []string{whpk}},
	}, got.Keys)
	assert.NotContains(t, body, "PRIVATE")
	assert.NotContains(t, body, "c2VjcmV0")

	code, _ = serveRoutes(t, keysAPI{}.Routes(), http.MethodPost, "/webhooks/keys", "")
	assert.Equal(t, http.StatusMethodNotAllowed, code)
}
