package oidc

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"math/big"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature/ext"
)

var t0 = time.Unix(1760000000, 0)

func b64(b []byte) string { return base64.RawURLEncoding.EncodeToString(b) }

// signRS256 makes a token the way Google does, with a key generated here.
func signRS256(t *testing.T, key *rsa.PrivateKey, kid string, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "RS256", "kid": kid, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(in))
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, sum[:])
	require.NoError(t, err)
	return in + "." + b64(sig)
}

// googleStub serves a JWKS of key under kid from a loopback server, set
// as Google's certs URL through the test-only overrides.
func googleStub(t *testing.T, key *rsa.PrivateKey, kid string) *atomic.Int32 {
	var n atomic.Int32
	jwks, _ := json.Marshal(map[string]any{"keys": []map[string]string{{"kty": "RSA", "alg": "RS256", "use": "sig", "kid": kid,
		"n": b64(key.N.Bytes()), "e": b64(big.NewInt(int64(key.E)).Bytes())}}})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { n.Add(1); _, _ = w.Write(jwks) }))
	t.Cleanup(srv.Close)
	oldURL, oldClient, oldSrc := googleCerts, httpClient, google
	googleCerts, httpClient, google = srv.URL, srv.Client(), &keySource{ttl: time.Hour}
	t.Cleanup(func() { googleCerts, httpClient, google = oldURL, oldClient, oldSrc })
	return &n
}

func reason(err error) string {
	if e, ok := err.(*ext.Error); ok {
		return e.Reason
	}
	return ""
}

func TestPubSub(t *testing.T) {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	other, _ := rsa.GenerateKey(rand.Reader, 2048)
	fetches := googleStub(t, key, "k1")
	const aud, sa = "https://hooks.example.com/pubsub", "push@proj.iam.gserviceaccount.com"
	claims := func(edit func(map[string]any)) map[string]any {
		c := map[string]any{"iss": "https://accounts.google.com", "aud": aud, "email": sa, "email_verified": true,
			"iat": t0.Unix(), "exp": t0.Add(time.Hour).Unix(), "sub": "1"}
		if edit != nil {
			edit(c)
		}
		return c
	}
	v, err := NewPubSub(aud, sa, time.Hour)
	require.NoError(t, err)
	req := func(auth string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/pubsub", nil)
		if auth != "" {
			r.Header.Set("Authorization", auth)
		}
		return r
	}
	good := "Bearer " + signRS256(t, key, "k1", claims(nil))
	for _, tc := range []struct {
		name, auth string
		now        time.Time
		want       string
	}{
		{"valid", good, t0, ""},
		{"no header", "", t0, ext.Missing},
		{"not bearer", "Basic dXNlcjpwYXNz", t0, ext.Malformed},
		{"not a jwt", "Bearer abc", t0, ext.Malformed},
		{"other key", "Bearer " + signRS256(t, other, "k1", claims(nil)), t0, ext.Mismatch},
		{"unknown kid", "Bearer " + signRS256(t, key, "k2", claims(nil)), t0, ext.Mismatch},
		{"wrong audience", "Bearer " + signRS256(t, key, "k1", claims(func(c map[string]any) { c["aud"] = "https://other" })), t0, ext.Mismatch},
		{"wrong issuer", "Bearer " + signRS256(t, key, "k1", claims(func(c map[string]any) { c["iss"] = "https://evil" })), t0, ext.Mismatch},
		{"wrong service account", "Bearer " + signRS256(t, key, "k1", claims(func(c map[string]any) { c["email"] = "x@y" })), t0, ext.Mismatch},
		{"expired", good, t0.Add(time.Hour + 2*time.Minute), ext.Stale},
		{"issued in the future", good, t0.Add(-5 * time.Minute), ext.Stale},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d, err := v.Verify(req(tc.auth), []byte(`{"message":{"messageId":"1"}}`), tc.now)
			assert.Equal(t, tc.want, reason(err), "%v", err)
			assert.Nil(t, d, "the token covers no content")
		})
	}
	assert.LessOrEqual(t, fetches.Load(), int32(2), "keys are cached; an unknown kid refetches at most once a minute")

	// alg "none" and HS256 are refused whatever the key.
	h, _ := json.Marshal(map[string]string{"alg": "none", "kid": "k1"})
	c, _ := json.Marshal(claims(nil))
	_, err = v.Verify(req("Bearer "+b64(h)+"."+b64(c)+"."), nil, t0)
	assert.Equal(t, ext.Malformed, reason(err))
	_, err = NewPubSub("", "", time.Hour)
	assert.ErrorContains(t, err, "audience is required")
}
