package keys

import (
	"crypto/ed25519"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestEd25519Forms reads one key pair in every accepted form.
func TestEd25519Forms(t *testing.T) {
	privPEM, whpk, err := GenerateEd25519()
	require.NoError(t, err)
	require.True(t, strings.HasPrefix(whpk, "whpk_"))
	priv, err := ParseEd25519Private(string(privPEM))
	require.NoError(t, err)
	pub := priv.Public().(ed25519.PublicKey)
	assert.Equal(t, whpk, WhpkOf(pub), "the whpk_ printed is the PEM key's")

	spki, err := x509.MarshalPKIXPublicKey(pub)
	require.NoError(t, err)
	b64 := base64.StdEncoding.EncodeToString
	for _, s := range []string{
		whpk, whpk + "\n", strings.TrimPrefix(whpk, "whpk_"), strings.TrimRight(whpk, "="),
		hex.EncodeToString(pub), string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: spki})),
	} {
		got, err := ParseEd25519Public(s)
		require.NoError(t, err, s)
		assert.True(t, pub.Equal(got), s)
	}
	for _, s := range []string{
		string(privPEM), "whsk_" + b64(priv.Seed()), b64(priv.Seed()), "whsk_" + b64(priv),
		hex.EncodeToString(priv.Seed()), hex.EncodeToString(priv),
	} {
		got, err := ParseEd25519Private(s)
		require.NoError(t, err, s)
		assert.True(t, priv.Equal(got), s)
	}

	// A receiver never holds the private key, in any spelling.
	for _, s := range []string{string(privPEM), "whsk_" + b64(priv.Seed())} {
		_, err := ParseEd25519Public(s)
		assert.ErrorContains(t, err, "private key")
		assert.NotContains(t, err.Error(), b64(priv.Seed()))
	}
	// A 64-byte key whose public half is not its seed's is refused.
	bad := append([]byte(nil), priv...)
	bad[40] ^= 1
	_, err = ParseEd25519Private("whsk_" + b64(bad))
	require.Error(t, err)
	for _, s := range []string{"", "whpk_AAAA", "whpk_" + b64(make([]byte, 31)), "zz"} {
		_, err := ParseEd25519Public(s)
		assert.Error(t, err, s)
	}
}
