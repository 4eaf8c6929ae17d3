package signature

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/header"
	"github.com/hookgate/hookgate/signature/keys"
	"github.com/hookgate/hookgate/signature/mailgun"
	"github.com/hookgate/hookgate/signature/template"
)

// Config describes a signature scheme: the generic "hmac" scheme or a named preset
// whose fields act as defaults that any non-empty field here overrides.
type Config struct {
	// Scheme is "hmac" (the default) or a preset name: github, stripe, …
	// (see Presets).
	Scheme string `json:"scheme,omitempty"`

	// Header is the header carrying the signature. Required for "hmac".
	Header string `json:"header,omitempty"`

	// Algorithm is the HMAC hash: sha1, sha256 (default) or sha512.
	Algorithm string `json:"algorithm,omitempty"`

	// Encoding is how the signature is written: hex (default) or base64.
	Encoding string `json:"encoding,omitempty"`

	// Prefix precedes the encoded signature in the header, e.g. "sha256=".
	Prefix string `json:"prefix,omitempty"`

	// SignedContent is the template of the signed bytes: literals mixed with
	// {body}, {timestamp}, {id}, {method}, {url}, {form} and {header.X}.
	// Default "{body}".
	SignedContent string `json:"signed_content,omitempty"`

	// TimestampHeader is the header holding the timestamp (unix seconds for
	// "hmac"). It enables the tolerance check, and SignedContent must then
	// include {timestamp} so that the timestamp is authenticated.
	TimestampHeader string `json:"timestamp_header,omitempty"`

	// IDHeader is the header carrying the message id that {id} stands for:
	// the signer sets it, the verifier reads it.
	IDHeader string `json:"id_header,omitempty"`

	// URL is the public scheme, host and path of the URL the sender signs,
	// for schemes whose signed content includes {url} (Twilio, Square's
	// notification URL, HubSpot), e.g. "https://hooks.example.com/twilio".
	// The query signed is always the request's own (Twilio's bodySHA256),
	// so URL holds none. Default: the request URL, with https when the
	// connection is TLS. Set it when a proxy in front of Caddy terminates
	// TLS or rewrites the host or path.
	URL string `json:"url,omitempty"`

	// Secrets are the active secrets (several during a rotation), given as
	// placeholders like {env.X} or {file./path}; the caller resolves them
	// and passes the values to NewVerifier / NewSigner. For Discord and
	// SendGrid they are keys (see the presets). Never logged.
	Secrets []string `json:"secrets,omitempty"`

	// Keys are Ed25519 keys (several during a rotation), for
	// standard_webhooks only: its asymmetric "v1a" signatures. A signer
	// takes private keys, signs with each and sends every signature in the
	// header, beside the "v1" ones of Secrets if any; a verifier takes
	// public keys and accepts a request that any key or secret matches.
	// Given as placeholders like Secrets ({file./etc/hookgate/signing.key});
	// forms: PEM, whsk_/whpk_ base64 or hex (see package keys). Never
	// logged; only the public half is ever shown (PublicKeys).
	Keys []string `json:"keys,omitempty"`

	// VerifyToken is the token Meta's subscription GET carries in
	// hub.verify_token (meta preset only), given like a secret as a
	// placeholder; the caller resolves it before NewVerifier. Without it, that
	// GET is not answered. Never logged.
	VerifyToken string `json:"verify_token,omitempty"`

	// Audience is the audience the sender's token must name (gcp_pubsub:
	// the push subscription's audience, by default its endpoint URL).
	Audience string `json:"audience,omitempty"`

	// Account is who the signed message must come from: the topic ARN of
	// aws_sns (required), the service-account email of gcp_pubsub
	// (optional).
	Account string `json:"account,omitempty"`

	// Environment is the sender's environment whose keys are fetched:
	// plaid's production (default) or sandbox.
	Environment string `json:"environment,omitempty"`
}

// genericSpec is the "hmac" scheme before overrides.
var genericSpec = spec{prim: primHMAC, Spec: headerSpec{Alg: "sha256", Enc: framing.Hex, Content: "{body}"}}

