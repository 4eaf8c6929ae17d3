package signature_test

import (
	"crypto/ed25519"
	"encoding/base64"
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// specVerifyV1a is an independent v1a verifier, written from the text of
// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
// with crypto/ed25519 only: "The content to be signed is therefore:
// {msg_id}.{timestamp}.{payload}"; the asymmetric scheme is ed25519, its
// public key "base64 encoded, prefixed with whpk_"; webhook-signature is "a
// space delimited list of signatures", each the version identifier ("v1a"),
// a comma and the base64 signature; "verify the webhook-timestamp header
// has a timestamp that is within some allowable tolerance".
func specVerifyV1a(h http.Header, body []byte, whpk string, now time.Time) bool {
	raw, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(whpk, "whpk_"))
	if err != nil || len(raw) != ed25519.PublicKeySize {
		return false
	}
	ts, err := strconv.ParseInt(h.Get("webhook-timestamp"), 10, 64)
	if err != nil || now.Sub(time.Unix(ts, 0)).Abs() > 5*time.Minute {
		return false
	}
	msg := []byte(h.Get("webhook-id") + "." + h.Get("webhook-timestamp") + ".")
	msg = append(msg, body...)
	for _, item := range strings.Split(h.Get("webhook-signature"), " ") {
		ver, b64, _ := strings.Cut(item, ",")
		sig, err := base64.StdEncoding.DecodeString(b64)
		if ver == "v1a" && err == nil && ed25519.Verify(ed25519.PublicKey(raw), msg, sig) {
			return true
		}
	}
	return false
}

// The only published v1a vector: the Standard Webhooks reference Go
// library's TestAsymmetricWebhookSign
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/libraries/go/webhook_asymmetric_test.go),
// a whsk_ key given without its prefix. The spec's own example header
// ("Webhook headers": "v1,K5oZ… v1a,hnO3…") publishes no key, so it can
// only be parsed, not verified. The v1 signature is the same library's
// TestWebhookSign over the same message (see vectors_test.go).
const (
	libKey   = "VEVTVFNJR05JTkdLRVlET05PVFVTRVRISVNGT1JBTlk="
	libID    = "msg_p5jXN8AQM9LWM0D4loKWxJek"
	libTS    = 1614265330
	libBody  = `{"test": 2432232314}`
	libV1a   = "v1a,tQ9V2XOqn7jL/DQenEFpqIugdBVtiMmER5mhSkXBNwM0mkATuDe6KYYUuxqtaiHeYGb7KaaBRdM5WqyeFiL8Ag=="
	libV1    = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
	libWhsec = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
)

func libPublic(t *testing.T) string {
	seed, err := base64.StdEncoding.DecodeString(libKey)
	require.NoError(t, err)
	pub := ed25519.NewKeyFromSeed(seed).Public().(ed25519.PublicKey)
	return "whpk_" + base64.StdEncoding.EncodeToString(pub)
}

func libHeader(sig string) http.Header {
	return http.Header{"Webhook-Id": {libID}, "Webhook-Timestamp": {strconv.Itoa(libTS)}, "Webhook-Signature": {sig}}
}

