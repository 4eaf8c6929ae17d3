// Package mailgun reads and verifies the signature Mailgun puts inside the
// body of its webhooks.
//
// Mailgun signs inside the body: HMAC-SHA256, keyed with the account's HTTP
// webhook signing key, of timestamp+token, hex-encoded in "signature". Three
// body forms are supported:
//   - JSON (webhooks): {"signature": {"timestamp", "token", "signature"}, "event-data": …}
//     (and "parent-signature", made with the primary account's key, for a
//     subaccount's events)
//   - application/x-www-form-urlencoded (legacy webhooks, routes): fields
//     timestamp, token, signature
//   - multipart/form-data (routes forwarding messages with attachments):
//     the same fields as parts; at most maxParts parts are examined.
//
// The timestamp (unix seconds) is checked against the tolerance; a replayed
// token is caught by deduplication (Mailgun suggests caching tokens).
// Hookgate cannot sign as Mailgun: the signature would have to be written into
// the body.
package mailgun

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
)

const (
	maxParts = 256
	maxField = 256 // bytes of a timestamp, token or signature
)

// Fields are the signature fields of a body, as sent.
type Fields struct {
	Timestamp string
	Token     string
	Signature string
	// ParentSignature is sent for a subaccount's events, made with the
	// primary account's key: either signature may match a configured key.
	ParentSignature string
}

// Signed is what Mailgun signs: timestamp+token.
func (f Fields) Signed() []byte { return []byte(f.Timestamp + f.Token) }

// fields are the signature fields as decoded.
type fields struct {
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

// ErrBody is returned for a body whose signature fields cannot be parsed.
var ErrBody = errors.New("mailgun body cannot be parsed")

// Parse extracts the signature fields from a Mailgun body, whose form the
// Content-Type of h says (JSON whatever it says, unless form-encoded or
// multipart). Absent fields are empty.
func Parse(h http.Header, body []byte) (Fields, error) {
	f, err := parse(h, body)
	return Fields{Timestamp: string(f.Timestamp), Token: string(f.Token),
		Signature: string(f.Signature), ParentSignature: string(f.ParentSignature)}, err
}

func parse(h http.Header, body []byte) (fields, error) {
	var f fields
	mt, params, _ := mime.ParseMediaType(h.Get("Content-Type"))
	switch {
	case mt == "application/x-www-form-urlencoded":
		q, err := url.ParseQuery(string(body))
		if err != nil {
			return f, ErrBody
		}
		f.Timestamp, f.Token = flexString(q.Get("timestamp")), flexString(q.Get("token"))
		f.Signature, f.ParentSignature = flexString(q.Get("signature")), flexString(q.Get("parent-signature"))
	case mt == "multipart/form-data":
		return parseMultipart(body, params["boundary"])
	default: // JSON, whatever the content type says
		var doc struct {
			Signature fields `json:"signature"`
		}
		if err := json.Unmarshal(body, &doc); err != nil {
			return f, ErrBody
		}
		f = doc.Signature
	}
	return f, nil
}

func parseMultipart(body []byte, boundary string) (fields, error) {
	var f fields
	if boundary == "" {
		return f, ErrBody
	}
	mr := multipart.NewReader(bytes.NewReader(body), boundary)
	for range maxParts {
		p, err := mr.NextPart()
		if err == io.EOF {
			return f, nil
		}
		if err != nil {
			return f, ErrBody
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
		b, err := io.ReadAll(io.LimitReader(p, maxField+1))
		if err != nil || len(b) > maxField {
			return f, ErrBody
		}
		*dst = flexString(b)
	}
	return f, ErrBody
}
