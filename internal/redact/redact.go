// Package redact cuts what may carry a credential down to what is safe to
// show on a page, in a log line or in an error.
package redact

import "net/url"

// URL returns raw as scheme://host only: no user info, path, query or
// fragment, where capability URLs (Slack's, Discord's, ...) carry their
// token. A URL that does not parse, or has no scheme or host, is shown as
// "(invalid URL)", since its parts cannot be told apart.
func URL(raw string) string {
	u, err := url.Parse(raw)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return "(invalid URL)"
	}
	return u.Scheme + "://" + u.Host
}
