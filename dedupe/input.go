package dedupe

import "net/http"

// Input is what one request gives the templates and filters that read it:
// the request, its raw body and the digest of what its signature covers.
// Its body is checked as JSON at most once, on first need, however many
// templates and filters (dedupe key, order key, drop, each upstream's
// when) read it.
type Input struct {
	R      *http.Request
	Body   []byte
	Signed []byte // nil when unverified

	checked bool
	jsonErr error
}

// CheckJSON is CheckJSON(in.Body), computed once.
func (in *Input) CheckJSON() error {
	if !in.checked {
		in.jsonErr, in.checked = CheckJSON(in.Body), true
	}
	return in.jsonErr
}
