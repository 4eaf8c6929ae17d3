package signature_test

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestSignedHeaders(t *testing.T) {
	for _, tc := range []struct {
		cfg  Config
		want []string
	}{
		{Config{Scheme: "github"}, nil},
		{Config{Scheme: "gitlab"}, nil},
		{Config{Scheme: "mailgun"}, nil},
		{Config{Scheme: "ctxfy"}, nil},
		{Config{Scheme: "standard_webhooks"}, []string{"Webhook-Id", "Webhook-Timestamp"}},
		{Config{Scheme: "slack"}, []string{"X-Slack-Request-Timestamp"}},
		{Config{Scheme: "stripe"}, nil},                  // its timestamp is in the signature header
		{Config{Header: "X-Sig", IDHeader: "X-Id"}, nil}, // read, but not in signed_content
		{Config{Header: "X-Sig", IDHeader: "X-Id", TimestampHeader: "x-ts", SignedContent: "{id}.{timestamp}.{header.x-topic}.{body}"},
			[]string{"X-Id", "X-Ts", "X-Topic"}},
	} {
		assert.Equal(t, tc.want, tc.cfg.SignedHeaders(), "%+v", tc.cfg)
	}
}

// TestVerifyDigest checks that the digest a key is built from stays the same
// when only what the signature does not cover changes, and that it is the
// digest of the signed content itself.
func TestVerifyDigest(t *testing.T) {
	const body = `{"id":"evt_1","action":"opened"}`
	sum := func(s string) []byte { b := sha256.Sum256([]byte(s)); return b[:] }
	digest := func(t *testing.T, cfg Config, secrets []string, r *http.Request, body string) []byte {
		t.Helper()
		v, err := cfg.NewVerifier(secrets, 0)
		require.NoError(t, err)
		d, err := v.VerifyDigest(r, []byte(body), t0)
		require.NoError(t, err)
		return d
	}
	for _, name := range []string{"github", "shopify", "linear"} {
		t.Run(name+": the body, whatever the delivery header", func(t *testing.T) {
			cfg := Config{Scheme: name}
			b := body
			if name == "linear" {
				b = linearBody(t0)
			}
			r := signed(t, cfg, []string{"k"}, b, nil)
			first := digest(t, cfg, []string{"k"}, r, b)
			assert.Equal(t, sum(b), first)
			for _, h := range []string{"X-Github-Delivery", "X-Shopify-Webhook-Id", "Linear-Delivery"} {
				r.Header.Set(h, "replayed-"+h)
			}
			assert.Equal(t, first, digest(t, cfg, []string{"k"}, r, b))
		})
	}
	t.Run("twilio: the URL spelling the sender signed", func(t *testing.T) {
		cfg := Config{Scheme: "twilio"}
		form := "CallSid=CA123&Digits=1234"
		hdr := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		r := signed(t, cfg, []string{"k"}, form, hdr)
		want := sum(testTarget + "CallSid" + "CA123" + "Digits" + "1234")
		assert.Equal(t, want, digest(t, cfg, []string{"k"}, r, form))
		r.Host += ":443"                                       // verifies through the other spelling
		r.Header.Set("I-Twilio-Idempotency-Token", "replayed") // not signed
		assert.Equal(t, want, digest(t, cfg, []string{"k"}, r, form))
	})
	t.Run("standard webhooks: id, timestamp and body", func(t *testing.T) {
		cfg := Config{Scheme: "standard_webhooks"}
		key, _ := keyPair(t, PresetSpec("standard_webhooks"), 0)
		r := signed(t, cfg, []string{key}, body, nil)
		assert.Equal(t, sum("msg_2Xo3."+strconv.FormatInt(t0.Unix(), 10)+"."+body), digest(t, cfg, []string{key}, r, body))
	})
	t.Run("a shared token covers nothing", func(t *testing.T) {
		r := request(testTarget, http.Header{"X-Gitlab-Token": {"tok"}}, body)
		assert.Nil(t, digest(t, Config{Scheme: "gitlab"}, []string{"tok"}, r, body))
	})
	t.Run("unsigned senders", func(t *testing.T) {
		assert.Nil(t, digest(t, Config{Scheme: "ctxfy"}, nil, request(testTarget, nil, body), body))
	})
	t.Run("no digest without a valid signature", func(t *testing.T) {
		v, err := Config{Scheme: "github"}.NewVerifier([]string{"k"}, 0)
		require.NoError(t, err)
		r := signed(t, Config{Scheme: "github"}, []string{"other"}, body, nil)
		d, err := v.VerifyDigest(r, []byte(body), t0)
		requireReason(t, ReasonMismatch, err)
		assert.Nil(t, d)
	})
}

