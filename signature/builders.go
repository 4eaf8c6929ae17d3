package signature

import (
	"time"

	"github.com/hookgate/hookgate/signature/ext"
	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/handshake"
	"github.com/hookgate/hookgate/signature/keys"
)

// Scheme is how a preset's sender signs, as data: built by one of the
// functions below (BodyHMAC, StandardWebhooks, Token, External, …) and
// refined by its With methods. Package presets registers every preset with
// one; a Config naming the preset starts from it.
type Scheme struct{ sp spec }

// Fields describes a scheme that signs content into a header, field by
// field, for the senders no shorthand fits (Twilio, Square, HubSpot,
// Twitch, Discord, SendGrid). Each field means what the Config field of
// the same name does.
type Fields struct {
	Header          string           // signature header
	Algorithm       string           // HMAC hash: sha1, sha256, sha512 (HMAC only)
	Encoding        framing.Encoding // signature encoding within the header
	Prefix          string           // precedes the encoded signature
	SignedContent   string           // template of the signed bytes; "" is {body}
	TimestampHeader string           // header holding the timestamp
	TimestampFormat TimeFormat       // how the timestamp is written
	IDHeader        string           // header holding the message id ({id})
	// BodyHashParam is the query parameter holding the hex SHA-256 of a
	// non-form body signed through the URL (Twilio's bodySHA256).
	BodyHashParam string
	URLFix        func(string) string // normalises {url} before signing (HubSpot)
	URLAlt        func(string) string // another spelling of {url} to try on mismatch (Twilio's ports)
}

func (f Fields) spec(p primitive) Scheme {
	return Scheme{spec{prim: p, Spec: headerSpec{Header: f.Header, Alg: f.Algorithm, Enc: f.Encoding, Prefix: f.Prefix,
		Content: f.SignedContent, TSHeader: f.TimestampHeader, TSFormat: f.TimestampFormat, IDHeader: f.IDHeader,
		BodyHash: f.BodyHashParam, URLFix: f.URLFix, URLAlt: f.URLAlt}}}
}

// HMAC is an HMAC of f's signed content under the shared secrets.
func HMAC(f Fields) Scheme { return f.spec(primHMAC) }

// Ed25519 is an Ed25519 signature of f's signed content; the secrets are
// the sender's public keys (Discord).
func Ed25519(f Fields) Scheme { return f.spec(primEd25519) }

// ECDSA is an ECDSA P-256 signature over the SHA-256 of f's signed
// content; the secrets are the sender's public keys (SendGrid).
func ECDSA(f Fields) Scheme { return f.spec(primECDSA) }

// BodyHMAC is the most common scheme: an HMAC of the raw body in one
// header, after prefix.
func BodyHMAC(header, alg string, enc framing.Encoding, prefix string) Scheme {
	return Scheme{spec{prim: primHMAC, Spec: headerSpec{Header: header, Alg: alg, Enc: enc, Prefix: prefix, Content: "{body}"}}}
}

// TimedHMAC is a hex HMAC-SHA256 over content that includes a timestamp
// sent in its own header (Slack, Zoom).
func TimedHMAC(header, prefix, content, tsHeader string) Scheme {
	return Scheme{spec{prim: primHMAC, Spec: headerSpec{Header: header, Alg: "sha256", Enc: framing.Hex, Prefix: prefix, Content: content, TSHeader: tsHeader}}}
}

// ListHMAC is a hex HMAC-SHA256 of content in a key=value list separated
// by sep, which may carry several signatures (rotation) under sigKey and
// the timestamp under tsKey ("" for none): framing.KV.
func ListHMAC(header string, sep byte, tsKey, sigKey, content string) Scheme {
	return Scheme{spec{prim: primHMAC, Spec: headerSpec{Header: header, Alg: "sha256", Enc: framing.Hex, Content: content,
		Frame: framing.KV{Sep: sep, TSKey: tsKey, SigKey: sigKey}}}}
}

// StandardWebhooks is the Standard Webhooks scheme under a header prefix
// ("webhook" or "svix"): "v1,<base64>" signatures (framing.Versioned) of
// "{id}.{timestamp}.{body}" under whsec_ keys.
func StandardWebhooks(prefix string) Scheme {
	return Scheme{spec{prim: primHMAC, Spec: headerSpec{Alg: "sha256", Enc: framing.Base64, KeyFmt: keys.Whsec,
		Header: prefix + "-signature", TSHeader: prefix + "-timestamp", IDHeader: prefix + "-id",
		Content: "{id}.{timestamp}.{body}", Frame: framing.Versioned{Version: "v1"}}}}
}

// Token is a shared token sent as is in header, compared in constant
// time; it covers nothing (GitLab, Telegram).
func Token(header string) Scheme {
	return Scheme{spec{prim: primToken, Spec: headerSpec{Header: header, Enc: framing.Raw}}}
}

// None is the scheme of senders that sign nothing: guard their routes with
// a shared token, basic auth or the remote_ip matcher.
func None() Scheme { return Scheme{spec{prim: primNone}} }

// Mailgun is Mailgun's HMAC-SHA256 of timestamp and token, carried inside
// the body (see package mailgun).
func Mailgun() Scheme { return Scheme{spec{prim: primMailgun, Spec: headerSpec{Alg: "sha256"}}} }

// ExternalSpec is a scheme whose verifier lives in a sub-package (awssns,
// oidc, plaid, adyen, microsoft): certificates, tokens and fields that no
// header template describes.
type ExternalSpec struct {
	// Verifier builds the verifier of c with its resolved secrets.
	Verifier func(c Config, secrets []string, tol time.Duration) (ext.Verifier, error)
	// Signer builds the signer of c; nil when the scheme cannot be signed
	// here, NoSign saying why.
	Signer func(c Config, secrets []string) (Signer, error)
	NoSign string
	// Secret says what the secrets are; "" when none are taken.
	Secret string
	Covers bool // the signature covers the body's content
	Timed  bool // the signature carries a time, checked against the tolerance
	Header bool // Config.Header applies (where the token is read)
	// Fields are the Config fields that apply: audience, account,
	// environment; Required are those that must be set.
	Fields, Required []string
}

// External is a scheme verified (and maybe signed) by a sub-package.
func External(e ExternalSpec) Scheme {
	return Scheme{spec{prim: primExternal, ext: &e}}
}

// WithBodyTimestamp makes s check the unix-milliseconds timestamp at the
// JSON path in its signed body against the tolerance (Linear).
func (s Scheme) WithBodyTimestamp(path string) Scheme {
	s.sp.BodyTS = path
	return s
}

// WithHandshake adds the sender's endpoint checks to s.
func (s Scheme) WithHandshake(hs *handshake.Handshake) Scheme {
	s.sp.handshake = hs
	return s
}

// WithAsym lets Config.Keys sign and verify s's Ed25519 variant, tagged
// version in a framing.Versioned header (Standard Webhooks "v1a").
func (s Scheme) WithAsym(version string) Scheme {
	s.sp.asym = version
	return s
}

// WithFraming lays s's signatures out in its header with f.
func (s Scheme) WithFraming(f framing.Framing) Scheme {
	s.sp.Frame = f
	return s
}

// WithKeyFormat sets how s's HMAC secrets become keys (keys.Whsec: base64,
// with or without a whsec_ prefix).
func (s Scheme) WithKeyFormat(f keys.Format) Scheme {
	s.sp.KeyFmt = f
	return s
}
