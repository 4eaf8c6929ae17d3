package signature

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestCredentialHeaders(t *testing.T) {
	for _, tc := range []struct {
		c    Config
		want []string
	}{
		{Config{Header: "x-webhook-signature"}, []string{"X-Webhook-Signature"}},
		{Config{Scheme: "github"}, []string{"X-Hub-Signature-256"}},
		{Config{Scheme: "stripe"}, []string{"Stripe-Signature"}},
		{Config{Scheme: "gitlab"}, []string{"X-Gitlab-Token"}},
		{Config{Scheme: "shopify"}, []string{"X-Shopify-Hmac-Sha256"}},
		{Config{Scheme: "ctxfy"}, nil},
		{Config{Scheme: "no_such_scheme"}, nil},
	} {
		assert.Equal(t, tc.want, tc.c.CredentialHeaders(), "%+v", tc.c)
	}
}
