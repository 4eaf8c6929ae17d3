package signature

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/handshake"
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
	prim      primitive
	header    string              // signature header
	alg       string              // HMAC algorithm
	enc       framing.Encoding    // signature encoding within the header
	prefix    string              // for the plain framing
	frame     framing.Framing     // nil: framing.Plain{prefix}
	content   string              // signed-content template
	tsHeader  string              // timestamp header, when not carried by the signature header
	tsFormat  TimeFormat          //
	idHeader  string              // header carrying the message id ({id})
	keyFmt    keys.Format         // how HMAC secrets become keys
	url       string              // fixed URL for {url}; "" means the request URL
	bodyHash  string              // query parameter holding hex SHA-256 of a non-form body (Twilio)
	urlFix    func(string) string // normalises {url} before signing (HubSpot)
	urlAlt    func(string) string // another spelling of {url} to try on mismatch (Twilio ports)
	bodyTS    string              // JSON path of a unix-milliseconds timestamp inside the signed body (Linear)
	tolerance time.Duration
	handshake *handshake.Handshake // the sender's endpoint checks, answered by the verifier
	asym      string               // version tag of the Ed25519 variant that Config.Keys sign (Standard Webhooks "v1a"); "" for none
	ext       *external            // primExternal only
}

// scheme is a resolved, compiled spec.
type scheme struct {
	spec
	tmpl     *template.Template
	timed    bool // the scheme carries a timestamp (in a header or the body)
	headerTS bool // the timestamp is in a header, and signed as {timestamp}
}

func (s *scheme) needsURL() bool { return s.tmpl.Uses(template.URL) || s.bodyHash != "" }

// headerValue is the first value of the canonical header name.
func headerValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// headerVerifier verifies every scheme whose signature is in a header.
type headerVerifier struct {
	*scheme
	keys keys.Verifier
	tol  time.Duration // < 0: no window check
}

func (v *headerVerifier) Verify(r *http.Request, body []byte, now time.Time) error {
	_, err := v.verify(r, body, now, false)
	return err
}

func (v *headerVerifier) VerifyDigest(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	return v.verify(r, body, now, v.prim != primToken)
}

