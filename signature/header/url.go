package header

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookgate/hookgate/signature/ext"
	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/template"
)

// Schemes whose signed content includes {url} need the URL exactly as the
// sender saw it. Spec.URL, when set, gives its public scheme, host and
// path (what a TLS-terminating proxy or a path rewrite hides from Caddy);
// the query is always the request's own, byte for byte, since the sender
// signs the query it called with (Twilio's bodySHA256, any parameter the
// URL was registered with).

// RequestURL is the URL the sender signed. Without Spec.URL, the scheme is
// https when the connection is TLS.
func (s *Scheme) RequestURL(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' {
		uri = r.URL.RequestURI()
	}
	if s.URL != "" {
		_, query, _ := strings.Cut(uri, "?")
		return s.fixURL(withQuery(s.URL, query))
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	return s.fixURL(proto + "://" + r.Host + uri)
}

// TargetURL is the URL a signer signs for target: Spec.URL's scheme, host
// and path with target's query, else target itself.
func (s *Scheme) TargetURL(target *url.URL) string {
	if s.URL == "" {
		return s.fixURL(target.String())
	}
	q := ""
	if target != nil {
		q = target.RawQuery
	}
	return s.fixURL(withQuery(s.URL, q))
}

// withQuery appends a raw query to a URL that has none.
func withQuery(base, query string) string {
	if query == "" {
		return base
	}
	return base + "?" + query
}

func (s *Scheme) fixURL(u string) string {
	if s.URLFix != nil {
		return s.URLFix(u)
	}
	return u
}

// checkBodyHash verifies, for a non-form body, that the signed URL carries the
// body's SHA-256 (Twilio's bodySHA256). The URL is covered by the signature,
// so this binds the body to it.
func (s *Scheme) checkBodyHash(rawURL string, h http.Header, body []byte) *ext.Error {
	if s.BodyHash == "" || template.IsForm(h) {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return ext.Fail(ext.Malformed, "request url cannot be parsed")
	}
	want := u.Query().Get(s.BodyHash)
	if want == "" {
		return ext.Fail(ext.Malformed, "url lacks the %s parameter", s.BodyHash)
	}
	sum := sha256.Sum256(body)
	got, ok := framing.Hex.Decode(nil, want)
	if !ok || len(got) != len(sum) {
		return ext.Fail(ext.Malformed, "%s parameter is not a hex sha-256", s.BodyHash)
	}
	if !bytes.Equal(got, sum[:]) {
		return ext.Fail(ext.Mismatch, "body does not match %s", s.BodyHash)
	}
	return nil
}
