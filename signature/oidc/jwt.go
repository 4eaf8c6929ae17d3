// Package oidc verifies JSON Web Tokens signed with published keys (RS256,
// ES256) and, on top of them, Google Cloud Pub/Sub push requests: an OIDC
// token in Authorization, its audience and service-account email checked,
// Google's keys fetched from their JWKS and cached.
package oidc

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"math/big"
	"strings"

	"github.com/hookgate/hookgate/signature/ext"
)

// MaxTokenLen bounds the token examined.
const MaxTokenLen = 8 << 10

// Token is a parsed, not yet verified, compact JWS.
type Token struct {
	Header struct {
		Alg string `json:"alg"`
		Kid string `json:"kid"`
	}
	Claims       json.RawMessage
	signingInput string
	sig          []byte
}

// Parse splits and decodes a compact JWS; any failure is Malformed.
func Parse(s string) (*Token, error) {
	if len(s) > MaxTokenLen {
		return nil, ext.Fail(ext.Malformed, "token longer than %d bytes", MaxTokenLen)
	}
	parts := strings.Split(s, ".")
	if len(parts) != 3 {
		return nil, ext.Fail(ext.Malformed, "token is not a compact JWS")
	}
	t := &Token{signingInput: parts[0] + "." + parts[1]}
	h, err1 := base64.RawURLEncoding.DecodeString(parts[0])
	c, err2 := base64.RawURLEncoding.DecodeString(parts[1])
	sig, err3 := base64.RawURLEncoding.DecodeString(parts[2])
	if err1 != nil || err2 != nil || err3 != nil || json.Unmarshal(h, &t.Header) != nil || !json.Valid(c) {
		return nil, ext.Fail(ext.Malformed, "token cannot be decoded")
	}
	t.Claims, t.sig = c, sig
	return t, nil
}

// SigningInput is what the signature covers: header and claims, encoded.
func (t *Token) SigningInput() string { return t.signingInput }

// Verify checks the signature with key, for the algorithm the header names,
// which must be one of allowed (never "none", never an HMAC).
func (t *Token) Verify(key crypto.PublicKey, allowed ...string) error {
	ok := false
	for _, a := range allowed {
		ok = ok || a == t.Header.Alg
	}
	if !ok {
		return ext.Fail(ext.Malformed, "token algorithm %q is not accepted", t.Header.Alg)
	}
	sum := sha256.Sum256([]byte(t.signingInput))
	switch k := key.(type) {
	case *rsa.PublicKey:
		if t.Header.Alg == "RS256" && rsa.VerifyPKCS1v15(k, crypto.SHA256, sum[:], t.sig) == nil {
			return nil
		}
	case *ecdsa.PublicKey:
		if t.Header.Alg == "ES256" && len(t.sig) == 64 && k.Curve == elliptic.P256() {
			r, s := new(big.Int).SetBytes(t.sig[:32]), new(big.Int).SetBytes(t.sig[32:])
			if ecdsa.Verify(k, sum[:], r, s) {
				return nil
			}
		}
	}
	return ext.Fail(ext.Mismatch, "token signature does not verify")
}

// JWK is one JSON Web Key (RSA or EC P-256 public key).
type JWK struct {
	Kty string `json:"kty"`
	Kid string `json:"kid"`
	Alg string `json:"alg"`
	Use string `json:"use"`
	N   string `json:"n"`
	E   string `json:"e"`
	Crv string `json:"crv"`
	X   string `json:"x"`
	Y   string `json:"y"`
	// ExpiredAt is Plaid's: set once the key is retired (unix seconds).
	ExpiredAt *int64 `json:"expired_at,omitempty"`
}

// PublicKey returns the key a JWK describes.
func (j *JWK) PublicKey() (crypto.PublicKey, error) {
	b := func(s string) []byte { v, _ := base64.RawURLEncoding.DecodeString(s); return v }
	switch j.Kty {
	case "RSA":
		n, e := b(j.N), b(j.E)
		if len(n) < 256 || len(e) == 0 || len(e) > 4 {
			return nil, errors.New("rsa key too short or malformed")
		}
		return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: int(new(big.Int).SetBytes(e).Int64())}, nil
	case "EC":
		x, y := b(j.X), b(j.Y)
		if j.Crv != "P-256" || len(x) != 32 || len(y) != 32 {
			return nil, errors.New("ec key is not p-256")
		}
		pub, err := ecdsa.ParseUncompressedPublicKey(elliptic.P256(), append(append([]byte{4}, x...), y...))
		if err != nil {
			return nil, errors.New("ec key is not on the curve")
		}
		return pub, nil
	}
	return nil, errors.New("unsupported key type")
}

// KeySet is a parsed JWKS: key id → key.
type KeySet map[string]crypto.PublicKey

// ParseKeySet reads a JWKS document, skipping keys it cannot use.
func ParseKeySet(doc []byte) (KeySet, error) {
	var set struct{ Keys []JWK }
	if err := json.Unmarshal(doc, &set); err != nil {
		return nil, errors.New("jwks is not json")
	}
	ks := KeySet{}
	for i := range set.Keys {
		if k, err := set.Keys[i].PublicKey(); err == nil && set.Keys[i].Kid != "" {
			ks[set.Keys[i].Kid] = k
		}
	}
	if len(ks) == 0 {
		return nil, errors.New("jwks holds no usable key")
	}
	return ks, nil
}
