package signature

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"time"

	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/keys"
)

// Mailgun signs inside the body: HMAC-SHA256, keyed with the account's HTTP
// webhook signing key, of timestamp+token, hex-encoded in "signature". Three
// body forms are supported:
//   - JSON (webhooks): {"signature": {"timestamp", "token", "signature"}, "event-data": …}
//     (and "parent-signature", made with the primary account's key, for a
//     subaccount's events)
//   - application/x-www-form-urlencoded (legacy webhooks, routes): fields
//     timestamp, token, signature
//   - multipart/form-data (routes forwarding messages with attachments):
//     the same fields as parts; at most maxMailgunParts parts are examined.
//
// The timestamp (unix seconds) is checked against the tolerance; a replayed
// token is caught by deduplication (Mailgun suggests caching tokens).
// Hookgate cannot sign as Mailgun: the signature would have to be written into
// the body.

const (
	maxMailgunParts = 256
	maxMailgunField = 256 // bytes of a timestamp, token or signature
)

type mailgunFields struct {
	Timestamp flexString `json:"timestamp"`
	Token     flexString `json:"token"`
	Signature flexString `json:"signature"`
	// ParentSignature is sent for a subaccount's events, made with the
	// primary account's key: either signature may match a configured key.
	ParentSignature flexString `json:"parent-signature"`
}

// flexString accepts a JSON string or number.
type flexString string

func (f *flexString) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		err := json.Unmarshal(b, &s)
		*f = flexString(s)
		return err
	}
	var n json.Number
	err := json.Unmarshal(b, &n)
	*f = flexString(n)
	return err
}

var errMailgunBody = errors.New("mailgun body cannot be parsed")

// parseMailgun extracts the signature fields from a Mailgun body.
func parseMailgun(h http.Header, body []byte) (mailgunFields, error) {
	var f mailgunFields
	mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case mt == "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return f, errMailgunBody
		}
		f.Timestamp, f.Token = flexString(q.Get("timestamp")), flexString(q.Get("token"))
		f.Signature, f.ParentSignature = flexString(q.Get("signature")), flexString(q.Get("parent-signature"))
	case mt == "multipart/form-data":
		return parseMailgunMultipart(body, params["boundary"])
	default: // JSON, whatever the content type says
		var doc struct {
			Signature mailgunFields `json:"signature"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return f, errMailgunBody
		}
		f = doc.Signature
	}
	return f, nil
}

func parseMailgunMultipart(body []byte, boundary string) (mailgunFields, error) {
	var f mailgunFields
	if boundary == "" {
		return f, errMailgunBody
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for range maxMailgunParts {
		p, err := mr.NextPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return f, errMailgunBody
		}
		var dst *flexString
		switch p.FormName() {
		case "timestamp":
			dst = &f.Timestamp
		case "token":
			dst = &f.Token
		case "signature":
			dst = &f.Signature
		case "parent-signature":
			dst = &f.ParentSignature
		default:
			continue
		}
		b, err := io.ReadAll(io.LimitReader(p, maxMailgunField+1))
		if err != nil || len(b) > maxMailgunField {
			return f, errMailgunBody
		}
		*dst = flexString(b)
	}
	return f, errMailgunBody
}

type mailgunVerifier struct {
	keys keys.Verifier
	tol  time.Duration
}

func (v *mailgunVerifier) Verify(r *http.Request, body []byte, now time.Time) error {
	_, err := v.VerifyDigest(r, body, now)
	return err
}

// VerifyDigest returns the digest of timestamp+token, what Mailgun signs,
// whatever the body form: a key built from it is the token's, so a captured
// token cannot carry other event data.
func (v *mailgunVerifier) VerifyDigest(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	f, err := parseMailgun(r.Header, body)
	if err != nil {
		return nil, fail(ReasonMalformed, "%v", err)
	}
	if f.Signature == "" || f.Timestamp == "" || f.Token == "" {
		return nil, fail(ReasonMissing, "body lacks signature, timestamp or token")
	}
	t, ok := tsUnix.parse(string(f.Timestamp))
	if !ok {
		return nil, fail(ReasonMalformed, "timestamp cannot be parsed")
	}
	var sigs [][]byte
	for _, s := range []flexString{f.Signature, f.ParentSignature} {
		if b, ok := framing.Hex.Decode(nil, string(s)); ok && len(b) == v.keys.SigLen() {
			sigs = append(sigs, b)
		}
	}
	if len(sigs) == 0 {
		return nil, fail(ReasonMalformed, "signature is not hex sha-256")
	}
	signed := []byte(string(f.Timestamp) + string(f.Token))
	if !v.keys.Verify(signed, sigs) {
		return nil, fail(ReasonMismatch, "no configured secret matches")
	}
	if err := checkWindow(now, t, v.tol); err != nil {
		return nil, err
	}
	return sha256Of(signed), nil
}
