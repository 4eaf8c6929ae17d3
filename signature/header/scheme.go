// Package header verifies and signs the schemes whose signature is in a
// header (GitHub, Stripe, Slack, Standard Webhooks, Twilio, …): a Spec, the
// scheme as data, compiles to a Scheme, which a Verifier checks requests
// against and a Signer signs requests with. Failures are *ext.Error, which
// package signature turns into its own *signature.Error.
//
// Like every sub-package of signature, it never imports signature.
package header

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/keys"
	"github.com/hookgate/hookgate/signature/template"
)

// Spec is a header scheme as data, before it is compiled.
type Spec struct {
	Header   string              // signature header
	Alg      string              // HMAC algorithm
	Enc      framing.Encoding    // signature encoding within the header
	Prefix   string              // for the plain framing
	Frame    framing.Framing     // nil: framing.Plain{Prefix}
	Content  string              // signed-content template
	TSHeader string              // timestamp header, when not carried by the signature header
	TSFormat TimeFormat          //
	IDHeader string              // header carrying the message id ({id})
	KeyFmt   keys.Format         // how HMAC secrets become keys
	URL      string              // fixed URL for {url}; "" means the request URL
	BodyHash string              // query parameter holding hex SHA-256 of a non-form body (Twilio)
	URLFix   func(string) string // normalises {url} before signing (HubSpot)
	URLAlt   func(string) string // another spelling of {url} to try on mismatch (Twilio ports)
	BodyTS   string              // JSON path of a unix-milliseconds timestamp inside the signed body (Linear)
}

// Scheme is a compiled Spec.
type Scheme struct {
	Spec
	Tmpl     *template.Template
	Timed    bool // the scheme carries a timestamp (in a header or the body)
	HeaderTS bool // the timestamp is in a header, and signed as {timestamp}
}

// NeedsURL reports whether the signature covers the URL.
func (s *Scheme) NeedsURL() bool { return s.Tmpl.Uses(template.URL) || s.BodyHash != "" }

// Compile checks sp and compiles its template, canonicalising its header
// names and defaulting its framing and content. hmac says the signature is
// an HMAC, whose algorithm is then checked. Its errors are worded to follow
// `signature scheme "name": `.
func Compile(sp Spec, hmac bool) (*Scheme, error) {
	if sp.Header == "" {
		return nil, errors.New("header is required")
	}
	for _, h := range []*string{&sp.Header, &sp.TSHeader, &sp.IDHeader} {
		if *h == "" {
			continue
		}
		if !template.ValidHeaderName(*h) {
			return nil, fmt.Errorf("invalid header name %q", *h)
		}
		*h = http.CanonicalHeaderKey(*h)
	}
	if hmac {
		sp.Alg = strings.ToLower(sp.Alg)
		if !keys.HasAlgorithm(sp.Alg) {
			return nil, fmt.Errorf("unknown algorithm %q: want sha1, sha256 or sha512", sp.Alg)
		}
	}
	if sp.Frame == nil {
		sp.Frame = framing.Plain{Prefix: sp.Prefix}
	}
	if sp.Content == "" {
		sp.Content = "{body}"
	}
	tmpl, err := template.Compile(sp.Content)
	if err != nil {
		return nil, err
	}
	headerTS := sp.TSHeader != "" || sp.Frame.CarriesTimestamp()
	sc := &Scheme{Spec: sp, Tmpl: tmpl, HeaderTS: headerTS, Timed: headerTS || sp.BodyTS != ""}
	switch {
	case tmpl.Uses(template.Timestamp) && !headerTS:
		return nil, errors.New("signed_content uses {timestamp} but no timestamp_header is set")
	case headerTS && !tmpl.Uses(template.Timestamp):
		return nil, errors.New("the timestamp is not in signed_content, so it would not be authenticated: add {timestamp}")
	case tmpl.Uses(template.ID) && sp.IDHeader == "":
		return nil, errors.New("signed_content uses {id} but no id_header is set")
	case sp.URL != "" && !sc.NeedsURL():
		return nil, errors.New("url is set but signed_content does not use {url}")
	}
	if sp.URL != "" {
		u, err := url.Parse(sp.URL)
		switch {
		case err != nil || !u.IsAbs() || u.Host == "":
			return nil, errors.New("url must be an absolute url")
		case u.RawQuery != "" || u.ForceQuery || u.Fragment != "":
			return nil, errors.New("url gives the public scheme, host and path only: the query signed is the request's own")
		}
	}
	return sc, nil
}