// verify checks r; with digest, it also returns the SHA-256 of the signed
// content that matched (for Twilio, the URL spelling the sender signed).
func (v *headerVerifier) verify(r *http.Request, body []byte, now time.Time, digest bool) ([]byte, error) {
	raw := headerValue(r.Header, v.header)
	if raw == "" {
		return nil, fail(ReasonMissing, "no %s header", v.header)
	}
	var encBuf [4]string
	encSigs, ts, perr := v.frame.Parse(raw, encBuf[:0])
	if perr != nil {
		return nil, &Error{Reason: ReasonMalformed, Detail: perr.Error()}
	}
	if v.tsHeader != "" {
		if ts = headerValue(r.Header, v.tsHeader); ts == "" {
			return nil, fail(ReasonMissing, "no %s header", v.tsHeader)
		}
	}
	var t time.Time
	if v.headerTS {
		var ok bool
		if t, ok = v.tsFormat.Parse(ts); !ok {
			return nil, fail(ReasonMalformed, "timestamp cannot be parsed")
		}
	}
	vals := template.Values{Body: body, Timestamp: ts, Method: r.Method, Header: r.Header}
	if v.idHeader != "" {
		if vals.ID = headerValue(r.Header, v.idHeader); vals.ID == "" {
			return nil, fail(ReasonMissing, "no %s header", v.idHeader)
		}
	}
	var sigBuf [4][]byte
	sigs := sigBuf[:0]
	for _, s := range encSigs {
		b, ok := v.enc.Decode(nil, s)
		if ok && (v.keys.SigLen() == 0 || len(b) == v.keys.SigLen()) {
			sigs = append(sigs, b)
		}
	}
	if len(sigs) == 0 {
		return nil, fail(ReasonMalformed, "no well-formed signature in %s", v.header)
	}
	if v.needsURL() {
		vals.URL = v.requestURL(r)
		if err := v.checkBodyHash(vals.URL, r.Header, body); err != nil {
			return nil, err
		}
	}
	buf := bufPool.Get().(*[]byte)
	msg := v.tmpl.Render(buf, &vals)
	ok := v.keys.Verify(msg, sigs)
	if !ok && v.urlAlt != nil && vals.URL != "" {
		if alt := v.urlAlt(vals.URL); alt != "" {
			vals.URL = alt
			msg = v.tmpl.Render(buf, &vals)
			ok = v.keys.Verify(msg, sigs)
		}
	}
	var sum []byte
	if ok && digest {
		sum = sha256Of(msg)
	}
	putBuf(buf)
	if !ok {
		return nil, fail(ReasonMismatch, "no configured secret matches")
	}
	if v.headerTS {
		if err := checkWindow(now, t, v.tol); err != nil {
			return nil, err
		}
	}
	if v.bodyTS != "" {
		if err := v.checkBodyTime(body, now); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// checkBodyTime checks the timestamp a sender signs inside its JSON body
// (Linear's webhookTimestamp, unix milliseconds) against the tolerance. It
// runs once the signature matched, so the body is the sender's.
func (v *headerVerifier) checkBodyTime(body []byte, now time.Time) *Error {
	f := gjson.GetBytes(body, v.bodyTS)
	if !f.Exists() {
		return fail(ReasonMissing, "no %s in the body", v.bodyTS)
	}
	t, ok := UnixMillis.Parse(f.Raw)
	if f.Type != gjson.Number || !ok {
		return fail(ReasonMalformed, "%s cannot be parsed", v.bodyTS)
	}
	return checkWindow(now, t, v.tol)
}

func sha256Of(b []byte) []byte {
	sum := sha256.Sum256(b)
	return sum[:]
}

// bufPool holds the buffers templates are rendered into.
var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

func putBuf(b *[]byte) {
	if cap(*b) <= 4<<20 {
		bufPool.Put(b)
	}
}

// headerSigner signs every scheme whose signature is in a header.
type headerSigner struct {
	*scheme
	keys []keys.Signer // the first signs; multi-signature headers get one per key
}

// Sign sets the signature header (and the timestamp and id headers the scheme
// uses). {method} is signed as POST, the method Hookgate delivers with.
func (s *headerSigner) Sign(h http.Header, target *url.URL, id string, body []byte, now time.Time) error {
	vals := template.Values{Body: body, ID: id, Method: http.MethodPost, Header: h}
	if s.headerTS {
		vals.Timestamp = s.tsFormat.Format(now)
		if s.tsHeader != "" {
			h.Set(s.tsHeader, vals.Timestamp)
		}
	}
	if s.idHeader != "" {
		if id == "" {
			return errors.New("signature: this scheme signs the message id, which is empty")
		}
		h.Set(s.idHeader, id)
	}
	if s.needsURL() {
		if target == nil && s.url == "" {
			return errors.New("signature: this scheme signs the target url, which is nil")
		}
		vals.URL = s.targetURL(target)
		if err := s.checkBodyHash(vals.URL, h, body); err != nil {
			return fmt.Errorf("signature: cannot sign: %s", err.Detail)
		}
	}
	signers := s.keys
	if !s.frame.Multi() {
		signers = signers[:1]
	}
	buf := bufPool.Get().(*[]byte)
	defer putBuf(buf)
	msg := s.tmpl.Render(buf, &vals)
	sigs := make([]string, 0, len(signers))
	for _, k := range signers {
		sig, err := k.Sign(msg)
		if err != nil {
			return fmt.Errorf("signature: %w", err)
		}
		sigs = append(sigs, s.enc.Encode(sig))
	}
	h.Set(s.header, s.frame.Format(vals.Timestamp, sigs))
	return nil
}
