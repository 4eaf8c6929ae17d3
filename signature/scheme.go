package signature

import (
	"net/http"
	"time"

	"github.com/hookgate/hookgate/signature/handshake"
	"github.com/hookgate/hookgate/signature/header"
	"github.com/hookgate/hookgate/signature/keys"
	"github.com/hookgate/hookgate/signature/template"
)

// primitive is the cryptography of a scheme.
type primitive uint8

const (
	primHMAC     primitive = iota // shared secret, HMAC over the signed content
	primToken                     // shared token sent as is (GitLab)
	primEd25519                   // Ed25519 over the signed content (Discord)
	primECDSA                     // ECDSA P-256 + SHA-256 over the signed content (SendGrid)
	primNone                      // the sender signs nothing (Ctxfy, super.AI)
	primMailgun                   // HMAC over fields inside the body (Mailgun)
	primExternal                  // a scheme of its own, in a sub-package (AWS SNS, Pub/Sub, Adyen, …): see external
)

// spec is a scheme as data: presets are specs, and a Config is a spec with
// overrides. resolve turns it into a compiled scheme.
type spec struct {
	header.Spec // what a header scheme is made of (see package header)
	prim        primitive
	tolerance   time.Duration
	handshake   *handshake.Handshake // the sender's endpoint checks, answered by the verifier
	asym        string               // version tag of the Ed25519 variant that Config.Keys sign (Standard Webhooks "v1a"); "" for none
	ext         *external            // primExternal only
}

// headerSpec is header.Spec under a name that parameters called header
// do not shadow.
type headerSpec = header.Spec

// scheme is a resolved, compiled spec.
type scheme struct {
	spec
	hdr   *header.Scheme     // the compiled header scheme; nil for none, mailgun and external schemes
	tmpl  *template.Template // the signed content; {body} for external schemes that cover it
	timed bool               // the scheme carries a timestamp
}

// verifier verifies the header scheme sc with k.
func (sc *scheme) verifier(k keys.Verifier, tol time.Duration) headerVerifier {
	return headerVerifier{&header.Verifier{Scheme: sc.hdr, Keys: k, Tol: tol}, sc.prim != primToken}
}

// signer signs the header scheme sc with ks.
func (sc *scheme) signer(ks []keys.Signer) *header.Signer {
	return &header.Signer{Scheme: sc.hdr, Keys: ks}
}

// headerVerifier adapts a header.Verifier to Verifier.
type headerVerifier struct {
	v      *header.Verifier
	digest bool // the signature covers content (not a shared token)
}

func (v headerVerifier) Verify(r *http.Request, body []byte, now time.Time) error {
	_, err := v.v.Verify(r, body, now, false)
	return fromExt(err)
}

func (v headerVerifier) VerifyDigest(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	sum, err := v.v.Verify(r, body, now, v.digest)
	if err != nil {
		return nil, fromExt(err)
	}
	return sum, nil
}

// A header.Signer is a Signer.
var _ Signer = (*header.Signer)(nil)