// TestMailgunDigest checks that the mailgun digest is that of
// timestamp+token in every body form, so that one token keys one event
// whatever event data comes with it.
func TestMailgunDigest(t *testing.T) {
	const key, token = "key-mailgun-signing", "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f607182"
	ts := strconv.FormatInt(t0.Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + token))
	sig := hex.EncodeToString(m.Sum(nil))
	want := sha256.Sum256([]byte(ts + token))
	fields := map[string]string{"timestamp": ts, "token": token, "signature": sig}
	multipartBody, boundary := mailgunMultipart(t, fields)
	form := func(event string) string {
		return url.Values{"timestamp": {ts}, "token": {token}, "signature": {sig}, "event": {event}}.Encode()
	}
	jsonBody := func(event string) string {
		return `{"signature":{"timestamp":"` + ts + `","token":"` + token + `","signature":"` + sig + `"},"event-data":{"id":"` + event + `"}}`
	}
	v, err := Config{Scheme: "mailgun"}.NewVerifier([]string{key}, 0)
	require.NoError(t, err)
	for _, tc := range []struct{ name, contentType, body string }{
		{"json", "application/json", jsonBody("ev_1")},
		{"json, other event data", "application/json", jsonBody("ev_forged")},
		{"form", "application/x-www-form-urlencoded", form("delivered")},
		{"form, other event data", "application/x-www-form-urlencoded", form("opened")},
		{"multipart", "multipart/form-data; boundary=" + boundary, multipartBody},
	} {
		r := request("https://hooks.example.com/mailgun", http.Header{"Content-Type": {tc.contentType}}, tc.body)
		d, err := v.VerifyDigest(r, []byte(tc.body), t0)
		require.NoError(t, err, tc.name)
		assert.Equal(t, want[:], d, tc.name)
	}
}

// linearBody is a Linear payload sent at t.
func linearBody(at time.Time) string {
	return `{"action":"create","type":"Issue","data":{"id":"iss_1"},"webhookTimestamp":` + strconv.FormatInt(at.UnixMilli(), 10) + `}`
}

// TestLinearBodyTimestamp checks Linear's webhookTimestamp, which Linear
// signs inside the body: outside the tolerance it is stale, like a signed
// timestamp header elsewhere.
func TestLinearBodyTimestamp(t *testing.T) {
	cfg := Config{Scheme: "linear"}
	for _, tc := range []struct {
		name, body string
		now        time.Time
		want       Reason
	}{
		{"fresh", linearBody(t0), t0, ""},
		{"one minute old", linearBody(t0), t0.Add(time.Minute), ""},
		{"stale", linearBody(t0), t0.Add(time.Minute + time.Second), ReasonStale},
		{"from the future", linearBody(t0.Add(2 * time.Minute)), t0, ReasonStale},
		{"replayed an hour later", linearBody(t0), t0.Add(time.Hour), ReasonStale},
		{"missing", `{"action":"create","data":{"id":"iss_1"}}`, t0, ReasonMissing},
		{"a string", `{"webhookTimestamp":"1700000000000"}`, t0, ReasonMalformed},
		{"negative", `{"webhookTimestamp":-1}`, t0, ReasonMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := signed(t, cfg, []string{"k"}, tc.body, nil)
			requireReason(t, tc.want, verify(t, cfg, []string{"k"}, r, tc.body, tc.now))
		})
	}
	t.Run("explicit tolerance", func(t *testing.T) {
		v, err := cfg.NewVerifier([]string{"k"}, time.Hour)
		require.NoError(t, err)
		b := linearBody(t0)
		assert.NoError(t, v.Verify(signed(t, cfg, []string{"k"}, b, nil), []byte(b), t0.Add(30*time.Minute)))
	})
	t.Run("checked only once the signature matched", func(t *testing.T) {
		b := `{"action":"create"}`
		r := signed(t, cfg, []string{"other"}, b, nil)
		requireReason(t, ReasonMismatch, verify(t, cfg, []string{"k"}, r, b, t0))
	})
}
