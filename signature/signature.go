// Package signature verifies the signatures webhook senders put on their
// requests and signs the requests Hookgate sends. A scheme is described by a
// Config: either the generic "hmac" scheme, whose header, algorithm, encoding,
// prefix and signed content are all spelled out, or a named provider preset.
// One Config yields both a Verifier (inbound) and a Signer (outbound), so every
// scheme is tested by a sign→verify round trip.
//
// This package holds the Config, the preset registry with the scheme
// builders presets are written with (Register, BodyHMAC, StandardWebhooks,
// Token, External, …) and the adapters that turn what the sub-packages
// build into a Verifier or a Signer, and their *ext.Error into an *Error.
// The presets themselves are data, in package presets, which every binary
// and test that looks presets up imports (blank if need be). Each part a
// scheme is made of has its own sub-package:
//
//	presets    the named schemes of senders (github, stripe, aws_sns, …)
//	header     the verifier and signer of schemes whose signature is in a header
//	template   the signed-content template ({timestamp}.{body}, …)
//	framing    how signatures are encoded and laid out in their header
//	keys       secrets turned into keys: HMAC, shared token, Ed25519, ECDSA
//	handshake  the answers to senders' endpoint checks (Slack, Zoom, Meta, …)
//	mailgun    the signature Mailgun puts inside the body, and its verifier
//	ext        what the schemes of their own share (awssns, oidc, plaid, adyen, microsoft)
//
// The sub-packages never import this one.
package signature

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// Verifier checks the signature of an incoming request.
type Verifier interface {
	// Verify checks r's signature over body, the raw request bytes (r.Body
	// has already been read). now is the current time, for timestamped
	// schemes. It returns an *Error on any failure.
	Verify(r *http.Request, body []byte, now time.Time) error
	// VerifyDigest is Verify that also returns the SHA-256 of the bytes
	// the signature covers, exactly as they were verified, or nil when it
	// covers none (unsigned senders, shared tokens). A dedupe key built from
	// it cannot be varied by a sender who lacks the secret.
	VerifyDigest(r *http.Request, body []byte, now time.Time) ([]byte, error)
}

// Signer signs an outgoing request.
type Signer interface {
	// Sign sets on h the headers that sign body, sent to target as the
	// message id at time now.
	Sign(h http.Header, target *url.URL, id string, body []byte, now time.Time) error
}

// Reason says why a verification failed; it is safe to log and to use as a
// metric label.
type Reason string

// The reasons a verification fails.
const (
	ReasonMissing   Reason = "missing"   // no signature (or timestamp) header
	ReasonMalformed Reason = "malformed" // the header cannot be parsed or decoded
	ReasonMismatch  Reason = "mismatch"  // no configured secret produced the signature
	ReasonStale     Reason = "stale"     // the signed timestamp is outside the tolerance
)

// Error is a verification failure. Its message never holds a secret nor a
// signature value.
type Error struct {
	Reason Reason
	Detail string
}

func (e *Error) Error() string {
	if e.Detail == "" {
		return "signature " + string(e.Reason)
	}
	return fmt.Sprintf("signature %s: %s", e.Reason, e.Detail)
}

// ReasonOf returns the Reason of err, or "" when err is not an *Error.
func ReasonOf(err error) Reason {
	var e *Error
	if errors.As(err, &e) {
		return e.Reason
	}
	return ""
}
