package signature_test

import (
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Rows of presets_batch_b.go in the table of TestPresets.
func init() {
	for _, name := range []string{"razorpay", "coinbase_commerce", "gocardless", "checkout_com", "revolut",
		"mux", "heroku", "workos"} {
		presetCases = append(presetCases, presetCase{name: name})
	}
}

// Known answers for batch B, as TestKnownAnswers: computed independently
// with Python's hmac module from each provider's description, secret
// "s3cret", body {"id":"evt_1"}, time 1700000000 (ms where the sender
// writes milliseconds).
func TestBatchBKnownAnswers(t *testing.T) {
	const body = `{"id":"evt_1"}`
	for _, tc := range []struct{ scheme, header, want string }{
		{"razorpay", "X-Razorpay-Signature", "4d9ffeb08661a558de926d65a83f186637434f47fef8d47c45e376c749c1c651"},
		{"coinbase_commerce", "X-CC-Webhook-Signature", "4d9ffeb08661a558de926d65a83f186637434f47fef8d47c45e376c749c1c651"},
		{"gocardless", "Webhook-Signature", "4d9ffeb08661a558de926d65a83f186637434f47fef8d47c45e376c749c1c651"},
		{"checkout_com", "Cko-Signature", "4d9ffeb08661a558de926d65a83f186637434f47fef8d47c45e376c749c1c651"},
		{"heroku", "Heroku-Webhook-Hmac-SHA256", "TZ/+sIZhpVjekm1lqD8YZjdDT0f++NR8ReN2x0nBxlE="},
		{"mux", "Mux-Signature", "t=1700000000,v1=8e6f5c9e12ccd802130a0cf337c2d90395d59605481627c32bb6c530172adf23"},
		{"revolut", "Revolut-Signature", "v1=7cfb198b8d18685c8b2231f5ca2b4958c3b0808496cbfa23f1421c895cecb6ef"},
		{"workos", "WorkOS-Signature", "t=1700000000000, v1=2b8187629d3821e37bb856d4529d1639a9141d71326a268f8f74f5e9f12f5e51"},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			cfg := Config{Scheme: tc.scheme}
			r := signed(t, cfg, []string{"s3cret"}, body, nil)
			assert.Equal(t, tc.want, r.Header.Get(tc.header))
			if tc.scheme == "revolut" {
				assert.Equal(t, "1700000000000", r.Header.Get("Revolut-Request-Timestamp"))
			}
			h := r.Header.Clone()
			h.Set(tc.header, tc.want)
			requireReason(t, "", verify(t, cfg, []string{"s3cret"}, request(testTarget, h, body), body, t0))
		})
	}
}

// Revolut's page publishes a signing secret, a timestamp and a payload
// (and the Python that signs them), not the resulting signature: the value
// below is that Python's output. Its example of a rotation header, two v1
// entries, is checked with the matching one second.
// https://developer.revolut.com/docs/guides/manage-accounts/webhooks/verify-the-payload-signature
func TestRevolutDocExample(t *testing.T) {
	const (
		secret = "wsk_r59a4HfWVAKycbCaNO1RvgCJec02gRd8"
		ts     = "1683650202360"
		body   = `{"data":{"id":"645a7696-1234-aa47-1234-cbae0449cc46","new_state":"completed","old_state":"pending",` +
			`"request_id":"app_charges-9f5d5eb3-1234-1234-1234-3914763e0bcb"},"event":"TransactionStateChanged",` +
			`"timestamp":"2023-05-09T16:36:38.028960Z"}`
		sig = "e0081c3c3d4019449671648596e1868a168d337d5ae711282f32eba42e02eeab"
	)
	now := time.UnixMilli(1683650202360)
	cfg := Config{Scheme: "revolut"}
	for _, header := range []string{
		"v1=" + sig,
		"v1=4fce70bda66b2e713be09fbb7ab1b31b0c8976ea4eeb01b244db7b99aa6482cb,v1=" + sig,
	} {
		h := http.Header{"Revolut-Request-Timestamp": {ts}, "Revolut-Signature": {header}}
		requireReason(t, "", verify(t, cfg, []string{secret}, request(testTarget, h, body), body, now))
	}
	h := http.Header{"Revolut-Request-Timestamp": {ts}, "Revolut-Signature": {"v1=" + sig}}
	requireReason(t, ReasonStale, verify(t, cfg, []string{secret}, request(testTarget, h, body), body, now.Add(5*time.Minute+time.Second)))
	// A timestamp in seconds is another timestamp: the signature does not
	// cover it.
	h.Set("Revolut-Request-Timestamp", "1683650202")
	requireReason(t, ReasonMismatch, verify(t, cfg, []string{secret}, request(testTarget, h, body), body, now))
}

// WorkOS writes "t=<ms>, v1=<hex>"; the verifier also takes the pair
// without the space, and reads the timestamp as milliseconds.
func TestWorkOSHeader(t *testing.T) {
	const body = `{"id":"event_01","event":"user.created"}`
	cfg := Config{Scheme: "workos"}
	r := signed(t, cfg, []string{"s3cret", "other"}, body, nil)
	v := r.Header.Get("WorkOS-Signature")
	assert.Regexp(t, `^t=1700000000000, v1=[0-9a-f]{64}$`, v, "one signature, as WorkOS sends")
	h := r.Header.Clone()
	h.Set("WorkOS-Signature", "t=1700000000000,v1="+v[len("t=1700000000000, v1="):])
	requireReason(t, "", verify(t, cfg, []string{"s3cret"}, request(testTarget, h, body), body, t0))
	requireReason(t, ReasonStale, verify(t, cfg, []string{"s3cret"}, r, body, t0.Add(3*time.Minute+time.Second)))
	p, ok := LookupPreset("workos")
	require.True(t, ok)
	assert.Equal(t, "WorkOS-Signature: t=<ms>, v1=<hex>", p.Describe().Header)
}
