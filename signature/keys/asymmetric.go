package keys

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"errors"
	"fmt"
	"strings"
)

// Asymmetric schemes verify with public keys and sign with private keys, so
// the "secrets" differ by direction. Ed25519 (Discord, Standard Webhooks
// v1a) is in ed25519.go.
//   - ECDSA P-256 (SendGrid): verify with the public key, base64 DER
//     (SubjectPublicKeyInfo, as SendGrid shows it) or PEM; sign with a
//     private key, base64 DER (PKCS #8 or SEC 1) or PEM.

type ecdsaKeys []*ecdsa.PublicKey

// keyDER reads PEM, or else base64 DER.
func keyDER(s string) ([]byte, bool) {
	s = strings.TrimSpace(s)
	if blk, _ := pem.Decode([]byte(s)); blk != nil {
		return blk.Bytes, true
	}
	b, err := base64.StdEncoding.DecodeString(s)
	return b, err == nil
}

// ECDSAPublic reads ECDSA P-256 public keys.
func ECDSAPublic(secrets []string) (Verifier, error) {
	keys := make(ecdsaKeys, 0, len(secrets))
	for i, s := range secrets {
		der, ok := keyDER(s)
		var pub any
		var err error
		if ok {
			pub, err = x509.ParsePKIXPublicKey(der)
		}
		k, isEC := pub.(*ecdsa.PublicKey)
		if !ok || err != nil || !isEC || k.Curve != elliptic.P256() {
			return nil, fmt.Errorf("key #%d: want an ecdsa p-256 public key, base64 der or pem", i+1)
		}
		keys = append(keys, k)
	}
	return keys, nil
}

func (ecdsaKeys) SigLen() int { return 0 } // ASN.1 DER, variable length

func (k ecdsaKeys) Verify(msg []byte, sigs [][]byte) bool {
	sum := sha256.Sum256(msg)
	for _, pub := range k {
		for _, s := range sigs {
			if ecdsa.VerifyASN1(pub, sum[:], s) {
				return true
			}
		}
	}
	return false
}

type ecdsaSigner struct{ key *ecdsa.PrivateKey }

// ECDSAPrivate reads an ECDSA P-256 private key.
func ECDSAPrivate(s string) (Signer, error) {
	der, ok := keyDER(s)
	if ok {
		if k, err := x509.ParsePKCS8PrivateKey(der); err == nil {
			if ek, isEC := k.(*ecdsa.PrivateKey); isEC && ek.Curve == elliptic.P256() {
				return ecdsaSigner{ek}, nil
			}
		} else if ek, err := x509.ParseECPrivateKey(der); err == nil && ek.Curve == elliptic.P256() {
			return ecdsaSigner{ek}, nil
		}
	}
	return nil, errors.New("want an ecdsa p-256 private key, base64 der (pkcs #8 or sec 1) or pem")
}

func (s ecdsaSigner) Sign(msg []byte) ([]byte, error) {
	sum := sha256.Sum256(msg)
	return ecdsa.SignASN1(rand.Reader, s.key, sum[:])
}
