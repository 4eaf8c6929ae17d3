package redact

import (
	"encoding/base64"
	"unicode/utf8"
)

// Body returns how a body is shown (by a route with inspect on): its first
// max bytes, as text when the body is valid UTF-8 (cut back to a rune's
// start), else base64; and whether it was cut.
func Body(body []byte, max int) (shown, encoding string, truncated bool) {
	cut := body
	if truncated = len(body) > max; truncated {
		cut = body[:max]
	}
	if !utf8.Valid(body) {
		return base64.StdEncoding.EncodeToString(cut), "base64", truncated
	}
	for len(cut) > 0 && len(cut) < len(body) && !utf8.RuneStart(body[len(cut)]) {
		cut = cut[:len(cut)-1]
	}
	return string(cut), "text", truncated
}
