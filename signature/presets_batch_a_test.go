package signature_test

import (
	"encoding/base64"
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Rows of presets_batch_a.go in the table of TestPresets.
func init() {
	for _, name := range []string{"bitbucket", "gitea", "gogs", "woocommerce", "lemonsqueezy", "notion",
		"helpscout", "segment", "customerio", "airtable"} {
		presetCases = append(presetCases, presetCase{name: name})
	}
}

// Known answers for batch A: none of these providers publishes a complete
// vector (secret, body and signature), so the expected values were computed
// independently with Python's hmac module from each provider's description:
// secret "s3cret" (Airtable: macSecretBase64 of "secret-key-for-airtable"),
// body {"id":"evt_1"}, time 1700000000.
func TestKnownAnswersBatchA(t *testing.T) {
	const (
		sha256Hex = "4d9ffeb08661a558de926d65a83f186637434f47fef8d47c45e376c749c1c651"
		sha256B64 = "TZ/+sIZhpVjekm1lqD8YZjdDT0f++NR8ReN2x0nBxlE="
		sha1Hex   = "a045892101457cf68832532c85398903cd9ed5fd"
		sha1B64   = "oEWJIQFFfPaIMlMshTmJA82e1f0="
	)
	airtableSecret := base64.StdEncoding.EncodeToString([]byte("secret-key-for-airtable"))
	for _, tc := range []struct {
		scheme, header, want, secret string
		also                         http.Header // other headers the signer sets
	}{
		{scheme: "bitbucket", header: "X-Hub-Signature", want: "sha256=" + sha256Hex},
		{scheme: "gitea", header: "X-Gitea-Signature", want: sha256Hex},
		{scheme: "gogs", header: "X-Gogs-Signature", want: sha256Hex},
		{scheme: "woocommerce", header: "X-WC-Webhook-Signature", want: sha256B64},
		{scheme: "lemonsqueezy", header: "X-Signature", want: sha256Hex},
		{scheme: "notion", header: "X-Notion-Signature", want: "sha256=" + sha256Hex},
		{scheme: "helpscout", header: "X-HelpScout-Signature", want: sha1B64},
		{scheme: "segment", header: "X-Signature", want: sha1Hex},
		// Customer.io signs "v0:" + X-CIO-Timestamp + ":" + body.
		{scheme: "customerio", header: "X-CIO-Signature", want: "c2ae2bc4592d0ef8fd9bf95e8a107a592ff6bad9173a51550a3cf19251ede843",
			also: http.Header{"X-Cio-Timestamp": {"1700000000"}}},
		// Airtable keys the HMAC with the base64-decoded macSecretBase64.
		{scheme: "airtable", header: "X-Airtable-Content-MAC", secret: airtableSecret,
			want: "hmac-sha256=07dc45bf8499292fe62960fc7c2babc85f299bf0014c041c807bcd23f83c4a23"},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			body, secret := `{"id":"evt_1"}`, tc.secret
			if secret == "" {
				secret = "s3cret"
			}
			cfg := Config{Scheme: tc.scheme}
			r := signed(t, cfg, []string{secret}, body, nil)
			assert.Equal(t, tc.want, r.Header.Get(tc.header))
			for k, v := range tc.also {
				assert.Equal(t, v, r.Header[k], k)
			}
			// A request built from the expected values alone verifies.
			h := http.Header{http.CanonicalHeaderKey(tc.header): {tc.want}}
			for k, v := range tc.also {
				h[k] = v
			}
			requireReason(t, "", verify(t, cfg, []string{secret}, request(testTarget, h, body), body, t0))
			requireReason(t, ReasonMismatch, verify(t, cfg, []string{secret}, request(testTarget, h, body+" "), body+" ", t0))
		})
	}
}

// Airtable's secret is macSecretBase64: its raw bytes are not the key, and
// a value that is not base64 is refused without being echoed.
func TestAirtableSecret(t *testing.T) {
	body := `{"base":{"id":"app00000000000000"},"webhook":{"id":"ach00000000000000"},"timestamp":"2022-02-01T21:25:05.663Z"}`
	raw := "secret-key-for-airtable"
	b64 := base64.StdEncoding.EncodeToString([]byte(raw))
	r := signed(t, Config{Scheme: "airtable"}, []string{b64}, body, nil)
	requireReason(t, "", verify(t, Config{Scheme: "airtable"}, []string{b64}, r, body, t0))
	// The same key given as a generic HMAC of the raw bytes agrees.
	generic := Config{Scheme: "hmac", Header: "X-Airtable-Content-MAC", Prefix: "hmac-sha256=", Algorithm: "sha256", Encoding: "hex"}
	requireReason(t, "", verify(t, generic, []string{raw}, r, body, t0))

	_, err := Config{Scheme: "airtable"}.NewVerifier([]string{"not base64!"}, 0)
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "not base64!")
}

// Notion's one-time verification POST is unsigned: the preset refuses it
// (no handshake answers it), so the token it carries is never forwarded.
func TestNotionVerificationRequestRefused(t *testing.T) {
	body := `{"verification_token":"secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"}`
	v, err := Config{Scheme: "notion"}.NewVerifier([]string{"secret_tMrlL1qK5vuQAh1b6cZGhFChZTSYJlce98V0pYn7yBl"}, 0)
	require.NoError(t, err)
	r := request(testTarget, http.Header{"Content-Type": {"application/json"}}, body)
	requireReason(t, ReasonMissing, v.Verify(r, []byte(body), t0))
	_, isHandshaker := v.(Handshaker)
	assert.False(t, isHandshaker, "notion answers no handshake")
}
