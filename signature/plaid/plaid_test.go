package plaid

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
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

func signES256(t *testing.T, key *ecdsa.PrivateKey, kid string, claims map[string]any) string {
	h, _ := json.Marshal(map[string]string{"alg": "ES256", "kid": kid, "typ": "JWT"})
	c, _ := json.Marshal(claims)
	in := b64(h) + "." + b64(c)
	sum := sha256.Sum256([]byte(in))
	r, s, err := ecdsa.Sign(rand.Reader, key, sum[:])
	require.NoError(t, err)
	sig := make([]byte, 64)
	r.FillBytes(sig[:32])
	s.FillBytes(sig[32:])
	return in + "." + b64(sig)
}

// plaidStub answers /webhook_verification_key/get for kid with key's JWK,
// from a loopback server set as Plaid's API through the test-only overrides.
func plaidStub(t *testing.T, key *ecdsa.PrivateKey, kid string, expired bool) *atomic.Int32 {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		var in map[string]string
		_ = json.NewDecoder(r.Body).Decode(&in)
		if r.URL.Path != "/webhook_verification_key/get" || in["client_id"] != "cid" || in["secret"] != "sec" || in["key_id"] != kid {
			http.Error(w, `{"error_code":"INVALID_INPUT"}`, http.StatusBadRequest)
			return
		}
		jwk := map[string]any{"alg": "ES256", "crv": "P-256", "kid": kid, "kty": "EC", "use": "sig",
			"x": b64(key.X.FillBytes(make([]byte, 32))), "y": b64(key.Y.FillBytes(make([]byte, 32))), "created_at": 1560466150, "expired_at": nil}
		if expired {
			jwk["expired_at"] = 1560466200
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"key": jwk, "request_id": "r"})
	}))
	t.Cleanup(srv.Close)
	oldBase, oldClient := apiBase, httpClient
	apiBase, httpClient = func(string) string { return srv.URL }, srv.Client()
	t.Cleanup(func() { apiBase, httpClient = oldBase, oldClient })
	return &n
}

func reason(err error) string {
	if e, ok := err.(*ext.Error); ok {
		return e.Reason
	}
	return ""
}

func TestPlaid(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	other, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	fetches := plaidStub(t, key, "6c5516e1-92dc-479e-a8ff-5a51992e0001", false)
	const kid = "6c5516e1-92dc-479e-a8ff-5a51992e0001"
	body := []byte(`{"webhook_type":"TRANSACTIONS","webhook_code":"SYNC_UPDATES_AVAILABLE","item_id":"wz666MBjYWTp2PDzzggYhM6oWWmBb"}`)
	sum := sha256.Sum256(body)
	claims := func(iat time.Time, hash string) map[string]any {
		return map[string]any{"iat": iat.Unix(), "request_body_sha256": hash}
	}
	v, err := New("cid:sec", "", MaxAge)
	require.NoError(t, err)
	good := signES256(t, key, kid, claims(t0, hex.EncodeToString(sum[:])))
	for _, tc := range []struct {
		name, token string
		body        []byte
		now         time.Time
		want        string
	}{
		{"valid", good, body, t0, ""},
		{"tampered body", good, append([]byte(nil), append(body[:len(body)-1], ' ', '}')...), t0, ext.Mismatch},
		{"other key", signES256(t, other, kid, claims(t0, hex.EncodeToString(sum[:]))), body, t0, ext.Mismatch},
		{"stale iat", good, body, t0.Add(MaxAge + time.Second), ext.Stale},
		{"within five minutes", good, body, t0.Add(MaxAge), ""},
		{"no header", "", body, t0, ext.Missing},
		{"malformed", "a.b", body, t0, ext.Malformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/plaid", nil)
			if tc.token != "" {
				r.Header.Set("Plaid-Verification", tc.token)
			}
			d, err := v.Verify(r, tc.body, tc.now)
			assert.Equal(t, tc.want, reason(err), "%v", err)
			if tc.want == "" {
				assert.Equal(t, sum[:], d, "the digest is the body's, which the token signs")
			}
		})
	}
	assert.Equal(t, int32(1), fetches.Load(), "the key is fetched once, then cached")
	for _, bad := range []string{"", "cid", ":sec", "cid:"} {
		_, err := New(bad, "", MaxAge)
		assert.ErrorContains(t, err, "<client_id>:<secret>")
	}
	_, err = New("cid:sec", "development", MaxAge)
	assert.ErrorContains(t, err, "production or sandbox")
}

func TestPlaidExpiredKey(t *testing.T) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	plaidStub(t, key, "k", true)
	v, _ := New("cid:sec", "sandbox", MaxAge)
	body := []byte(`{}`)
	sum := sha256.Sum256(body)
	r := httptest.NewRequest(http.MethodPost, "/plaid", nil)
	r.Header.Set("Plaid-Verification", signES256(t, key, "k", map[string]any{"iat": t0.Unix(), "request_body_sha256": hex.EncodeToString(sum[:])}))
	_, err := v.Verify(r, body, t0)
	assert.Equal(t, ext.Mismatch, reason(err))
	assert.Contains(t, err.Error(), "expired")
}
