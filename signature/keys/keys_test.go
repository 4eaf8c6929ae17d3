package keys

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestRoundTrip signs with each kind of key and verifies with the matching
// set, where the right key is the second of a rotation.
func TestRoundTrip(t *testing.T) {
	msg := []byte("1700000000.{\"id\":\"evt_1\"}")

	seed := sha256.Sum256([]byte("ed25519"))
	edPub := hex.EncodeToString(ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey))
	otherSeed := sha256.Sum256([]byte("other"))
	otherPub := hex.EncodeToString(ed25519.NewKeyFromSeed(otherSeed[:]).Public().(ed25519.PublicKey))

	ec, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	ecPriv, err := x509.MarshalPKCS8PrivateKey(ec)
	require.NoError(t, err)
	ecPub, err := x509.MarshalPKIXPublicKey(&ec.PublicKey)
	require.NoError(t, err)
	other, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	otherECPub, err := x509.MarshalPKIXPublicKey(&other.PublicKey)
	require.NoError(t, err)

	hk, err := NewHMAC("sha256", Whsec, []string{"whsec_b3RoZXI=", "whsec_c2VjcmV0"})
	require.NoError(t, err)
	edSigner, err := Ed25519Private(hex.EncodeToString(seed[:]))
	require.NoError(t, err)
	edVerifier, err := Ed25519Public([]string{otherPub, edPub})
	require.NoError(t, err)
	ecSigner, err := ECDSAPrivate(base64.StdEncoding.EncodeToString(ecPriv))
	require.NoError(t, err)
	ecVerifier, err := ECDSAPublic([]string{base64.StdEncoding.EncodeToString(otherECPub), base64.StdEncoding.EncodeToString(ecPub)})
	require.NoError(t, err)

	for _, tc := range []struct {
		name   string
		signer Signer
		set    Verifier
	}{
		{"hmac", hk.Signers()[1], hk},
		{"token", Token{[]byte("tok")}, Tokens([]string{"old", "tok"})},
		{"ed25519", edSigner, edVerifier},
		{"ecdsa", ecSigner, ecVerifier},
	} {
		t.Run(tc.name, func(t *testing.T) {
			sig, err := tc.signer.Sign(msg)
			require.NoError(t, err)
			if n := tc.set.SigLen(); n != 0 {
				assert.Len(t, sig, n)
			}
			assert.True(t, tc.set.Verify(msg, [][]byte{[]byte("junk"), sig}))
			assert.False(t, tc.set.Verify(msg, [][]byte{[]byte("junk")}))
		})
	}
}

// TestErrorsHideSecrets: a bad secret is named by its position only.
func TestErrorsHideSecrets(t *testing.T) {
	const secret = "whsec_not*base64*at*all"
	_, err := NewHMAC("sha256", Whsec, []string{secret})
	require.ErrorContains(t, err, "secret #1")
	assert.NotContains(t, err.Error(), secret)
	_, err = NewHMAC("md5", Raw, []string{"s"})
	assert.ErrorContains(t, err, "unknown algorithm")
	assert.True(t, HasAlgorithm("sha512"))
	assert.False(t, HasAlgorithm("SHA256"), "names are lower case")
	_, err = Ed25519Public([]string{"0011"})
	assert.ErrorContains(t, err, "key #1")
	_, err = ECDSAPrivate("c2VjcmV0LXZhbHVl")
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "c2VjcmV0LXZhbHVl")
}
