package inbound

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookgate/hookgate/signature"
)

func TestSignedDigestNeedsASignedScheme(t *testing.T) {
	for _, tc := range []struct {
		name   string
		verify *signature.Config
		opt    func(h *Handler)
	}{
		{"no verify", nil, func(h *Handler) { h.Dedupe = "{signed_digest}" }},
		{"unsigned sender", &signature.Config{Scheme: "ctxfy"}, func(h *Handler) { h.Dedupe = "{signed_digest}" }},
		{"shared token", &signature.Config{Scheme: "gitlab", Secrets: []string{"t"}}, func(h *Handler) { h.Dedupe = "{signed_digest}" }},
		{"order_by", nil, func(h *Handler) { h.OrderBy = "{signed_digest}" }},
	} {
		h := &Handler{Verify: tc.verify}
		tc.opt(h)
		assert.ErrorContains(t, h.provision(&fakeBackend{}, zap.NewNop()), "{signed_digest} needs a verify scheme that signs", tc.name)
	}
}

// TestUnsignedHeaderWarning checks the provision-time warning about a dedupe
// key that reads a header the route's signature does not cover.
func TestUnsignedHeaderWarning(t *testing.T) {
	for _, tc := range []struct {
		name   string
		verify *signature.Config
		dedupe string
		warn   []string // the headers named in warnings
	}{
		{"github delivery header", &signature.Config{Scheme: "github", Secrets: []string{"s"}}, "{header.X-GitHub-Delivery}", []string{"X-Github-Delivery"}},
		{"gitlab token covers no header", &signature.Config{Scheme: "gitlab", Secrets: []string{"s"}}, "{header.X-Gitlab-Event-UUID}:{json.id}", []string{"X-Gitlab-Event-Uuid"}},
		{"hmac id header read but not signed", &signature.Config{Header: "X-Sig", IDHeader: "X-Id", Secrets: []string{"s"}}, "{header.X-Id}", []string{"X-Id"}},
		{"signed id header", &signature.Config{Scheme: "standard_webhooks", Secrets: []string{"whsec_c2VjcmV0c2VjcmV0c2VjcmV0"}}, "{header.webhook-id}", nil},
		{"hmac signed id header", &signature.Config{Header: "X-Sig", IDHeader: "X-Id", SignedContent: "{id}.{body}", Secrets: []string{"s"}}, "{header.X-Id}", nil},
		{"unsigned sender is not verified", &signature.Config{Scheme: "ctxfy"}, "{header.X-Id}", nil},
		{"no verify", nil, "{header.X-Id}", nil},
		{"body field", &signature.Config{Scheme: "github", Secrets: []string{"s"}}, "{json.id}", nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core, logs := observer.New(zapcore.WarnLevel)
			h := &Handler{Verify: tc.verify, Dedupe: tc.dedupe}
			require.NoError(t, h.provision(&fakeBackend{}, zap.New(core)))
			var named []string
			for _, e := range logs.All() {
				assert.Contains(t, e.Message, "does not cover")
				named = append(named, e.ContextMap()["header"].(string))
			}
			assert.Equal(t, tc.warn, named)
		})
	}
}