func TestV1aPublishedVector(t *testing.T) {
	now := time.Unix(libTS, 0)
	for _, key := range []string{libKey, "whsk_" + libKey} {
		s, err := Config{Scheme: "standard_webhooks", Keys: []string{key}}.NewSigner(nil)
		require.NoError(t, err)
		h := http.Header{}
		require.NoError(t, s.Sign(h, nil, libID, []byte(libBody), now))
		assert.Equal(t, libV1a, h.Get("Webhook-Signature"), "signs as the reference library")
		assert.Equal(t, strconv.Itoa(libTS), h.Get("Webhook-Timestamp"))
		assert.Equal(t, libID, h.Get("Webhook-Id"))
	}
	pub := libPublic(t)
	require.True(t, specVerifyV1a(libHeader(libV1a), []byte(libBody), pub, now), "the independent verifier agrees")

	for _, tc := range []struct {
		name    string
		cfg     Config
		secrets []string
		sig     string
		want    Reason
	}{
		{"v1a with the public key", Config{Keys: []string{pub}}, nil, libV1a, ""},
		{"v1 and v1a, key only", Config{Keys: []string{pub}}, nil, libV1 + " " + libV1a, ""},
		{"v1 and v1a, secret only", Config{}, []string{libWhsec}, libV1 + " " + libV1a, ""},
		{"v1 and v1a, both", Config{Keys: []string{pub}}, []string{libWhsec}, libV1a + " " + libV1, ""},
		{"v1 only, both configured", Config{Keys: []string{pub}}, []string{libWhsec}, libV1, ""},
		{"v1a only, both configured", Config{Keys: []string{pub}}, []string{libWhsec}, libV1a, ""},
		{"v1a only, secret only", Config{}, []string{libWhsec}, libV1a, ReasonMalformed},
		{"v1 only, key only", Config{Keys: []string{pub}}, nil, libV1, ReasonMalformed},
		{"v1a under v1", Config{Keys: []string{pub}}, nil, "v1" + strings.TrimPrefix(libV1a, "v1a"), ReasonMalformed},
		{"rotation: second key", Config{Keys: []string{otherWhpk(t), pub}}, nil, libV1a, ""},
		{"wrong key, wrong secret", Config{Keys: []string{otherWhpk(t)}}, []string{"whsec_b3RoZXI="}, libV1 + " " + libV1a, ReasonMismatch},
		// The spec's example header: well-formed, signed by a key it does not publish.
		{"spec example", Config{Keys: []string{pub}}, nil, "v1,K5oZfzN95Z9UVu1EsfQmfVNQhnkZ2pj9o9NDN/H/pI4= " +
			"v1a,hnO3f9T8Ytu9HwrXslvumlUpqtNVqkhqw/enGzPCXe5BdqzCInXqYXFymVJaA7AZdpXwVLPo3mNl8EM+m7TBAg==", ReasonMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.cfg.Scheme = "standard_webhooks"
			r := request(testTarget, libHeader(tc.sig), libBody)
			requireReason(t, tc.want, verify(t, tc.cfg, tc.secrets, r, libBody, now))
		})
	}
	// The timestamp is checked once a v1a signature matched.
	r := request(testTarget, libHeader(libV1a), libBody)
	requireReason(t, ReasonStale, verify(t, Config{Scheme: "standard_webhooks", Keys: []string{pub}}, nil, r, libBody, now.Add(time.Hour)))
	// A stale v1 match is reported over a v1a mismatch.
	cfg := Config{Scheme: "standard_webhooks", Keys: []string{otherWhpk(t)}}
	r = request(testTarget, libHeader(libV1+" "+libV1a), libBody)
	requireReason(t, ReasonStale, verify(t, cfg, []string{libWhsec}, r, libBody, now.Add(time.Hour)))
}

func otherWhpk(t *testing.T) string {
	pub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	return "whpk_" + base64.StdEncoding.EncodeToString(pub)
}

