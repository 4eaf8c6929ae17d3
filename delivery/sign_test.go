package delivery

import (
	"encoding/json"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
	"github.com/hookgate/hookgate/signature/keys"
)

const testSignSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

func TestSignAttempt(t *testing.T) {
	t.Setenv("HOOKGATE_TEST_SIGN", testSignSecret)
	p := &Policy{URL: "http://127.0.0.1:9/hooks", Sign: &signature.Config{Scheme: "standard_webhooks", Secrets: []string{"{env.HOOKGATE_TEST_SIGN}"}}}
	require.NoError(t, p.Provision())

	cfg, err := json.Marshal(p)
	require.NoError(t, err)
	assert.NotContains(t, string(cfg), testSignSecret, "a resolved secret reached the JSON config")
	assert.Contains(t, string(cfg), "{env.HOOKGATE_TEST_SIGN}")

	received := time.Unix(1700000000, 0)
	m := &queue.Message{ID: queue.NewID(received), Body: []byte(`{"id":"evt_1"}`), DedupeKey: "evt_1", ReceivedAt: received}
	verifier, err := signature.Config{Scheme: "standard_webhooks"}.NewVerifier([]string{testSignSecret}, 0)
	require.NoError(t, err)
	var ids []string
	for attempt, at := range []time.Time{received.Add(time.Second), received.Add(2 * time.Hour)} {
		req, err := http.NewRequest(http.MethodPost, p.Target("/hooks"), nil)
		require.NoError(t, err)
		req.Header.Set("Webhook-Id", m.ID) // set by send before signing
		require.NoError(t, p.sign(req, m, at))
		assert.Equal(t, "1700000000", req.Header.Get(ReceivedAtHeader))
		assert.NoError(t, verifier.Verify(req, m.Body, at), "attempt %d: fresh signature", attempt+1)
		ids = append(ids, req.Header.Get("Webhook-Id"))
	}
	assert.Equal(t, []string{"evt_1", "evt_1"}, ids, "webhook-id is the dedupe key, stable across attempts")
}

// TestSignCopiedPolicy: a policy copied for another destination and
// provisioned with its own secret (an outbound endpoint's) signs with that
// secret, not with the signer the copy carried.
func TestSignCopiedPolicy(t *testing.T) {
	const other = "whsec_C2FVsBQIhrscChlQIMV+b5sSYspob7oD"
	base := &Policy{URL: "http://127.0.0.1:9/hooks", Sign: &signature.Config{Scheme: "standard_webhooks", Secrets: []string{testSignSecret}}}
	require.NoError(t, base.Provision())
	p := *base
	p.Sign = &signature.Config{Scheme: "standard_webhooks", Secrets: []string{other}}
	require.NoError(t, p.Provision())

	m := &queue.Message{ID: "msg_1", Body: []byte(`{"id":"evt_1"}`), ReceivedAt: time.Unix(1700000000, 0)}
	at := time.Unix(1700000001, 0)
	req, err := http.NewRequest(http.MethodPost, p.Target("/hooks"), nil)
	require.NoError(t, err)
	req.Header.Set("Webhook-Id", m.ID)
	require.NoError(t, p.sign(req, m, at))
	for secret, ok := range map[string]bool{other: true, testSignSecret: false} {
		v, err := signature.Config{Scheme: "standard_webhooks"}.NewVerifier([]string{secret}, 0)
		require.NoError(t, err)
		assert.Equal(t, ok, v.Verify(req, m.Body, at) == nil, "verified with %s", secret[:10])
	}
}

func TestSignProvisionErrors(t *testing.T) {
	for _, tc := range []struct {
		cfg signature.Config
		err string
	}{
		{signature.Config{Scheme: "standard_webhooks"}, "at least one secret"},
		{signature.Config{Scheme: "standard_webhooks", Secrets: []string{"{env.HOOKGATE_UNSET_VAR}"}}, "no secret"},
		{signature.Config{Scheme: "standard_webhooks", Secrets: []string{"whsec_***"}}, "not base64"},
		{signature.Config{Scheme: "mailgun", Secrets: []string{"k"}}, "inside the body"},
	} {
		p := &Policy{URL: "http://127.0.0.1:9", Sign: &tc.cfg}
		err := p.Provision()
		require.ErrorContains(t, err, tc.err)
		assert.True(t, strings.HasPrefix(err.Error(), "sign: "), err.Error())
		for _, s := range tc.cfg.Secrets {
			if !strings.HasPrefix(s, "{") {
				assert.NotContains(t, err.Error(), s)
			}
		}
	}
	require.Empty(t, os.Getenv("HOOKGATE_UNSET_VAR"))
}

func TestMessageID(t *testing.T) {
	long := strings.Repeat("k", maxIDLen+1)
	for _, tc := range []struct{ key, want string }{
		{"", "msg_X"},
		{"evt_1", "evt_1"},
		{"src-9:done", "src-9:done"},
		{"a b", "key_"},
		{"line\nbreak", "key_"},
		{"é", "key_"},
		{long, "key_"},
	} {
		got := MessageID(&queue.Message{ID: "msg_X", DedupeKey: tc.key})
		if tc.want == "key_" {
			assert.Len(t, got, len("key_")+32, tc.key)
			assert.True(t, strings.HasPrefix(got, "key_"))
			assert.Equal(t, got, MessageID(&queue.Message{ID: "msg_Y", DedupeKey: tc.key}), "stable")
			continue
		}
		assert.Equal(t, tc.want, got)
	}
}

// Two routes sharing a queue must compare equal when their settings are.
func TestSignPolicyComparable(t *testing.T) {
	mk := func() *Policy {
		p := &Policy{URL: "http://127.0.0.1:9", Sign: &signature.Config{Scheme: "standard_webhooks", Secrets: []string{testSignSecret}}}
		require.NoError(t, p.Provision())
		return p
	}
	assert.True(t, mk().SameConfig(mk()))
}

// TestSignAttemptV1a: a key file ({file.…}, PEM) signs each attempt as
// Standard Webhooks v1a; the resolved key stays out of the JSON config, and
// only its public half is shown.
func TestSignAttemptV1a(t *testing.T) {
	privPEM, whpk, err := keys.GenerateEd25519()
	require.NoError(t, err)
	file := t.TempDir() + "/signing.key"
	require.NoError(t, os.WriteFile(file, privPEM, 0o600))
	p := &Policy{URL: "http://127.0.0.1:9/hooks", Sign: &signature.Config{Scheme: "standard_webhooks", Keys: []string{"{file." + file + "}"}}}
	require.NoError(t, p.Provision())
	assert.Equal(t, []string{whpk}, p.PublicKeys())
	cfg, err := json.Marshal(p)
	require.NoError(t, err)
	assert.NotContains(t, string(cfg), "PRIVATE KEY")

	m := &queue.Message{ID: "msg_1", Body: []byte(`{"id":"evt_1"}`), ReceivedAt: time.Unix(1700000000, 0)}
	req, err := http.NewRequest(http.MethodPost, p.Target("/hooks"), nil)
	require.NoError(t, err)
	at := time.Unix(1700000100, 0)
	require.NoError(t, p.sign(req, m, at))
	assert.True(t, strings.HasPrefix(req.Header.Get("Webhook-Signature"), "v1a,"))
	v, err := signature.Config{Scheme: "standard_webhooks", Keys: []string{whpk}}.NewVerifier(nil, 0)
	require.NoError(t, err)
	assert.NoError(t, v.Verify(req, m.Body, at))
	assert.Nil(t, (&Policy{URL: "http://x"}).PublicKeys())
}
