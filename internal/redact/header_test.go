package redact

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestHeaders(t *testing.T) {
	r := NewHeaders("X-Webhook-Signature", "x-gitlab-token-ish", "X-Hub-Checksum", "")
	for name, secret := range map[string]bool{
		"Authorization":         true,
		"proxy-authorization":   true,
		"Cookie":                true,
		"Set-Cookie":            true,
		"X-Webhook-Signature":   true, // the scheme's, and a secret word
		"X-Hub-Checksum":        true, // the scheme's only
		"X-Gitlab-Token":        true,
		"Stripe-Signature":      true,
		"X-Api-Key":             true,
		"X-Shopify-Hmac-Sha256": false, // neither the scheme's nor a secret word
		"X-Client-Secret":       true,
		"X-Authenticated-User":  true,
		"Content-Type":          false,
		"User-Agent":            false,
		"Webhook-Id":            false,
		"X-Request-Id":          false,
	} {
		assert.Equal(t, secret, r.Secret(name), name)
	}

	h := http.Header{
		"Content-Type":   {"application/json"},
		"Authorization":  {"Bearer abc"},
		"X-Hub-Checksum": {"a", "b"},
	}
	got := r.Apply(h)
	assert.Equal(t, http.Header{
		"Content-Type":   {"application/json"},
		"Authorization":  {Redacted},
		"X-Hub-Checksum": {Redacted, Redacted},
	}, got)
	assert.Equal(t, "Bearer abc", h.Get("Authorization"), "the original is untouched")
}