// TestV1aSignedHeadersVerifyIndependently: what Hookgate signs with a key
// (and a secret, and a rotated key) the spec's verifier accepts with the
// public key, the secret's v1 verifier with the secret.
func TestV1aSignedHeadersVerifyIndependently(t *testing.T) {
	_, oldPriv, _ := ed25519.GenerateKey(nil)
	newPub, newPriv, _ := ed25519.GenerateKey(nil)
	b64 := base64.StdEncoding.EncodeToString
	cfg := Config{Scheme: "standard_webhooks", Keys: []string{"whsk_" + b64(newPriv.Seed()), "whsk_" + b64(oldPriv.Seed())}}
	require.NoError(t, cfg.Validate())
	body := `{"type":"invoice.paid","data":{"id":"in_1"}}`
	r := signed(t, cfg, []string{libWhsec}, body, nil)

	sigs := strings.Split(r.Header.Get("Webhook-Signature"), " ")
	require.Len(t, sigs, 3, "v1 with the secret, v1a with each key: %v", sigs)
	assert.True(t, strings.HasPrefix(sigs[0], "v1,"))
	assert.True(t, strings.HasPrefix(sigs[1], "v1a,") && strings.HasPrefix(sigs[2], "v1a,"))
	assert.True(t, specVerifyV1a(r.Header, []byte(body), "whpk_"+b64(newPub), t0))
	assert.True(t, specVerifyV1a(r.Header, []byte(body), "whpk_"+b64(oldPriv.Public().(ed25519.PublicKey)), t0))
	assert.False(t, specVerifyV1a(r.Header, []byte(body+" "), "whpk_"+b64(newPub), t0))
	requireReason(t, "", verify(t, Config{Scheme: "standard_webhooks"}, []string{libWhsec}, r, body, t0))

	got, err := cfg.PublicKeys()
	require.NoError(t, err)
	assert.Equal(t, []string{"whpk_" + b64(newPub), "whpk_" + b64(oldPriv.Public().(ed25519.PublicKey))}, got)

	// Keys alone sign v1a alone.
	r = signed(t, cfg, nil, body, nil)
	assert.Len(t, strings.Split(r.Header.Get("Webhook-Signature"), " "), 2)
	assert.NotContains(t, r.Header.Get("Webhook-Signature"), "v1,")
}

func TestKeysConfig(t *testing.T) {
	_, priv, _ := ed25519.GenerateKey(nil)
	whsk := "whsk_" + base64.StdEncoding.EncodeToString(priv.Seed())
	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Scheme: "standard_webhooks", Keys: []string{"{file./k}"}}, ""},
		{Config{Scheme: "github", Keys: []string{"k"}, Secrets: []string{"s"}}, "keys apply to standard_webhooks only"},
		{Config{Scheme: "svix", Keys: []string{"k"}}, "keys apply to standard_webhooks only"},
		{Config{Scheme: "none", Keys: []string{"k"}}, "keys apply to standard_webhooks only"},
		{Config{Scheme: "standard_webhooks"}, "at least one secret"},
	} {
		err := tc.cfg.Validate()
		if tc.want == "" {
			assert.NoError(t, err)
		} else {
			assert.ErrorContains(t, err, tc.want)
		}
	}
	// A verifier refuses a private key; errors never hold a key.
	_, err := Config{Scheme: "standard_webhooks", Keys: []string{whsk}}.NewVerifier(nil, 0)
	require.ErrorContains(t, err, "private key")
	assert.NotContains(t, err.Error(), whsk[5:])
	_, err = Config{Scheme: "standard_webhooks", Keys: []string{"whpk_" + base64.StdEncoding.EncodeToString(priv.Public().(ed25519.PublicKey))}}.NewSigner(nil)
	require.ErrorContains(t, err, "key #1")
	_, err = Config{Scheme: "standard_webhooks", Keys: []string{"not-a-key"}}.PublicKeys()
	require.ErrorContains(t, err, "key #1")
	assert.NotContains(t, err.Error(), "not-a-key")
	// Empty rotation slots (an unset {env.X}) are skipped.
	_, err = Config{Scheme: "standard_webhooks", Keys: []string{"", whsk}}.NewSigner(nil)
	require.NoError(t, err)
	_, err = Config{Scheme: "standard_webhooks", Keys: []string{""}}.NewSigner(nil)
	require.ErrorContains(t, err, "no secret")
}

// TestResolvedKeys: keys are resolved like secrets, from the environment or
// a file ({file.…} of a PEM key keeps its line breaks).
func TestResolvedKeys(t *testing.T) {
	t.Setenv("HOOKGATE_TEST_KEY", "whpk_x")
	c := Config{Scheme: "standard_webhooks", Keys: []string{"{env.HOOKGATE_TEST_KEY}", "{env.HOOKGATE_TEST_UNSET}"}}
	got := c.Resolved()
	assert.Equal(t, []string{"whpk_x", ""}, got.Keys)
	assert.Equal(t, "{env.HOOKGATE_TEST_KEY}", c.Keys[0], "c itself is unchanged")
}
