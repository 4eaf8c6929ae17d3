package signature

import "strings"

// PublicURL is what Config.URL takes from a full URL: its scheme, host and
// path, without the query, which comes from each request (the CLI's --url
// gives both).
func PublicURL(full string) string {
	base, _, _ := strings.Cut(full, "#")
	base, _, _ = strings.Cut(base, "?")
	return base
}