// Validate checks the configuration: scheme, algorithm, encoding, template,
// and that each set field applies to the scheme. It does not look at the
// secrets' values, which are still placeholders.
func (c Config) Validate() error {
	sc, err := c.resolve()
	if err != nil {
		return err
	}
	if sc.prim == primExternal || c.Audience != "" || c.Account != "" || c.Environment != "" {
		return sc.ext.validate(c)
	}
	if c.VerifyToken != "" && (sc.handshake == nil || !sc.handshake.TakesVerifyToken()) {
		return c.errorf("verify_token does not apply to this scheme")
	}
	if len(c.Keys) > 0 && sc.asym == "" {
		return c.errorf("keys apply to standard_webhooks only (its v1a signatures)")
	}
	if sc.prim == primNone {
		if len(c.Secrets) > 0 {
			return c.errorf("the sender signs nothing, so secrets are not used; guard the route with a shared token, basic auth or the remote_ip matcher")
		}
		return nil
	}
	if len(c.Secrets) == 0 && len(c.Keys) == 0 {
		if sc.asym != "" {
			return c.errorf("at least one secret (v1) or key ed25519 (v1a) is required")
		}
		return c.errorf("at least one secret is required")
	}
	return nil
}

func (c Config) name() string {
	if c.Scheme == "" {
		return "hmac"
	}
	return c.Scheme
}

func (c Config) errorf(format string, args ...any) error {
	return fmt.Errorf("signature scheme %q: %s", c.name(), fmt.Sprintf(format, args...))
}

// resolve applies the Config over its preset (or the generic scheme) and
// compiles the result.
func (c Config) resolve() (*scheme, error) {
	sp, err := c.overridden()
	if err != nil {
		return nil, err
	}
	return c.compile(sp)
}

// resolveAsym is resolve's asymmetric variant, the scheme Keys sign: the
// same headers and signed content, with Ed25519 under its own version tag
// (Standard Webhooks "v1a").
func (c Config) resolveAsym() (*scheme, error) {
	sp, err := c.overridden()
	if err != nil {
		return nil, err
	}
	if sp.asym == "" {
		return nil, c.errorf("keys apply to standard_webhooks only (its v1a signatures)")
	}
	sp.prim, sp.Enc, sp.Frame = primEd25519, framing.Base64, framing.Versioned{Version: sp.asym}
	return c.compile(sp)
}

// overridden is the spec of c's preset (or the generic scheme) with c's
// fields over it.
func (c Config) overridden() (spec, error) {
	sp := genericSpec
	if name := c.name(); name != "hmac" {
		p, ok := presets[name]
		if !ok {
			return sp, fmt.Errorf("unknown signature scheme %q: want hmac or one of %s", name, strings.Join(Presets(), ", "))
		}
		sp = p.Scheme.sp
	}
	return sp, c.override(&sp)
}

// override copies the non-empty fields of c over sp, refusing those that mean
// nothing for the scheme's kind.
func (c Config) override(sp *spec) error {
	signsContent := sp.prim == primHMAC || sp.prim == primEd25519 || sp.prim == primECDSA
	plain := sp.Frame == nil
	set := func(field, val string, applies bool, dst *string) error {
		if val == "" {
			return nil
		}
		if !applies {
			return c.errorf("%s does not apply to this scheme", field)
		}
		*dst = val
		return nil
	}
	var enc string
	for _, o := range []struct {
		field, val string
		applies    bool
		dst        *string
	}{
		{"header", c.Header, sp.prim != primNone && sp.prim != primMailgun && (sp.prim != primExternal || sp.ext.Header), &sp.Header},
		{"algorithm", c.Algorithm, sp.prim == primHMAC, &sp.Alg},
		{"encoding", c.Encoding, sp.prim == primHMAC && plain, &enc},
		{"prefix", c.Prefix, signsContent && plain, &sp.Prefix},
		{"signed_content", c.SignedContent, signsContent, &sp.Content},
		{"timestamp_header", c.TimestampHeader, signsContent && (plain || !sp.Frame.CarriesTimestamp()), &sp.TSHeader},
		{"id_header", c.IDHeader, signsContent, &sp.IDHeader},
		{"url", c.URL, signsContent, &sp.URL},
	} {
		if err := set(o.field, o.val, o.applies, o.dst); err != nil {
			return err
		}
	}
	if enc != "" {
		e, ok := framing.EncodingNamed(strings.ToLower(enc))
		if !ok {
			return c.errorf("unknown encoding %q: want hex or base64", enc)
		}
		sp.Enc = e
	}
	return nil
}

