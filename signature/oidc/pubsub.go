package oidc

import (
	"context"
	"crypto"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/hookgate/hookgate/signature/ext"
)

// GoogleCertsURL is where Google publishes the keys of its OIDC tokens.
const GoogleCertsURL = "https://www.googleapis.com/oauth2/v3/certs"

// Fetch overrides, set only by tests (from this package's _test files):
// every fetch goes to googleCerts with httpClient.
var (
	googleCerts = GoogleCertsURL
	httpClient  = ext.Client()
)

// googleIssuers are the iss values of Google-signed ID tokens.
var googleIssuers = []string{"https://accounts.google.com", "accounts.google.com"}

// keySource fetches and caches one JWKS. An unknown key id refetches the
// set, at most once a minute, so Google's key rotation is picked up while a
// stream of forged kids cannot make us fetch more.
type keySource struct {
	url string
	ttl time.Duration

	mu      sync.Mutex
	keys    KeySet
	fetched time.Time
}

var google = &keySource{url: "", ttl: time.Hour}

func (s *keySource) key(ctx context.Context, kid string, now time.Time) (crypto.PublicKey, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k, ok := s.keys[kid]
	stale := now.Sub(s.fetched) > s.ttl
	if ok && !stale {
		return k, nil
	}
	if !stale && now.Sub(s.fetched) < time.Minute {
		return nil, ext.Fail(ext.Mismatch, "token key id is not among the sender's keys")
	}
	url := s.url
	if url == "" {
		url = googleCerts
	}
	req, err := http.NewRequest(http.MethodGet, url, nil)
	if err != nil {
		return nil, err
	}
	doc, err := ext.Fetch(ctx, httpClient, req)
	s.fetched = now
	if err != nil {
		return nil, ext.Fail(ext.Mismatch, "cannot fetch the sender's keys: %v", err)
	}
	ks, err := ParseKeySet(doc)
	if err != nil {
		return nil, ext.Fail(ext.Mismatch, "sender's keys: %v", err)
	}
	s.keys = ks
	if k, ok = ks[kid]; !ok {
		return nil, ext.Fail(ext.Mismatch, "token key id is not among the sender's keys")
	}
	return k, nil
}

// PubSub verifies Google Cloud Pub/Sub push requests. The token signs its
// claims only (issuer, audience, service account, times), not the body: it
// proves that Google sent a request to this audience within the token's
// life, and nothing about the message it carries.
type PubSub struct {
	Audience string        // required: the push subscription's audience
	Email    string        // optional: the service account the token must name
	MaxAge   time.Duration // how old (from iat) a token may be
}

// NewPubSub checks the configuration.
func NewPubSub(audience, email string, maxAge time.Duration) (*PubSub, error) {
	if audience == "" {
		return nil, errors.New("audience is required: the push subscription's audience (by default its endpoint URL)")
	}
	return &PubSub{Audience: audience, Email: email, MaxAge: maxAge}, nil
}

// Verify checks the bearer token; it returns no digest, the token covering
// no content.
func (v *PubSub) Verify(r *http.Request, _ []byte, now time.Time) ([]byte, error) {
	auth := r.Header.Get("Authorization")
	if auth == "" {
		return nil, ext.Fail(ext.Missing, "no Authorization header")
	}
	raw, ok := strings.CutPrefix(auth, "Bearer ")
	if !ok {
		return nil, ext.Fail(ext.Malformed, "Authorization is not a bearer token")
	}
	t, err := Parse(raw)
	if err != nil {
		return nil, err
	}
	if t.Header.Alg != "RS256" {
		return nil, ext.Fail(ext.Malformed, "token algorithm %q is not accepted", t.Header.Alg)
	}
	key, err := google.key(r.Context(), t.Header.Kid, now)
	if err != nil {
		return nil, err
	}
	if err := t.Verify(key, "RS256"); err != nil {
		return nil, err
	}
	var c struct {
		Iss, Email    string
		Aud           any
		Exp, Iat      int64
		EmailVerified bool `json:"email_verified"`
	}
	if json.Unmarshal(t.Claims, &c) != nil {
		return nil, ext.Fail(ext.Malformed, "token claims cannot be decoded")
	}
	if !oneOf(c.Iss, googleIssuers) {
		return nil, ext.Fail(ext.Mismatch, "token issuer is not Google")
	}
	if aud, _ := c.Aud.(string); aud != v.Audience {
		return nil, ext.Fail(ext.Mismatch, "token audience is not the configured one")
	}
	if v.Email != "" && (c.Email != v.Email || !c.EmailVerified) {
		return nil, ext.Fail(ext.Mismatch, "token service account is not the configured one")
	}
	if err := CheckTimes(now, c.Iat, c.Exp, v.MaxAge); err != nil {
		return nil, err
	}
	return nil, nil
}

// CheckTimes fails with Stale when the token expired, was issued in the
// future (beyond a minute of skew) or longer than maxAge ago (maxAge < 0: no
// age check).
func CheckTimes(now time.Time, iat, exp int64, maxAge time.Duration) error {
	const skew = time.Minute
	issued := time.Unix(iat, 0)
	switch {
	case iat == 0:
		return ext.Fail(ext.Malformed, "token has no iat")
	case exp != 0 && now.After(time.Unix(exp, 0).Add(skew)):
		return ext.Fail(ext.Stale, "token expired")
	case issued.After(now.Add(skew)):
		return ext.Fail(ext.Stale, "token issued in the future")
	case maxAge >= 0 && now.Sub(issued) > maxAge:
		return ext.Fail(ext.Stale, "token issued %s ago, beyond %s", now.Sub(issued).Round(time.Second), maxAge)
	}
	return nil
}

func oneOf(s string, list []string) bool {
	for _, v := range list {
		if s == v {
			return true
		}
	}
	return false
}
