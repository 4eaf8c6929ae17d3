package signature

import (
	"bytes"
	"crypto/sha256"
	"net/http"
	"net/url"
	"strings"

	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/template"
)

// Schemes whose signed content includes {url} need the URL exactly as the
// sender saw it. Config.URL, when set, gives its public scheme, host and
// path (what a TLS-terminating proxy or a path rewrite hides from Caddy);
// the query is always the request's own, byte for byte, since the sender
// signs the query it called with (Twilio's bodySHA256, any parameter the
// URL was registered with).

// requestURL is the URL the sender signed. Without Config.URL, the scheme is
// https when the connection is TLS.
func (s *scheme) requestURL(r *http.Request) string {
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' {
		uri = r.URL.RequestURI()
	}
	if s.url != "" {
		_, query, _ := strings.Cut(uri, "?")
		return s.fixURL(withQuery(s.url, query))
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	return s.fixURL(proto + "://" + r.Host + uri)
}

// targetURL is the URL a signer signs for target: Config.URL's scheme, host
// and path with target's query, else target itself.
func (s *scheme) targetURL(target *url.URL) string {
	if s.url == "" {
		return s.fixURL(target.String())
	}
	q := ""
	if target != nil {
		q = target.RawQuery
	}
	return s.fixURL(withQuery(s.url, q))
}

// withQuery appends a raw query to a URL that has none.
func withQuery(base, query string) string {
	if query == "" {
		return base
	}
	return base + "?" + query
}

// PublicURL is what Config.URL takes from a full URL: its scheme, host and
// path, without the query, which comes from each request (the CLI's --url
// gives both).
func PublicURL(full string) string {
	base, _, _ := strings.Cut(full, "#")
	base, _, _ = strings.Cut(base, "?")
	return base
}

func (s *scheme) fixURL(u string) string {
	if s.urlFix != nil {
		return s.urlFix(u)
	}
	return u
}

// checkBodyHash verifies, for a non-form body, that the signed URL carries the
// body's SHA-256 (Twilio's bodySHA256). The URL is covered by the signature,
// so this binds the body to it.
func (s *scheme) checkBodyHash(rawURL string, h http.Header, body []byte) *Error {
	if s.bodyHash == "" || template.IsForm(h) {
		return nil
	}
	u, err := url.Parse(rawURL)
	if err != nil {
		return fail(ReasonMalformed, "request url cannot be parsed")
	}
	want := u.Query().Get(s.bodyHash)
	if want == "" {
		return fail(ReasonMalformed, "url lacks the %s parameter", s.bodyHash)
	}
	sum := sha256.Sum256(body)
	got, ok := framing.Hex.Decode(nil, want)
	if !ok || len(got) != len(sum) {
		return fail(ReasonMalformed, "%s parameter is not a hex sha-256", s.bodyHash)
	}
	if !bytes.Equal(got, sum[:]) {
		return fail(ReasonMismatch, "body does not match %s", s.bodyHash)
	}
	return nil
}