// compile checks a spec and compiles its template.
func (c Config) compile(sp spec) (*scheme, error) {
	if sp.prim == primNone || sp.prim == primMailgun || sp.prim == primExternal {
		return sp.ext.compile(&scheme{spec: sp, timed: sp.prim == primMailgun}), nil
	}
	h, err := header.Compile(sp.Spec, sp.prim == primHMAC)
	if err != nil {
		return nil, c.errorf("%v", err)
	}
	sp.Spec = h.Spec
	return &scheme{spec: sp, hdr: h, tmpl: h.Tmpl, timed: h.Timed}, nil
}

// errNoSecret is returned when rotation slots are all empty.
var errNoSecret = fmt.Errorf("no secret configured (all secrets are empty)")

// nonEmpty drops unset rotation slots.
func nonEmpty(secrets []string) []string {
	out := make([]string, 0, len(secrets))
	for _, s := range secrets {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// NewVerifier builds the Verifier of c. secrets are resolved values; empty
// ones (rotation slots left unset) are ignored, and at least one must remain
// unless the sender signs nothing. tolerance bounds the timestamp's distance
// from now for timestamped schemes: 0 means the preset's default (else
// DefaultTolerance), a negative value disables the window check.
func (c Config) NewVerifier(secrets []string, tolerance time.Duration) (Verifier, error) {
	sc, err := c.resolve()
	if err != nil {
		return nil, err
	}
	secrets = nonEmpty(secrets)
	if sc.prim == primNone {
		if len(secrets) > 0 {
			return nil, c.errorf("the sender signs nothing, so secrets are not used")
		}
		return unsigned{}, nil
	}
	if tolerance == 0 {
		tolerance = sc.tolerance
	}
	if tolerance == 0 {
		tolerance = DefaultTolerance
	}
	if sc.prim == primExternal {
		return sc.ext.newVerifier(c, secrets, tolerance)
	}
	if pub := nonEmpty(c.Keys); len(pub) > 0 {
		return c.newAsymVerifier(sc, secrets, pub, tolerance)
	}
	if len(secrets) == 0 {
		return nil, c.errorf("%v", errNoSecret)
	}
	vk, err := sc.verifyKeys(secrets)
	if err != nil {
		return nil, c.errorf("%v", err)
	}
	if sc.prim == primMailgun {
		return extVerifier{&mailgun.Verifier{Keys: vk, Tol: tolerance}}, nil
	}
	return withHandshake(sc.verifier(vk, tolerance), sc, vk, c.VerifyToken), nil
}

// SignsContent reports whether the signature of c covers request content,
// so that VerifyDigest returns a digest: false for senders that sign
// nothing and for shared tokens, which cover nothing.
func (c Config) SignsContent() bool {
	sc, err := c.resolve()
	return err == nil && sc.prim != primNone && sc.prim != primToken && (sc.prim != primExternal || sc.ext.Covers)
}

// SignsURL reports whether the signature of c covers the URL the sender
// called (Twilio, Square, HubSpot), so that URL applies.
func (c Config) SignsURL() bool {
	sc, err := c.resolve()
	return err == nil && sc.hdr != nil && sc.hdr.NeedsURL()
}

// BodyHashParam is the query parameter in which the sender puts the hex
// SHA-256 of a non-form body it signs through the URL (Twilio's
// bodySHA256), "" for other schemes.
func (c Config) BodyHashParam() string {
	sc, err := c.resolve()
	if err != nil {
		return ""
	}
	return sc.BodyHash
}

// SignedHeaders returns the canonical names of the request headers the
// signature of c covers: its timestamp and id headers when the signed
// content uses them, and every {header.X} of the signed content. A dedupe
// key that reads any other header can be varied by whoever replays a
// captured request.
func (c Config) SignedHeaders() []string {
	sc, err := c.resolve()
	if err != nil || sc.tmpl == nil || sc.prim == primToken {
		return nil
	}
	var out []string
	for _, p := range sc.tmpl.Parts() {
		switch {
		case p.Kind == template.Timestamp && sc.TSHeader != "":
			out = append(out, sc.TSHeader)
		case p.Kind == template.ID:
			out = append(out, sc.IDHeader)
		case p.Kind == template.Header:
			out = append(out, p.Arg)
		}
	}
	return out
}

// CredentialHeaders returns the canonical names of the request headers
// from which c reads a signature or a shared token, for a view of a
// message that must not show them. Nil when c reads none (unsigned
// presets, signatures carried in the body).
func (c Config) CredentialHeaders() []string {
	sc, err := c.resolve()
	if err != nil || sc.Header == "" {
		return nil
	}
	return []string{http.CanonicalHeaderKey(sc.Header)}
}

// Preset returns the preset c names, if it names one.
func (c Config) Preset() (Preset, bool) { return LookupPreset(c.Scheme) }

// FailureStatus is the status to answer a request that fails verification:
// the preset's, else 401.
func (c Config) FailureStatus() int {
	if p, ok := c.Preset(); ok {
		return p.FailureStatus
	}
	return http.StatusUnauthorized
}

// NewSigner builds the Signer of c. secrets are resolved values; empty ones
// are ignored. The first signs; headers that hold several signatures (Stripe,
// Standard Webhooks, Paddle, PagerDuty) get one per secret, so a receiver
// holding either the old or the new secret accepts the message during a
// rotation.
func (c Config) NewSigner(secrets []string) (Signer, error) {
	sc, err := c.resolve()
	if err != nil {
		return nil, err
	}
	secrets = nonEmpty(secrets)
	switch sc.prim {
	case primNone:
		return unsigned{}, nil
	case primMailgun:
		return nil, c.errorf("mailgun puts its signature inside the body, which a signer cannot change")
	case primExternal:
		return sc.ext.newSigner(c, secrets)
	}
	if priv := nonEmpty(c.Keys); len(priv) > 0 {
		return c.newAsymSigner(sc, secrets, priv)
	}
	if len(secrets) == 0 {
		return nil, c.errorf("%v", errNoSecret)
	}
	signers, err := sc.signKeys(secrets)
	if err != nil {
		return nil, c.errorf("%v", err)
	}
	return sc.signer(signers), nil
}

// verifyKeys parses the secrets into the keys the scheme verifies with.
func (s *scheme) verifyKeys(secrets []string) (keys.Verifier, error) {
	switch s.prim {
	case primHMAC, primMailgun:
		return keys.NewHMAC(s.Alg, s.KeyFmt, secrets)
	case primToken:
		return keys.Tokens(secrets), nil
	case primEd25519:
		return keys.Ed25519Public(secrets)
	case primECDSA:
		return keys.ECDSAPublic(secrets)
	}
	return nil, errors.New("scheme has no keys")
}

// signKeys parses the secrets into the keys the scheme signs with.
func (s *scheme) signKeys(secrets []string) ([]keys.Signer, error) {
	var out []keys.Signer
	if s.prim == primHMAC {
		hk, err := keys.NewHMAC(s.Alg, s.KeyFmt, secrets)
		if err != nil {
			return nil, err
		}
		return hk.Signers(), nil
	}
	for i, sec := range secrets {
		var k keys.Signer
		var err error
		switch s.prim {
		case primToken:
			k = keys.Token{[]byte(sec)}
		case primEd25519:
			k, err = keys.Ed25519Private(sec)
		case primECDSA:
			k, err = keys.ECDSAPrivate(sec)
		default:
			err = errors.New("scheme cannot sign")
		}
		if err != nil {
			return nil, fmt.Errorf("secret #%d: %w", i+1, err)
		}
		out = append(out, k)
	}
	return out, nil
}

// Errorf returns an error about c's scheme, worded as every configuration
// error is: `signature scheme "name": …`.
func (c Config) Errorf(format string, args ...any) error { return c.errorf(format, args...) }
