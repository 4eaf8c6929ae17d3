package header

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/tidwall/gjson"

	"github.com/hookgate/hookgate/signature/ext"
	"github.com/hookgate/hookgate/signature/keys"
	"github.com/hookgate/hookgate/signature/template"
)

// headerValue is the first value of the canonical header name.
func headerValue(h http.Header, name string) string {
	if v := h[name]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// Verifier verifies a scheme with its keys.
type Verifier struct {
	*Scheme
	Keys keys.Verifier
	Tol  time.Duration // < 0: no window check
}

// Verify checks r's signature over body at now, failing with an *ext.Error;
// with digest, it also returns the SHA-256 of the signed content that
// matched (for Twilio, the URL spelling the sender signed).
func (v *Verifier) Verify(r *http.Request, body []byte, now time.Time, digest bool) ([]byte, error) {
	raw := headerValue(r.Header, v.Header)
	if raw == "" {
		return nil, ext.Fail(ext.Missing, "no %s header", v.Header)
	}
	var encBuf [4]string
	encSigs, ts, perr := v.Frame.Parse(raw, encBuf[:0])
	if perr != nil {
		return nil, &ext.Error{Reason: ext.Malformed, Detail: perr.Error()}
	}
	if v.TSHeader != "" {
		if ts = headerValue(r.Header, v.TSHeader); ts == "" {
			return nil, ext.Fail(ext.Missing, "no %s header", v.TSHeader)
		}
	}
	var t time.Time
	if v.HeaderTS {
		var ok bool
		if t, ok = v.TSFormat.Parse(ts); !ok {
			return nil, ext.Fail(ext.Malformed, "timestamp cannot be parsed")
		}
	}
	vals := template.Values{Body: body, Timestamp: ts, Method: r.Method, Header: r.Header}
	if v.IDHeader != "" {
		if vals.ID = headerValue(r.Header, v.IDHeader); vals.ID == "" {
			return nil, ext.Fail(ext.Missing, "no %s header", v.IDHeader)
		}
	}
	var sigBuf [4][]byte
	sigs := sigBuf[:0]
	for _, s := range encSigs {
		b, ok := v.Enc.Decode(nil, s)
		if ok && (v.Keys.SigLen() == 0 || len(b) == v.Keys.SigLen()) {
			sigs = append(sigs, b)
		}
	}
	if len(sigs) == 0 {
		return nil, ext.Fail(ext.Malformed, "no well-formed signature in %s", v.Header)
	}
	if v.NeedsURL() {
		vals.URL = v.RequestURL(r)
		if err := v.checkBodyHash(vals.URL, r.Header, body); err != nil {
			return nil, err
		}
	}
	buf := bufPool.Get().(*[]byte)
	msg := v.Tmpl.Render(buf, &vals)
	ok := v.Keys.Verify(msg, sigs)
	if !ok && v.URLAlt != nil && vals.URL != "" {
		if alt := v.URLAlt(vals.URL); alt != "" {
			vals.URL = alt
			msg = v.Tmpl.Render(buf, &vals)
			ok = v.Keys.Verify(msg, sigs)
		}
	}
	var sum []byte
	if ok && digest {
		sum = sha256Of(msg)
	}
	putBuf(buf)
	if !ok {
		return nil, ext.Fail(ext.Mismatch, "no configured secret matches")
	}
	if v.HeaderTS {
		if err := CheckWindow(now, t, v.Tol); err != nil {
			return nil, err
		}
	}
	if v.BodyTS != "" {
		if err := v.checkBodyTime(body, now); err != nil {
			return nil, err
		}
	}
	return sum, nil
}

// checkBodyTime checks the timestamp a sender signs inside its JSON body
// (Linear's webhookTimestamp, unix milliseconds) against the tolerance. It
// runs once the signature matched, so the body is the sender's.
func (v *Verifier) checkBodyTime(body []byte, now time.Time) *ext.Error {
	f := gjson.GetBytes(body, v.BodyTS)
	if !f.Exists() {
		return ext.Fail(ext.Missing, "no %s in the body", v.BodyTS)
	}
	t, ok := UnixMillis.Parse(f.Raw)
	if f.Type != gjson.Number || !ok {
		return ext.Fail(ext.Malformed, "%s cannot be parsed", v.BodyTS)
	}
	return CheckWindow(now, t, v.Tol)
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

// Signer signs a scheme with its keys.
type Signer struct {
	*Scheme
	Keys []keys.Signer // the first signs; multi-signature headers get one per key
}

// Sign sets the signature header (and the timestamp and id headers the scheme
// uses). {method} is signed as POST, the method Hookgate delivers with.
func (s *Signer) Sign(h http.Header, target *url.URL, id string, body []byte, now time.Time) error {
	vals := template.Values{Body: body, ID: id, Method: http.MethodPost, Header: h}
	if s.HeaderTS {
		vals.Timestamp = s.TSFormat.Format(now)
		if s.TSHeader != "" {
			h.Set(s.TSHeader, vals.Timestamp)
		}
	}
	if s.IDHeader != "" {
		if id == "" {
			return errors.New("signature: this scheme signs the message id, which is empty")
		}
		h.Set(s.IDHeader, id)
	}
	if s.NeedsURL() {
		if target == nil && s.URL == "" {
			return errors.New("signature: this scheme signs the target url, which is nil")
		}
		vals.URL = s.TargetURL(target)
		if err := s.checkBodyHash(vals.URL, h, body); err != nil {
			return fmt.Errorf("signature: cannot sign: %s", err.Detail)
		}
	}
	signers := s.Keys
	if !s.Frame.Multi() {
		signers = signers[:1]
	}
	buf := bufPool.Get().(*[]byte)
	defer putBuf(buf)
	msg := s.Tmpl.Render(buf, &vals)
	sigs := make([]string, 0, len(signers))
	for _, k := range signers {
		sig, err := k.Sign(msg)
		if err != nil {
			return fmt.Errorf("signature: %w", err)
		}
		sigs = append(sigs, s.Enc.Encode(sig))
	}
	h.Set(s.Header, s.Frame.Format(vals.Timestamp, sigs))
	return nil
}
