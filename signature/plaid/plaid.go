// Package plaid verifies Plaid webhooks: the Plaid-Verification header is an
// ES256 JWT whose request_body_sha256 claim binds the body and whose iat must
// be within five minutes; its key is fetched by key id from Plaid's
// /webhook_verification_key/get (authenticated with the client id and
// secret) and cached until Plaid marks it expired.
//
// https://plaid.com/docs/api/webhooks/webhook-verification/
package plaid

import (
	"bytes"
	"crypto"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hookgate/hookgate/signature/ext"
	"github.com/hookgate/hookgate/signature/oidc"
)

// Overrides set only by tests (from this package's _test files).
var (
	apiBase    = func(env string) string { return "https://" + env + ".plaid.com" }
	httpClient = ext.Client()
)

// MaxAge is Plaid's limit on a token's age.
const MaxAge = 5 * time.Minute

// Verifier verifies Plaid webhooks.
type Verifier struct {
	clientID, secret, env string
	maxAge                time.Duration
	keys                  *ext.Cache

	mu        sync.Mutex
	lastFetch time.Time // unknown key ids are fetched at most once a second
}

// New reads the secret ("<client_id>:<secret>") and the environment
// (production, the default, or sandbox).
func New(secret, env string, maxAge time.Duration) (*Verifier, error) {
	id, sec, ok := strings.Cut(secret, ":")
	if !ok || id == "" || sec == "" {
		return nil, errors.New("secret must be <client_id>:<secret> (Plaid API keys, used to fetch the verification key)")
	}
	switch env {
	case "":
		env = "production"
	case "production", "sandbox":
	default:
		return nil, errors.New("environment must be production or sandbox")
	}
	return &Verifier{clientID: id, secret: sec, env: env, maxAge: maxAge, keys: &ext.Cache{TTL: 24 * time.Hour, Max: 64}}, nil
}

// Verify checks the token and the body's hash; the digest is the body's
// SHA-256, which the token signs.
func (v *Verifier) Verify(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	raw := r.Header.Get("Plaid-Verification")
	if raw == "" {
		return nil, ext.Fail(ext.Missing, "no Plaid-Verification header")
	}
	t, err := oidc.Parse(raw)
	if err != nil {
		return nil, err
	}
	if t.Header.Alg != "ES256" || t.Header.Kid == "" || len(t.Header.Kid) > 128 {
		return nil, ext.Fail(ext.Malformed, "token is not ES256 with a key id")
	}
	key, err := v.key(r, t.Header.Kid, now)
	if err != nil {
		return nil, err
	}
	if err := t.Verify(key, "ES256"); err != nil {
		return nil, err
	}
	var c struct {
		Iat  int64  `json:"iat"`
		Hash string `json:"request_body_sha256"`
	}
	if json.Unmarshal(t.Claims, &c) != nil {
		return nil, ext.Fail(ext.Malformed, "token claims cannot be decoded")
	}
	sum := sha256.Sum256(body)
	if subtle.ConstantTimeCompare([]byte(hex.EncodeToString(sum[:])), []byte(strings.ToLower(c.Hash))) != 1 {
		return nil, ext.Fail(ext.Mismatch, "body does not match request_body_sha256")
	}
	if err := oidc.CheckTimes(now, c.Iat, 0, v.maxAge); err != nil {
		return nil, err
	}
	return sum[:], nil
}

// key returns the verification key kid, cached; an expired key is refused.
func (v *Verifier) key(r *http.Request, kid string, now time.Time) (crypto.PublicKey, error) {
	val, err := v.keys.Get(kid, now, func() (any, error) {
		v.mu.Lock()
		recent := now.Sub(v.lastFetch) < time.Second
		if !recent {
			v.lastFetch = now
		}
		v.mu.Unlock()
		if recent {
			return nil, errors.New("unknown key id, and a key was fetched less than a second ago")
		}
		body, _ := json.Marshal(map[string]string{"client_id": v.clientID, "secret": v.secret, "key_id": kid})
		req, err := http.NewRequest(http.MethodPost, apiBase(v.env)+"/webhook_verification_key/get", bytes.NewReader(body))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/json")
		doc, err := ext.Fetch(r.Context(), httpClient, req)
		if err != nil {
			return nil, err
		}
		var resp struct{ Key oidc.JWK }
		if json.Unmarshal(doc, &resp) != nil {
			return nil, errors.New("verification key answer is not json")
		}
		if resp.Key.ExpiredAt != nil {
			return nil, errors.New("verification key is expired")
		}
		return resp.Key.PublicKey()
	})
	if err != nil {
		return nil, ext.Fail(ext.Mismatch, "verification key: %v", err)
	}
	return val.(crypto.PublicKey), nil
}
