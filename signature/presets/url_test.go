package presets

import (
	"strings"
	"testing"
)

func FuzzURLRewrites(f *testing.F) {
	for _, s := range []string{"https://x.example:443/a?b=c", "https://x.example/a", "http://[::1]:8080/p", "http://[::1]/p",
		"https://x.example/a%3Ab%2fc", "nourl", "ftp://x/y", "https://", "https://h:/"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, u string) {
		proto, _, _ := strings.Cut(strings.ToLower(u), "://")
		if alt := togglePort(u); alt != "" && (proto == "http" || proto == "https") {
			if back := togglePort(alt); back == "" {
				t.Fatalf("togglePort(%q) = %q, which does not toggle back", u, alt)
			}
		}
		_ = hubspotURI(u)
	})
}
