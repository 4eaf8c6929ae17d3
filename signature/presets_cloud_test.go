package signature_test

import (
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Configuration of the external presets; their cryptography is tested in
// their sub-packages (awssns, oidc, plaid, adyen, microsoft), with keys
// and certificates generated there and fetches served by loopback servers.
func TestExternalConfig(t *testing.T) {
	for _, tc := range []struct {
		cfg Config
		err string // "" valid
	}{
		{Config{Scheme: "aws_sns", Account: "arn:aws:sns:us-east-1:1:T"}, ""},
		{Config{Scheme: "aws_sns"}, "account is required"},
		{Config{Scheme: "aws_sns", Account: "arn:aws:sns:us-east-1:1:T", Secrets: []string{"s"}}, "takes no secret"},
		{Config{Scheme: "gcp_pubsub", Audience: "https://h/"}, ""},
		{Config{Scheme: "gcp_pubsub", Audience: "https://h/", Account: "sa@p.iam.gserviceaccount.com"}, ""},
		{Config{Scheme: "gcp_pubsub"}, "audience is required"},
		{Config{Scheme: "gcp_pubsub", Audience: "a", Environment: "sandbox"}, "environment does not apply"},
		{Config{Scheme: "plaid", Secrets: []string{"cid:sec"}}, ""},
		{Config{Scheme: "plaid", Secrets: []string{"cid:sec"}, Environment: "sandbox"}, ""},
		{Config{Scheme: "plaid"}, "secret is required"},
		{Config{Scheme: "adyen", Secrets: []string{"AB"}}, ""},
		{Config{Scheme: "adyen", Secrets: []string{"AB"}, Header: "X"}, "header does not apply"},
		{Config{Scheme: "ms_graph", Secrets: []string{"state"}}, ""},
		{Config{Scheme: "azure_event_grid", Secrets: []string{"k"}, Header: "X-Key"}, ""},
		{Config{Scheme: "github", Secrets: []string{"s"}, Audience: "a"}, "audience does not apply"},
		{Config{Scheme: "ms_graph", Secrets: []string{"s"}, VerifyToken: "v"}, "verify_token does not apply"},
	} {
		err := tc.cfg.Validate()
		if tc.err == "" {
			assert.NoError(t, err, "%+v", tc.cfg)
		} else {
			assert.ErrorContains(t, err, tc.err, "%+v", tc.cfg)
		}
	}
	for name, signs := range map[string]bool{"aws_sns": true, "adyen": true, "plaid": true, "gcp_pubsub": false, "ms_graph": false, "azure_event_grid": false} {
		assert.Equal(t, signs, Config{Scheme: name}.SignsContent(), name)
	}
}

// What cannot be signed says why; Event Grid's header key can.
func TestExternalSigners(t *testing.T) {
	for name, why := range map[string]string{"aws_sns": "Amazon's private key", "gcp_pubsub": "Google's private key",
		"plaid": "its private key", "adyen": "inside each notification item", "ms_graph": "inside the body",
		"azure_event_grid": "code parameter"} {
		_, err := Config{Scheme: name}.NewSigner([]string{"k"})
		assert.ErrorContains(t, err, why, name)
	}
	cfg := Config{Scheme: "azure_event_grid", Header: "X-Hook-Key"}
	r := signed(t, cfg, []string{"k1"}, `[{"id":"e1"}]`, nil)
	assert.Equal(t, "k1", r.Header.Get("X-Hook-Key"))
	requireReason(t, "", verify(t, cfg, []string{"k1"}, r, `[{"id":"e1"}]`, t0))
	requireReason(t, ReasonMismatch, verify(t, cfg, []string{"k2"}, r, `[{"id":"e1"}]`, t0))
	r.Header.Del("X-Hook-Key")
	requireReason(t, ReasonMissing, verify(t, cfg, []string{"k1"}, r, `[{"id":"e1"}]`, t0))
}

// Adyen's published vector through the preset, and the reasons the
// sub-package's failures become.
func TestAdyenPreset(t *testing.T) {
	const key = "44782DEF547AAA06C910C43932B1EB0C71FC68D9D0C057550C48EC2ACF6BA056"
	body := `{"live":"false","notificationItems":[{"NotificationRequestItem":{"additionalData":{"hmacSignature":"coqCmt/IZ4E3CzPvMY8zTjQVL5hYJUiBRg8UU+iCWo0="},` +
		`"amount":{"value":1130,"currency":"EUR"},"pspReference":"7914073381342284","eventCode":"AUTHORISATION",` +
		`"merchantAccountCode":"TestMerchant","merchantReference":"TestPayment-1407325143704","success":"true"}}]}`
	cfg := Config{Scheme: "adyen"}
	v, err := cfg.NewVerifier([]string{key}, 0)
	require.NoError(t, err)
	r := request(testTarget, nil, body)
	d, err := v.VerifyDigest(r, []byte(body), t0)
	require.NoError(t, err)
	assert.Len(t, d, 32)
	requireReason(t, ReasonMismatch, v.Verify(r, []byte(strings.Replace(body, "1130", "9999", 1)), t0))
	requireReason(t, ReasonMissing, v.Verify(r, []byte(`{"notificationItems":[]}`), t0))
	requireReason(t, ReasonMalformed, v.Verify(r, []byte(`nope`), t0))
	_, err = cfg.NewVerifier([]string{"zz"}, 0)
	assert.ErrorContains(t, err, "hex HMAC key")
}

// Graph's validationToken is answered through the preset's Handshaker,
// before any clientState; notifications need the clientState.
func TestGraphPreset(t *testing.T) {
	v, err := Config{Scheme: "ms_graph"}.NewVerifier([]string{"state"}, 0)
	require.NoError(t, err)
	hs, ok := v.(Handshaker)
	require.True(t, ok)
	r := httptest.NewRequest(http.MethodPost, "/graph?validationToken=abc", nil)
	requireReason(t, ReasonMissing, v.Verify(r, nil, t0))
	rep := hs.Handshake(r, nil, false)
	require.NotNil(t, rep)
	assert.Equal(t, "abc", string(rep.Body))
	body := `{"value":[{"clientState":"state","subscriptionId":"s"}]}`
	requireReason(t, "", v.Verify(request(testTarget, nil, body), []byte(body), t0))
	requireReason(t, ReasonMismatch, v.Verify(request(testTarget, nil, body), []byte(strings.Replace(body, `"state"`, `"guess"`, 1)), t0))
}

// Gcp_pubsub fails closed before any fetch when the token is absent.
func TestPubSubPresetMissing(t *testing.T) {
	v, err := Config{Scheme: "gcp_pubsub", Audience: "https://h/"}.NewVerifier(nil, 0)
	require.NoError(t, err)
	requireReason(t, ReasonMissing, v.Verify(request(testTarget, nil, "{}"), []byte("{}"), t0))
	_, err = Config{Scheme: "gcp_pubsub"}.NewVerifier(nil, 0)
	assert.ErrorContains(t, err, "audience is required")
}

// Persona puts two t=…,v1=… groups in its header during a rotation.
func TestPersonaRotationHeader(t *testing.T) {
	cfg := Config{Scheme: "persona"}
	body := `{"data":{"type":"event","id":"evt_1"}}`
	a := signed(t, cfg, []string{"old"}, body, nil).Header.Get("Persona-Signature")
	b := signed(t, cfg, []string{"new"}, body, nil).Header.Get("Persona-Signature")
	r := request(testTarget, http.Header{"Persona-Signature": {b + " " + a}}, body)
	requireReason(t, "", verify(t, cfg, []string{"old"}, r, body, t0))
	requireReason(t, "", verify(t, cfg, []string{"new"}, r, body, t0))
	requireReason(t, ReasonMismatch, verify(t, cfg, []string{"other"}, r, body, t0))
	skewed := strings.Replace(a, "t=", "t=1", 1)
	r = request(testTarget, http.Header{"Persona-Signature": {b + " " + skewed}}, body)
	requireReason(t, ReasonMalformed, verify(t, cfg, []string{"new"}, r, body, t0))
}
