package redact

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestURL(t *testing.T) {
	for raw, want := range map[string]string{
		"https://hooks.example/services/T0/B0/SECRETTOKEN?x=1": "https://hooks.example",
		"https://user:pass@hooks.example:8443/p#frag":          "https://hooks.example:8443",
		"http://[::1]:2020/hook?token=abc":                     "http://[::1]:2020",
		"https://discord.example/api/webhooks/1/tok":           "https://discord.example",
		"/relative/secret":                                     "(invalid URL)",
		"hooks.example/secret":                                 "(invalid URL)",
		"https://bad host/secret%zz":                           "(invalid URL)",
		"":                                                     "(invalid URL)",
	} {
		assert.Equal(t, want, URL(raw), "URL(%q)", raw)
	}
}
