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
// sender saw it: Config.URL when set, else the request's own.

// requestURL is the URL the sender signed. The scheme is https when the
// connection is TLS; behind a TLS-terminating proxy, set Config.URL.
func (s *scheme) requestURL(r *http.Request) string {
	if s.url != "" {
		return s.fixURL(s.url)
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	uri := r.RequestURI
	if uri == "" || uri[0] != '/' {
		uri = r.URL.RequestURI()
	}
	return s.fixURL(proto + "://" + r.Host + uri)
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

// togglePort returns u with its explicit port removed, or with the scheme's
// default port added when it has none: Twilio may sign either spelling. It
// edits the authority only, leaving path and query bytes untouched.
func togglePort(u string) string {
	proto, rest, ok := strings.Cut(u, "://")
	if !ok {
		return ""
	}
	end := strings.IndexAny(rest, "/?#")
	if end < 0 {
		end = len(rest)
	}
	host, tail := rest[:end], rest[end:]
	if i := strings.LastIndexByte(host, ':'); i >= 0 && !strings.HasSuffix(host, "]") {
		return proto + "://" + host[:i] + tail
	}
	port := map[string]string{"https": ":443", "http": ":80"}[strings.ToLower(proto)]
	if port == "" {
		return ""
	}
	return proto + "://" + host + port + tail
}

// hubspotUnescape decodes the percent-escapes HubSpot decodes in the URI it
// signs (v3 signature).
var hubspotUnescape = func() *strings.Replacer {
	var pairs []string
	for _, c := range ":/?@!$'()*,;" {
		esc := "%" + strings.ToUpper(string("0123456789abcdef"[c>>4])+string("0123456789abcdef"[c&15]))
		pairs = append(pairs, esc, string(c))
		if low := strings.ToLower(esc); low != esc {
			pairs = append(pairs, low, string(c))
		}
	}
	return strings.NewReplacer(pairs...)
}()

func hubspotURI(u string) string { return hubspotUnescape.Replace(u) }
