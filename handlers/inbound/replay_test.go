package inbound

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookgate/hookgate/signature"
)

// TestReplayWithNewUnsignedHeader resends one signed request with a new
// value of the delivery-id header its sender does not sign: with the
// preset's default key it is a duplicate, as is the sender's own
// redelivery (same id, same body), and only the first is queued.
func TestReplayWithNewUnsignedHeader(t *testing.T) {
	for _, tc := range []struct {
		preset, idHeader, target, body string
		hdr                            http.Header
	}{
		{preset: "github", idHeader: "X-GitHub-Delivery", target: "/github",
			body: `{"action":"opened","number":1}`},
		{preset: "shopify", idHeader: "X-Shopify-Webhook-Id", target: "/shopify",
			body: `{"id":820982911946154508,"email":"jon@example.com"}`},
		{preset: "linear", idHeader: "Linear-Delivery", target: "/linear",
			body: `{"action":"create","type":"Issue","data":{"id":"iss_1"},"webhookTimestamp":` + strconv.FormatInt(testNow.UnixMilli(), 10) + `}`},
		{preset: "twilio", idHeader: "I-Twilio-Idempotency-Token", target: "http://hooks.example.com/twilio",
			body: "CallSid=CA123&From=%2B14158675309", hdr: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}},
	} {
		t.Run(tc.preset, func(t *testing.T) {
			cfg := signature.Config{Scheme: tc.preset}
			h := &Handler{Verify: &signature.Config{Scheme: tc.preset, Secrets: []string{"s3cret"}}}
			fb := setup(t, h)
			withID := func(id string) http.Header {
				hdr := tc.hdr.Clone()
				if hdr == nil {
					hdr = http.Header{}
				}
				hdr.Set(tc.idHeader, id)
				return hdr
			}
			w := send(t, h, cfg, "s3cret", testNow, http.MethodPost, tc.target, tc.body, withID("d-1"))
			require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
			w = send(t, h, cfg, "s3cret", testNow, http.MethodPost, tc.target, tc.body, withID("d-1"))
			assert.Equal(t, http.StatusOK, w.Code, "the sender's redelivery: %s", w.Body)
			w = send(t, h, cfg, "s3cret", testNow, http.MethodPost, tc.target, tc.body, withID("d-replayed"))
			assert.Equal(t, http.StatusOK, w.Code, "a replay with a new %s: %s", tc.idHeader, w.Body)
			assert.Contains(t, w.Body.String(), "duplicate")
			assert.Len(t, fb.enqueued, 1)
		})
	}
}

// mailgunPost is a Mailgun request of the given body form, signed with key.
func mailgunPost(t *testing.T, key, token, contentType string, event string) (string, http.Header) {
	t.Helper()
	ts := strconv.FormatInt(testNow.Unix(), 10)
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(ts + token))
	sig := hex.EncodeToString(m.Sum(nil))
	if contentType == "application/json" {
		return `{"signature":{"timestamp":"` + ts + `","token":"` + token + `","signature":"` + sig + `"},` +
			`"event-data":{"id":"` + event + `","event":"delivered"}}`, http.Header{"Content-Type": {contentType}}
	}
	return url.Values{"timestamp": {ts}, "token": {token}, "signature": {sig}, "event": {event}}.Encode(),
		http.Header{"Content-Type": {contentType}}
}

// TestMailgunKeysOnTheToken checks that form-encoded Mailgun posts are
// queued (they had no dedupe key before), and that a token, the only thing
// Mailgun signs beside its timestamp, cannot carry other event data.
func TestMailgunKeysOnTheToken(t *testing.T) {
	const key = "key-mailgun"
	for _, ct := range []string{"application/json", "application/x-www-form-urlencoded"} {
		t.Run(ct, func(t *testing.T) {
			h := &Handler{Verify: &signature.Config{Scheme: "mailgun", Secrets: []string{key}}}
			fb := setup(t, h)
			body, hdr := mailgunPost(t, key, "token-1", ct, "ev_1")
			w := send(t, h, signature.Config{}, "", testNow, http.MethodPost, "/mailgun", body, hdr)
			require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
			forged, hdr := mailgunPost(t, key, "token-1", ct, "ev_forged")
			w = send(t, h, signature.Config{}, "", testNow, http.MethodPost, "/mailgun", forged, hdr)
			assert.Equal(t, http.StatusOK, w.Code, "same token, other event data: %s", w.Body)
			other, hdr := mailgunPost(t, key, "token-2", ct, "ev_2")
			w = send(t, h, signature.Config{}, "", testNow, http.MethodPost, "/mailgun", other, hdr)
			assert.Equal(t, http.StatusAccepted, w.Code, "a new token: %s", w.Body)
			require.Len(t, fb.enqueued, 2)
			assert.Equal(t, body, string(fb.enqueued[0].Body))
		})
	}
}

// TestPresetDefaultsWarnNothing: no preset's default key reads a header its
// signature does not cover.
func TestPresetDefaultsWarnNothing(t *testing.T) {
	for _, name := range signature.Presets() {
		core, logs := observer.New(zapcore.WarnLevel)
		h := &Handler{Verify: &signature.Config{Scheme: name, Secrets: []string{"whsec_c2VjcmV0c2VjcmV0c2VjcmV0"}}, log: zap.New(core)}
		if p, _ := signature.LookupPreset(name); !p.Signed {
			h.Verify.Secrets = nil
		}
		if err := h.provisionVerifier(); err != nil {
			continue // asymmetric presets want real keys; their keys are audited in the signature package
		}
		require.NoError(t, h.provisionKeys(), name)
		assert.Empty(t, logs.All(), name)
	}
}

// TestLinearStale: a Linear webhook whose signed webhookTimestamp is past
// the tolerance gets the stale failure, and is not queued.
func TestLinearStale(t *testing.T) {
	h := &Handler{Verify: &signature.Config{Scheme: "linear", Secrets: []string{"s3cret"}}}
	fb := setup(t, h)
	old := testNow.Add(-2 * time.Minute)
	body := `{"action":"create","data":{"id":"iss_1"},"webhookTimestamp":` + strconv.FormatInt(old.UnixMilli(), 10) + `}`
	w := send(t, h, signature.Config{Scheme: "linear"}, "s3cret", old, http.MethodPost, "/linear", body, nil)
	assert.Equal(t, http.StatusUnauthorized, w.Code, w.Body.String())
	assert.Equal(t, []string{resultStale}, fb.results)
	assert.Empty(t, fb.enqueued)
}
