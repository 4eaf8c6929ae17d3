package redact

import (
	"net/http"
	"strings"
)

// Redacted stands for a header value that is not shown.
const Redacted = "[redacted]"

// alwaysSecret are the headers that carry credentials whatever the route.
var alwaysSecret = []string{"Authorization", "Proxy-Authorization", "Cookie", "Set-Cookie"}

// secretWords mark a header as a credential wherever they occur in its name.
var secretWords = []string{"signature", "token", "secret", "key", "auth", "password", "session"}

// Headers decides which headers of a message are shown with their values
// and which are redacted: the usual credential headers, every header whose
// name has a secret word in it, and the route's own (those its signature
// scheme reads a signature or token from).
type Headers struct {
	names map[string]bool // canonical names always redacted
}

// NewHeaders returns the redaction of a route whose scheme reads its
// signature or token from the named headers.
func NewHeaders(schemeHeaders ...string) *Headers {
	r := &Headers{names: map[string]bool{}}
	for _, n := range append(schemeHeaders, alwaysSecret...) {
		if n != "" {
			r.names[http.CanonicalHeaderKey(n)] = true
		}
	}
	return r
}

// Secret reports whether the values of header name are redacted.
func (r *Headers) Secret(name string) bool {
	if r.names[http.CanonicalHeaderKey(name)] {
		return true
	}
	lower := strings.ToLower(name)
	for _, w := range secretWords {
		if strings.Contains(lower, w) {
			return true
		}
	}
	return false
}

// Apply returns a copy of h with the values of its secret headers
// replaced by Redacted (one per value, so that their count still shows).
func (r *Headers) Apply(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for name, vs := range h {
		if !r.Secret(name) {
			out[name] = append([]string(nil), vs...)
			continue
		}
		red := make([]string, len(vs))
		for i := range red {
			red[i] = Redacted
		}
		out[name] = red
	}
	return out
}
