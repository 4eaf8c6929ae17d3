package signature

import (
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"

	"github.com/hookgate/hookgate/signature/keys"
)

// Some senders check an endpoint before (or while) they deliver to it: Slack's
// url_verification, Twitch's webhook_callback_verification, Zoom's
// endpoint.url_validation, Discord's PING, Meta's hub.challenge GET and
// Okta's one-time verification GET. The preset answers these itself; they
// are never deduplicated, queued nor forwarded.

// Reply is the answer to a handshake.
type Reply struct {
	Status      int
	ContentType string
	Body        []byte
}

// Handshaker is implemented by the Verifiers of presets whose senders check
// the endpoint.
type Handshaker interface {
	// Handshake returns the reply to r when r is one of the sender's
	// endpoint checks, and nil otherwise. body is the raw body and verified
	// reports whether r passed Verify: a check the sender signs is answered
	// only when verified, so that an unverified one is rejected by the caller
	// like any other request. The reply never holds a secret.
	Handshake(r *http.Request, body []byte, verified bool) *Reply
}

// handshake is a preset's answer to its sender's endpoint checks.
type handshake struct {
	answer func(k *handshakeKeys, r *http.Request, body []byte, verified bool) *Reply
	// verifyToken: the check carries Config.VerifyToken (Meta).
	verifyToken bool
}

// handshakeKeys are what the answers need of the configuration.
type handshakeKeys struct {
	mac         func(msg []byte) []byte // HMAC under the first secret, nil for other schemes
	verifyToken []byte                  // empty: none configured
}

// handshakeVerifier is a Verifier that also answers handshakes.
type handshakeVerifier struct {
	Verifier
	hs   *handshake
	keys handshakeKeys
}

func (v *handshakeVerifier) Handshake(r *http.Request, body []byte, verified bool) *Reply {
	return v.hs.answer(&v.keys, r, body, verified)
}

// withHandshake wraps v when the scheme has a handshake.
func withHandshake(v Verifier, sc *scheme, vk keys.Verifier, verifyToken string) Verifier {
	if sc.handshake == nil {
		return v
	}
	hv := &handshakeVerifier{Verifier: v, hs: sc.handshake, keys: handshakeKeys{verifyToken: []byte(verifyToken)}}
	if hk, ok := vk.(*keys.HMAC); ok {
		if signers := hk.Signers(); len(signers) > 0 {
			first := signers[0]
			hv.keys.mac = func(msg []byte) []byte { mac, _ := first.Sign(msg); return mac }
		}
	}
	return hv
}

func textReply(s string) *Reply {
	return &Reply{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(s)}
}

func jsonReply(v any) *Reply {
	b, err := json.Marshal(v)
	if err != nil {
		return nil
	}
	return &Reply{Status: http.StatusOK, ContentType: "application/json", Body: b}
}

// signedPost is true for a verified POST whose body contains marker (a cheap
// test before decoding the body).
func signedPost(r *http.Request, body []byte, verified bool, marker string) bool {
	return verified && r.Method == http.MethodPost && bytes.Contains(body, []byte(marker))
}

// slackHandshake answers url_verification with the challenge, as plain text.
// https://api.slack.com/events/url_verification
var slackHandshake = &handshake{answer: func(_ *handshakeKeys, r *http.Request, body []byte, verified bool) *Reply {
	if !signedPost(r, body, verified, "url_verification") {
		return nil
	}
	var ev struct{ Type, Challenge string }
	if json.Unmarshal(body, &ev) != nil || ev.Type != "url_verification" || ev.Challenge == "" {
		return nil
	}
	return textReply(ev.Challenge)
}}

// twitchHandshake answers webhook_callback_verification with the challenge,
// as plain text.
// https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#responding-to-a-challenge-request
var twitchHandshake = &handshake{answer: func(_ *handshakeKeys, r *http.Request, body []byte, verified bool) *Reply {
	if !verified || r.Method != http.MethodPost || r.Header.Get("Twitch-Eventsub-Message-Type") != "webhook_callback_verification" {
		return nil
	}
	var ev struct{ Challenge string }
	if json.Unmarshal(body, &ev) != nil || ev.Challenge == "" {
		return nil
	}
	return textReply(ev.Challenge)
}}

// zoomHandshake answers endpoint.url_validation with the plainToken and its
// hex HMAC-SHA256 under the secret token.
// https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint
var zoomHandshake = &handshake{answer: func(k *handshakeKeys, r *http.Request, body []byte, verified bool) *Reply {
	if k.mac == nil || !signedPost(r, body, verified, "endpoint.url_validation") {
		return nil
	}
	var ev struct {
		Event   string
		Payload struct {
			PlainToken string `json:"plainToken"`
		}
	}
	if json.Unmarshal(body, &ev) != nil || ev.Event != "endpoint.url_validation" || ev.Payload.PlainToken == "" {
		return nil
	}
	return jsonReply(map[string]string{
		"plainToken":     ev.Payload.PlainToken,
		"encryptedToken": hex.EncodeToString(k.mac([]byte(ev.Payload.PlainToken))),
	})
}}

// discordHandshake answers a PING interaction (type 1) with a PONG.
// https://discord.com/developers/docs/interactions/receiving-and-responding#receiving-an-interaction
var discordHandshake = &handshake{answer: func(_ *handshakeKeys, r *http.Request, body []byte, verified bool) *Reply {
	if !verified || r.Method != http.MethodPost {
		return nil
	}
	var ev struct{ Type int }
	if json.Unmarshal(body, &ev) != nil || ev.Type != 1 {
		return nil
	}
	return jsonReply(map[string]int{"type": 1})
}}

// metaHandshake answers the subscription GET (hub.mode=subscribe) with
// hub.challenge when hub.verify_token is the configured verify token, and
// with 403 otherwise. Meta does not sign it: the token authenticates it.
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
var metaHandshake = &handshake{verifyToken: true, answer: func(k *handshakeKeys, r *http.Request, _ []byte, _ bool) *Reply {
	if r.Method != http.MethodGet || len(k.verifyToken) == 0 {
		return nil
	}
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" {
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), k.verifyToken) != 1 {
		return &Reply{Status: http.StatusForbidden, ContentType: "text/plain; charset=utf-8", Body: []byte("verify token mismatch")}
	}
	return textReply(q.Get("hub.challenge"))
}}

// oktaHandshake answers the one-time verification GET, which carries the
// hook's authentication header (verified) and X-Okta-Verification-Challenge,
// with {"verification": <challenge>}.
// https://developer.okta.com/docs/concepts/event-hooks/#one-time-verification-request
var oktaHandshake = &handshake{answer: func(_ *handshakeKeys, r *http.Request, _ []byte, verified bool) *Reply {
	challenge := r.Header.Get("X-Okta-Verification-Challenge")
	if !verified || r.Method != http.MethodGet || challenge == "" {
		return nil
	}
	return jsonReply(map[string]string{"verification": challenge})
}}
