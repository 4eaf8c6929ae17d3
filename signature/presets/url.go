package presets

import "strings"

// The URL quirks of senders that sign {url} (see signature.Fields URLFix
// and URLAlt).

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
