package signature_test

import (
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Published test vectors: each one comes from the provider's documentation or
// its official library, and the source is cited above it.
func TestPublishedVectors(t *testing.T) {
	for _, tc := range []struct {
		name, scheme, secret string
		target, body         string
		header               http.Header
		now                  time.Time
		url                  string // Config.URL
	}{
		// https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
		// ("Testing the webhook payload validation").
		{name: "github docs", scheme: "github", secret: "It's a Secret to Everybody", body: "Hello, World!",
			header: http.Header{"X-Hub-Signature-256": {"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"}}},

		// https://api.slack.com/authentication/verifying-requests-from-slack (worked example).
		{name: "slack docs", scheme: "slack", secret: "8f742231b10e8888abcd99yyyzzz85a5", body: slackDocBody,
			header: http.Header{
				"X-Slack-Request-Timestamp": {"1531420618"},
				"X-Slack-Signature":         {"v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503"},
			}, now: time.Unix(1531420618, 0)},

		// https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/go/webhook_test.go
		// (TestWebhookSign), also the example of https://docs.svix.com/receiving/verifying-payloads/how
		{name: "standard webhooks library", scheme: "standard_webhooks", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			body: `{"test": 2432232314}`, now: time.Unix(1614265330, 0),
			header: http.Header{
				"Webhook-Id":        {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
				"Webhook-Timestamp": {"1614265330"},
				"Webhook-Signature": {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
			}},
		// Same, with the library's multi-signature case (other versions and
		// non-matching v1 entries around the valid one), unprefixed secret.
		{name: "standard webhooks multi signature", scheme: "standard_webhooks", secret: "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			body: `{"test": 2432232314}`, now: time.Unix(1614265330, 0),
			header: http.Header{
				"Webhook-Id":        {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
				"Webhook-Timestamp": {"1614265330"},
				"Webhook-Signature": {"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " +
					"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE= v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc="},
			}},
		// The svix headers of Resend's own page shows (its example is
		// Svix's, with Svix's example secret):
		// https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests
		{name: "resend docs", scheme: "resend", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			body: `{"test": 2432232314}`, now: time.Unix(1614265330, 0),
			header: http.Header{
				"Svix-Id":        {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
				"Svix-Timestamp": {"1614265330"},
				"Svix-Signature": {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
			}},
		{name: "svix headers", scheme: "svix", secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw",
			body: `{"test": 2432232314}`, now: time.Unix(1614265330, 0),
			header: http.Header{
				"Svix-Id":        {"msg_p5jXN8AQM9LWM0D4loKWxJek"},
				"Svix-Timestamp": {"1614265330"},
				"Svix-Signature": {"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="},
			}},

		// https://www.twilio.com/docs/usage/webhooks/webhooks-security: the
		// documented example (auth token 12345, this URL, five parameters).
		{name: "twilio docs form", scheme: "twilio", secret: "12345", target: twilioURL, body: twilioDocForm,
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
				"X-Twilio-Signature": {"RSOYDt4T1cUTdK1PDd93/VVr8B8="}}},
		// https://github.com/twilio/twilio-go/blob/main/client/request_validator_test.go:
		// seven parameters; then a JSON body bound by bodySHA256.
		{name: "twilio-go form", scheme: "twilio", secret: "12345", target: twilioURL,
			body: twilioDocForm + "&ReasonConferenceEnded=test&Reason=Participant",
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
				"X-Twilio-Signature": {"vOEb5UThFn24KEfnOFLQY2AE5FY="}}},
		{name: "twilio-go form, port in the request but not signed", scheme: "twilio", secret: "12345",
			target: strings.Replace(twilioURL, ".com", ".com:1234", 1),
			body:   twilioDocForm + "&ReasonConferenceEnded=test&Reason=Participant",
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"},
				"X-Twilio-Signature": {"vOEb5UThFn24KEfnOFLQY2AE5FY="}}},
		{name: "twilio-go json bodySHA256", scheme: "twilio", secret: "12345",
			target: twilioURL + "&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
			body:   `{"property": "value", "boolean": true}`,
			header: http.Header{"Content-Type": {"application/json"}, "X-Twilio-Signature": {"a9nBmqA0ju/hNViExpshrM61xv4="}}},

		// https://github.com/sendgrid/sendgrid-go/blob/main/helpers/eventwebhook/eventwebhook_test.go
		// (the same vector is in every SendGrid library).
		{name: "sendgrid library", scheme: "sendgrid", secret: sendgridPublicKey, now: time.Unix(1588788367, 0),
			body: `{"category":"example_payload","event":"test_event","message_id":"message_id"}`,
			header: http.Header{
				"X-Twilio-Email-Event-Webhook-Signature": {"MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH2j/0="},
				"X-Twilio-Email-Event-Webhook-Timestamp": {"1588788367"},
			}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			target := tc.target
			if target == "" {
				target = testTarget
			}
			now := tc.now
			if now.IsZero() {
				now = t0
			}
			cfg := Config{Scheme: tc.scheme, URL: tc.url}
			requireReason(t, "", verify(t, cfg, []string{tc.secret}, request(target, tc.header, tc.body), tc.body, now))
			// The same request fails with another secret or another body.
			requireReason(t, ReasonMismatch, verify(t, cfg, []string{tc.secret}, request(target, tc.header, tc.body), tc.body+" ", now))
		})
	}
	t.Run("sendgrid bad signature from the library tests", func(t *testing.T) {
		h := http.Header{
			"X-Twilio-Email-Event-Webhook-Signature": {"MEUCIQCtIHJeH93Y+qpYeWrySphQgpNGNr/U+UyUlBkU6n7RAwIgJTz2C+8a8xonZGi6BpSzoQsbVRamr2nlxFDWYNH3j/0="},
			"X-Twilio-Email-Event-Webhook-Timestamp": {"1588788367"},
		}
		body := `{"category":"example_payload","event":"test_event","message_id":"message_id"}`
		requireReason(t, ReasonMismatch, verify(t, Config{Scheme: "sendgrid"}, []string{sendgridPublicKey},
			request(testTarget, h, body), body, time.Unix(1588788367, 0)))
	})
}

// The signers reproduce the published values exactly.
func TestPublishedVectorsSign(t *testing.T) {
	sign := func(t *testing.T, scheme, secret, target, id, body string, h http.Header, now time.Time) http.Header {
		t.Helper()
		s, err := Config{Scheme: scheme}.NewSigner([]string{secret})
		require.NoError(t, err)
		if h == nil {
			h = http.Header{}
		}
		require.NoError(t, s.Sign(h, mustURL(t, target), id, []byte(body), now))
		return h
	}
	h := sign(t, "standard_webhooks", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", testTarget, "msg_p5jXN8AQM9LWM0D4loKWxJek",
		`{"test": 2432232314}`, nil, time.Unix(1614265330, 0))
	assert.Equal(t, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", h.Get("Webhook-Signature"))
	assert.Equal(t, "1614265330", h.Get("Webhook-Timestamp"))
	assert.Equal(t, "msg_p5jXN8AQM9LWM0D4loKWxJek", h.Get("Webhook-Id"))

	h = sign(t, "slack", "8f742231b10e8888abcd99yyyzzz85a5", testTarget, "", slackDocBody, nil, time.Unix(1531420618, 0))
	assert.Equal(t, "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", h.Get("X-Slack-Signature"))

	h = sign(t, "github", "It's a Secret to Everybody", testTarget, "", "Hello, World!", nil, t0)
	assert.Equal(t, "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", h.Get("X-Hub-Signature-256"))

	h = sign(t, "twilio", "12345", twilioURL, "", twilioDocForm,
		http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}, t0)
	assert.Equal(t, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", h.Get("X-Twilio-Signature"))

	// The private key of the SendGrid library tests (SEC 1 DER) signs what
	// the published public key verifies (ECDSA signatures are randomised).
	body := `{"category":"example_payload","event":"test_event","message_id":"message_id"}`
	h = sign(t, "sendgrid", sendgridPrivateKey, testTarget, "", body, nil, t0)
	requireReason(t, "", verify(t, Config{Scheme: "sendgrid"}, []string{sendgridPublicKey}, request(testTarget, h, body), body, t0))
}

// Known answers for the presets whose providers publish no complete vector:
// the expected values were computed independently with Python's hmac module
// from each provider's description of its scheme, secret "s3cret", body
// {"id":"evt_1"}, time 1700000000, id msg_2Xo3, URL testTarget.
func TestKnownAnswers(t *testing.T) {
	for _, tc := range []struct {
		scheme, header, want string
		target               string
		body                 string // default {"id":"evt_1"}
	}{
		{scheme: "stripe", header: "Stripe-Signature", want: "t=1700000000,v1=8e6f5c9e12ccd802130a0cf337c2d90395d59605481627c32bb6c530172adf23"},
		{scheme: "paddle", header: "Paddle-Signature", want: "ts=1700000000;h1=95138863ee079b7655130a7023e2b36c8ceecc3204bd7f97b17d2037ada3119b"},
		{scheme: "calendly", header: "Calendly-Webhook-Signature", want: "t=1700000000,v1=8e6f5c9e12ccd802130a0cf337c2d90395d59605481627c32bb6c530172adf23"},
		{scheme: "slack", header: "X-Slack-Signature", want: "v0=c2ae2bc4592d0ef8fd9bf95e8a107a592ff6bad9173a51550a3cf19251ede843"},
		{scheme: "zoom", header: "x-zm-signature", want: "v0=c2ae2bc4592d0ef8fd9bf95e8a107a592ff6bad9173a51550a3cf19251ede843"},
		{scheme: "twitch", header: "Twitch-Eventsub-Message-Signature", want: "sha256=b59aae3f1183de70742da75bba185b58fb22ce1c239b40d36337c60fce12b044"},
		{scheme: "pagerduty", header: "X-PagerDuty-Signature", want: "v1=4d9ffeb08661a558de926d65a83f186637434f47fef8d47c45e376c749c1c651"},
		{scheme: "square", header: "x-square-hmacsha256-signature", want: "rcPBOi5KRe0jaZHHUMzngVoH5k0TkbPizAIfZSbtz+Y="},
		{scheme: "typeform", header: "Typeform-Signature", want: "sha256=TZ/+sIZhpVjekm1lqD8YZjdDT0f++NR8ReN2x0nBxlE="},
		{scheme: "xero", header: "x-xero-signature", want: "TZ/+sIZhpVjekm1lqD8YZjdDT0f++NR8ReN2x0nBxlE="},
		{scheme: "shopify", header: "X-Shopify-Hmac-Sha256", want: "TZ/+sIZhpVjekm1lqD8YZjdDT0f++NR8ReN2x0nBxlE="},
		{scheme: "vercel", header: "x-vercel-signature", want: "a045892101457cf68832532c85398903cd9ed5fd"},
		{scheme: "intercom", header: "X-Hub-Signature", want: "sha1=a045892101457cf68832532c85398903cd9ed5fd"},
		// Linear also signs the time in its body (webhookTimestamp, ms).
		{scheme: "linear", header: "Linear-Signature", want: "b8a6b0d36274359de0a7d6b164e6894c94d3e375dea92b2e6e1dd7535d225eaa",
			body: `{"id":"evt_1","webhookTimestamp":1700000000000}`},
		{scheme: "circleci", header: "Circleci-Signature", want: "v1=4d9ffeb08661a558de926d65a83f186637434f47fef8d47c45e376c749c1c651"},
		{scheme: "sentry", header: "Sentry-Hook-Signature", want: "4d9ffeb08661a558de926d65a83f186637434f47fef8d47c45e376c749c1c651"},
		{scheme: "contextfile", header: "X-Webhook-Signature", want: "4d9ffeb08661a558de926d65a83f186637434f47fef8d47c45e376c749c1c651"},
		{scheme: "changethisfile", header: "X-CTF-Signature", want: "sha256=4d9ffeb08661a558de926d65a83f186637434f47fef8d47c45e376c749c1c651"},
		// HubSpot signs POST + the URI with %3A and %2F decoded + body + ms.
		{scheme: "hubspot", header: "X-HubSpot-Signature-v3", want: "EnhaQaBK8u90uawsGLX6kXlaDqiZv0bLWVLq8v5KWKc=",
			target: testTarget + "&r=a%3Ab%2Fc"},
	} {
		t.Run(tc.scheme, func(t *testing.T) {
			target, body := tc.target, tc.body
			if target == "" {
				target = testTarget
			}
			if body == "" {
				body = `{"id":"evt_1"}`
			}
			cfg := Config{Scheme: tc.scheme}
			r := signedTo(t, cfg, []string{"s3cret"}, target, body, nil)
			assert.Equal(t, tc.want, r.Header.Get(tc.header))
			h := r.Header.Clone()
			h.Set(tc.header, tc.want)
			requireReason(t, "", verify(t, cfg, []string{"s3cret"}, request(target, h, body), body, t0))
		})
	}
}

func mustURL(t *testing.T, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	require.NoError(t, err)
	return u
}

const (
	slackDocBody = "token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V" +
		"&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=" +
		"&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN" +
		"&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c"
	twilioURL     = "https://mycompany.com/myapp.php?foo=1&bar=2"
	twilioDocForm = "CallSid=CA1234567890ABCDE&Caller=%2B14158675309&Digits=1234&From=%2B14158675309&To=%2B18005551212"

	sendgridPublicKey  = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
	sendgridPrivateKey = "MHcCAQEEIEQmZgBEh9DcU9zMl34czK3xov4AYvm9P3r7rNB2dNXtoAoGCCqGSM49AwEHoUQDQgAEEDr2LjtURuePQzplybdC+u4CwrqDqBaWjcMMsTbhdbcwHBcepxo7yAQGhHPTnlvFYPAZFceEu/1FwCM/QmGUhA=="
)
