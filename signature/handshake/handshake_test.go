package handshake_test

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature"
	"github.com/hookgate/hookgate/signature/handshake"
	_ "github.com/hookgate/hookgate/signature/presets"
)

// The handshakes are tested through the presets that answer them, as the
// inbound handler uses them: sign, verify, then answer.

// t0 is the fixed "now" of the tests.
var t0 = time.Unix(1700000000, 0)

// signed builds a request whose headers sign body under cfg with secrets
// (h holds headers set before signing).
func signed(t *testing.T, cfg signature.Config, secrets []string, body string, h http.Header) *http.Request {
	t.Helper()
	const target = "https://hooks.example.com/in/provider?x=1"
	s, err := cfg.NewSigner(secrets)
	require.NoError(t, err)
	h = h.Clone()
	if h == nil {
		h = http.Header{}
	}
	u, err := url.Parse(target)
	require.NoError(t, err)
	require.NoError(t, s.Sign(h, u, "msg_2Xo3", []byte(body), t0))
	r := httptest.NewRequest(http.MethodPost, target, strings.NewReader(body))
	for k, v := range h {
		r.Header[k] = v
	}
	return r
}

// handshakeOf builds cfg's verifier and returns it as a Handshaker.
func handshakeOf(t *testing.T, cfg signature.Config, secrets ...string) (signature.Verifier, handshake.Handshaker) {
	t.Helper()
	v, err := cfg.NewVerifier(secrets, 0)
	require.NoError(t, err)
	hs, ok := v.(handshake.Handshaker)
	require.True(t, ok, "%s has no handshake", cfg.Scheme)
	return v, hs
}

// answer verifies r and passes the result to the handshake, as the handler does.
func answer(t *testing.T, v signature.Verifier, hs handshake.Handshaker, r *http.Request, body string) *handshake.Reply {
	t.Helper()
	verified := v.Verify(r, []byte(body), t0) == nil
	return hs.Handshake(r, []byte(body), verified)
}

