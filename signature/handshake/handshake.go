// Package handshake answers the checks some senders make of an endpoint
// before (or while) they deliver to it: Slack's url_verification, Twitch's
// webhook_callback_verification, Zoom's endpoint.url_validation, Discord's
// PING, Meta's hub.challenge GET and Okta's one-time verification GET. The
// preset's verifier answers these itself; they are never deduplicated,
// queued nor forwarded.
package handshake

import (
	"bytes"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"net/http"
)

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

// Handshake is a preset's answer to its sender's endpoint checks.
type Handshake struct {
	answer func(k *Keys, r *http.Request, body []byte, verified bool) *Reply
	// verifyToken: the check carries Config.VerifyToken (Meta).
	verifyToken bool
}

// Answer returns the reply to r when r is one of the sender's endpoint
// checks, and nil otherwise; see Handshaker.
func (h *Handshake) Answer(k *Keys, r *http.Request, body []byte, verified bool) *Reply {
	return h.answer(k, r, body, verified)
}

// TakesVerifyToken reports whether the check carries a verify token that
// the configuration must give (signature.Config.VerifyToken, Meta).
func (h *Handshake) TakesVerifyToken() bool { return h.verifyToken }

// Keys are what the answers need of the configuration.
type Keys struct {
	MAC         func(msg []byte) []byte // HMAC under the first secret, nil for other schemes
	VerifyToken []byte                  // empty: none configured
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

// Slack answers url_verification with the challenge, as plain text.
// https://api.slack.com/events/url_verification
var Slack = &Handshake{answer: func(_ *Keys, r *http.Request, body []byte, verified bool) *Reply {
	if !signedPost(r, body, verified, "url_verification") {
		return nil
	}
	var ev struct{ Type, Challenge string }
	if json.Unmarshal(body, &ev) != nil || ev.Type != "url_verification" || ev.Challenge == "" {
		return nil
	}
	return textReply(ev.Challenge)
}}

// Twitch answers webhook_callback_verification with the challenge,
// as plain text.
// https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#responding-to-a-challenge-request
var Twitch = &Handshake{answer: func(_ *Keys, r *http.Request, body []byte, verified bool) *Reply {
	if !verified || r.Method != http.MethodPost || r.Header.Get("Twitch-Eventsub-Message-Type") != "webhook_callback_verification" {
		return nil
	}
	var ev struct{ Challenge string }
	if json.Unmarshal(body, &ev) != nil || ev.Challenge == "" {
		return nil
	}
	return textReply(ev.Challenge)
}}

// Zoom answers endpoint.url_validation with the plainToken and its
// hex HMAC-SHA256 under the secret token.
// https://developers.zoom.us/docs/api/webhooks/#validate-your-webhook-endpoint
var Zoom = &Handshake{answer: func(k *Keys, r *http.Request, body []byte, verified bool) *Reply {
	if k.MAC == nil || !signedPost(r, body, verified, "endpoint.url_validation") {
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
		"encryptedToken": hex.EncodeToString(k.MAC([]byte(ev.Payload.PlainToken))),
	})
}}

// Discord answers a PING interaction (type 1) with a PONG.
// https://discord.com/developers/docs/interactions/receiving-and-responding#receiving-an-interaction
var Discord = &Handshake{answer: func(_ *Keys, r *http.Request, body []byte, verified bool) *Reply {
	if !verified || r.Method != http.MethodPost {
		return nil
	}
	var ev struct{ Type int }
	if json.Unmarshal(body, &ev) != nil || ev.Type != 1 {
		return nil
	}
	return jsonReply(map[string]int{"type": 1})
}}

// Meta answers the subscription GET (hub.mode=subscribe) with
// hub.challenge when hub.verify_token is the configured verify token, and
// with 403 otherwise. Meta does not sign it: the token authenticates it.
// https://developers.facebook.com/docs/graph-api/webhooks/getting-started#verification-requests
var Meta = &Handshake{verifyToken: true, answer: func(k *Keys, r *http.Request, _ []byte, _ bool) *Reply {
	if r.Method != http.MethodGet || len(k.VerifyToken) == 0 {
		return nil
	}
	q := r.URL.Query()
	if q.Get("hub.mode") != "subscribe" {
		return nil
	}
	if subtle.ConstantTimeCompare([]byte(q.Get("hub.verify_token")), k.VerifyToken) != 1 {
		return &Reply{Status: http.StatusForbidden, ContentType: "text/plain; charset=utf-8", Body: []byte("verify token mismatch")}
	}
	return textReply(q.Get("hub.challenge"))
}}

// Okta answers the one-time verification GET, which carries the
// hook's authentication header (verified) and X-Okta-Verification-Challenge,
// with {"verification": <challenge>}.
// https://developer.okta.com/docs/concepts/event-hooks/#one-time-verification-request
var Okta = &Handshake{answer: func(_ *Keys, r *http.Request, _ []byte, verified bool) *Reply {
	challenge := r.Header.Get("X-Okta-Verification-Challenge")
	if !verified || r.Method != http.MethodGet || challenge == "" {
		return nil
	}
	return jsonReply(map[string]string{"verification": challenge})
}}
