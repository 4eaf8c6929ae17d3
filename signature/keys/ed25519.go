package keys

import (
	"crypto/ed25519"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Ed25519 keys (Discord, Standard Webhooks v1a) are read in any of these
// forms, told apart by their prefix or length:
//   - whpk_<base64> (public) and whsk_<base64> (private): the Standard
//     Webhooks serialization ("base64 encoded, prefixed with whsk_ for the
//     secret key, and whpk_ for the public key", spec/standard-webhooks.md,
//     "Signature scheme" table). The spec does not say which bytes a whsk_
//     holds; its reference libraries read the 32-byte seed
//     (libraries/go/webhook_asymmetric.go: ed25519.NewKeyFromSeed), and
//     the 64-byte private key is accepted too. The prefix may be left out.
//   - PEM: "PUBLIC KEY" (SubjectPublicKeyInfo) and "PRIVATE KEY" (PKCS #8),
//     as `caddy webhook keygen` and `openssl genpkey -algorithm ed25519`
//     write them.
//   - hex, as Discord shows its application's public key: 64 digits for a
//     public key or a seed, 128 for a private key.
//
// A private key given where a public key is wanted is refused, so that a
// receiver's configuration never holds a sender's private key.

// Prefixes of the Standard Webhooks serialization of Ed25519 keys.
const (
	PublicPrefix  = "whpk_"
	PrivatePrefix = "whsk_"
)

// keyBytes decodes s, a key in one of the forms above with its prefix
// removed: PEM yields its DER and type, hex and base64 their bytes.
func keyBytes(s string) (b []byte, pemType string, ok bool) {
	s = strings.TrimSpace(s)
	if blk, _ := pem.Decode([]byte(s)); blk != nil {
		return blk.Bytes, blk.Type, true
	}
	if n := len(s); n == 2*ed25519.SeedSize || n == 2*ed25519.PrivateKeySize {
		if b, err := hex.DecodeString(s); err == nil {
			return b, "", true
		}
	}
	enc := base64.StdEncoding
	if !strings.HasSuffix(s, "=") {
		enc = base64.RawStdEncoding
	}
	b, err := enc.DecodeString(s)
	return b, "", err == nil
}

var errPublic = errors.New("want an ed25519 public key: whpk_<base64>, pem (PUBLIC KEY) or 64 hex digits")

// ParseEd25519Public reads an Ed25519 public key.
func ParseEd25519Public(s string) (ed25519.PublicKey, error) {
	s = strings.TrimSpace(s)
	if strings.HasPrefix(s, PrivatePrefix) || strings.Contains(s, "PRIVATE KEY-----") {
		return nil, errors.New("this is a private key: give its public key (whpk_…), which `caddy webhook keygen` prints")
	}
	b, typ, ok := keyBytes(strings.TrimPrefix(s, PublicPrefix))
	switch {
	case !ok:
	case typ == "PUBLIC KEY":
		if k, err := x509.ParsePKIXPublicKey(b); err == nil {
			if pub, isEd := k.(ed25519.PublicKey); isEd {
				return pub, nil
			}
		}
	case typ == "" && len(b) == ed25519.PublicKeySize:
		return ed25519.PublicKey(b), nil
	}
	return nil, errPublic
}

// ParseEd25519Private reads an Ed25519 private key.
func ParseEd25519Private(s string) (ed25519.PrivateKey, error) {
	b, typ, ok := keyBytes(strings.TrimPrefix(strings.TrimSpace(s), PrivatePrefix))
	switch {
	case !ok:
	case typ == "PRIVATE KEY":
		if k, err := x509.ParsePKCS8PrivateKey(b); err == nil {
			if priv, isEd := k.(ed25519.PrivateKey); isEd {
				return priv, nil
			}
		}
	case typ != "":
	case len(b) == ed25519.SeedSize:
		return ed25519.NewKeyFromSeed(b), nil
	case len(b) == ed25519.PrivateKeySize:
		// The second half is the public key: check that it matches.
		if priv := ed25519.NewKeyFromSeed(b[:ed25519.SeedSize]); priv.Equal(ed25519.PrivateKey(b)) {
			return priv, nil
		}
	}
	return nil, errors.New("want an ed25519 private key: pem (PKCS #8), whsk_<base64> or hex, of the 32-byte seed or the 64-byte key")
}

// WhpkOf is the Standard Webhooks serialization of pub: whpk_<base64>.
func WhpkOf(pub ed25519.PublicKey) string {
	return PublicPrefix + base64.StdEncoding.EncodeToString(pub)
}

// GenerateEd25519 makes a key pair: the private key as PEM (PKCS #8) and
// the public key as whpk_<base64>.
func GenerateEd25519() (privPEM []byte, whpk string, err error) {
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		return nil, "", err
	}
	der, err := x509.MarshalPKCS8PrivateKey(priv)
	if err != nil {
		return nil, "", err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), WhpkOf(pub), nil
}

type ed25519Keys []ed25519.PublicKey

// Ed25519Public reads Ed25519 public keys.
func Ed25519Public(secrets []string) (Verifier, error) {
	keys := make(ed25519Keys, 0, len(secrets))
	for i, s := range secrets {
		pub, err := ParseEd25519Public(s)
		if err != nil {
			return nil, fmt.Errorf("key #%d: %w", i+1, err)
		}
		keys = append(keys, pub)
	}
	return keys, nil
}

func (ed25519Keys) SigLen() int { return ed25519.SignatureSize }

func (k ed25519Keys) Verify(msg []byte, sigs [][]byte) bool {
	for _, pub := range k {
		for _, s := range sigs {
			if ed25519.Verify(pub, msg, s) {
				return true
			}
		}
	}
	return false
}

type ed25519Signer ed25519.PrivateKey

// Ed25519Private reads an Ed25519 private key.
func Ed25519Private(s string) (Signer, error) {
	priv, err := ParseEd25519Private(s)
	if err != nil {
		return nil, err
	}
	return ed25519Signer(priv), nil
}

func (k ed25519Signer) Sign(msg []byte) ([]byte, error) {
	return ed25519.Sign(ed25519.PrivateKey(k), msg), nil
}