func TestSignedHandshakes(t *testing.T) {
	seed := sha256.Sum256([]byte("discord"))
	discordPriv := hex.EncodeToString(seed[:])
	discordPub := hex.EncodeToString(ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
	zoomMAC := hmac.New(sha256.New, []byte("zoom-secret"))
	zoomMAC.Write([]byte("qgg8vlvZRS6UYooatFL8Aw"))

	for _, tc := range []struct {
		name, scheme, signWith, verifyWith string
		body                               string
		header                             http.Header
		want                               string // reply body; "" for no reply
		contentType                        string
	}{
		// https://api.slack.com/events/url_verification (payload from the page)
		{name: "slack url_verification", scheme: "slack", signWith: "slack-secret", verifyWith: "slack-secret",
			body: `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`,
			want: "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", contentType: "text/plain; charset=utf-8"},
		{name: "slack event is no handshake", scheme: "slack", signWith: "slack-secret", verifyWith: "slack-secret",
			body: `{"type":"event_callback","event_id":"Ev1","event":{"type":"message","text":"url_verification"}}`},
		{name: "slack url_verification, bad signature", scheme: "slack", signWith: "other", verifyWith: "slack-secret",
			body: `{"challenge":"c","type":"url_verification"}`},
		// https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#responding-to-a-challenge-request
		{name: "twitch challenge", scheme: "twitch", signWith: "twitch-secret", verifyWith: "twitch-secret",
			body:   `{"challenge":"pogchamp-kappa-360noscope-vohiyo","subscription":{"id":"f1c2a387-161a-49f9-a165-0f21d7a4e1c4","status":"webhook_callback_verification_pending","type":"channel.follow"}}`,
			header: http.Header{"Twitch-Eventsub-Message-Type": {"webhook_callback_verification"}},
			want:   "pogchamp-kappa-360noscope-vohiyo", contentType: "text/plain; charset=utf-8"},
		{name: "twitch notification is no handshake", scheme: "twitch", signWith: "twitch-secret", verifyWith: "twitch-secret",
			body:   `{"challenge":"x","event":{}}`,
			header: http.Header{"Twitch-Eventsub-Message-Type": {"notification"}}},
		{name: "twitch challenge, bad signature", scheme: "twitch", signWith: "other", verifyWith: "twitch-secret",
			body:   `{"challenge":"x"}`,
			header: http.Header{"Twitch-Eventsub-Message-Type": {"webhook_callback_verification"}}},
		// https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint
		{name: "zoom url_validation", scheme: "zoom", signWith: "zoom-secret", verifyWith: "zoom-secret",
			body: `{"payload":{"plainToken":"qgg8vlvZRS6UYooatFL8Aw"},"event_ts":1654503849680,"event":"endpoint.url_validation"}`,
			want: `{"encryptedToken":"` + hex.EncodeToString(zoomMAC.Sum(nil)) + `","plainToken":"qgg8vlvZRS6UYooatFL8Aw"}`, contentType: "application/json"},
		{name: "zoom url_validation, bad signature", scheme: "zoom", signWith: "other", verifyWith: "zoom-secret",
			body: `{"payload":{"plainToken":"p"},"event":"endpoint.url_validation"}`},
		// https://discord.com/developers/docs/interactions/receiving-and-responding#receiving-an-interaction
		{name: "discord ping", scheme: "discord", signWith: discordPriv, verifyWith: discordPub,
			body: `{"application_id":"123","id":"456","token":"tok","type":1,"version":1}`,
			want: `{"type":1}`, contentType: "application/json"},
		{name: "discord command is no handshake", scheme: "discord", signWith: discordPriv, verifyWith: discordPub,
			body: `{"id":"457","type":2,"data":{"name":"hi"}}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := signature.Config{Scheme: tc.scheme}
			v, hs := handshakeOf(t, cfg, tc.verifyWith)
			r := signed(t, cfg, []string{tc.signWith}, tc.body, tc.header)
			rep := answer(t, v, hs, r, tc.body)
			if tc.want == "" {
				assert.Nil(t, rep)
				return
			}
			require.NotNil(t, rep)
			assert.Equal(t, http.StatusOK, rep.Status)
			assert.Equal(t, tc.contentType, rep.ContentType)
			assert.Equal(t, tc.want, string(rep.Body))
		})
	}
}

func TestMetaHandshake(t *testing.T) {
	cfg := signature.Config{Scheme: "meta", VerifyToken: "meta-verify-token"}
	v, hs := handshakeOf(t, cfg, "app-secret")
	get := func(q string) *handshake.Reply {
		return answer(t, v, hs, httptest.NewRequest(http.MethodGet, "https://hooks.example.com/meta?"+q, nil), "")
	}
	// https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
	rep := get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=meta-verify-token")
	require.NotNil(t, rep)
	assert.Equal(t, http.StatusOK, rep.Status)
	assert.Equal(t, "1158201444", string(rep.Body))

	rep = get("hub.mode=subscribe&hub.challenge=1158201444&hub.verify_token=wrong")
	require.NotNil(t, rep)
	assert.Equal(t, http.StatusForbidden, rep.Status)
	assert.NotContains(t, string(rep.Body), "1158201444")
	assert.NotContains(t, string(rep.Body), "meta-verify-token")

	assert.Nil(t, get("hub.challenge=1&hub.verify_token=meta-verify-token"), "no hub.mode")
	post := signed(t, cfg, []string{"app-secret"}, `{"object":"page","entry":[]}`, nil)
	assert.Nil(t, answer(t, v, hs, post, `{"object":"page","entry":[]}`), "a signed event is no handshake")

	// Without a verify token, the GET is not answered (so the route refuses it).
	v, hs = handshakeOf(t, signature.Config{Scheme: "meta"}, "app-secret")
	assert.Nil(t, answer(t, v, hs, httptest.NewRequest(http.MethodGet, "/meta?hub.mode=subscribe&hub.challenge=1&hub.verify_token=", nil), ""))

	assert.ErrorContains(t, signature.Config{Scheme: "github", VerifyToken: "x", Secrets: []string{"s"}}.Validate(), "verify_token does not apply")
	assert.NoError(t, signature.Config{Scheme: "meta", VerifyToken: "{env.T}", Secrets: []string{"s"}}.Validate())
}

func TestOktaHandshake(t *testing.T) {
	v, hs := handshakeOf(t, signature.Config{Scheme: "okta"}, "Basic c2VjcmV0")
	req := func(auth string) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "https://hooks.example.com/okta", nil)
		r.Header.Set("X-Okta-Verification-Challenge", "J9YbKAIoNxLHQyswvSXIrkUJljeF0pu2")
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	// https://developer.okta.com/docs/concepts/event-hooks/#one-time-verification-request
	rep := answer(t, v, hs, req("Basic c2VjcmV0"), "")
	require.NotNil(t, rep)
	assert.Equal(t, `{"verification":"J9YbKAIoNxLHQyswvSXIrkUJljeF0pu2"}`, string(rep.Body))
	assert.Nil(t, answer(t, v, hs, req("Basic d3Jvbmc="), ""), "wrong secret")
	assert.Nil(t, answer(t, v, hs, req(""), ""), "no secret")
}

func TestNoHandshake(t *testing.T) {
	for _, name := range []string{"github", "stripe", "contextfile"} {
		v, err := signature.Config{Scheme: name}.NewVerifier([]string{"s"}, 0)
		require.NoError(t, err)
		_, ok := v.(handshake.Handshaker)
		assert.False(t, ok, name)
	}
}
