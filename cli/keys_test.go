package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature/keys"
)

// TestKeygen: the private key file is 0600 PEM, the public key beside it
// and printed is its whpk_; an existing file is kept unless --force.
func TestKeygen(t *testing.T) {
	out := t.TempDir() + "/signing.key"
	cmd := keygenCommand()
	var stdout bytes.Buffer
	cmd.SetOut(&stdout)
	cmd.SetErr(new(bytes.Buffer))
	cmd.SetArgs([]string{"--out", out})
	require.NoError(t, cmd.Execute())
	whpk := strings.TrimSpace(stdout.String())

	st, err := os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	privPEM, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(privPEM), "-----BEGIN PRIVATE KEY-----")
	priv, err := keys.ParseEd25519Private(string(privPEM))
	require.NoError(t, err)
	pubFile, err := os.ReadFile(out + ".pub")
	require.NoError(t, err)
	assert.Equal(t, whpk+"\n", string(pubFile))
	pub, err := keys.ParseEd25519Public(whpk)
	require.NoError(t, err)
	assert.True(t, pub.Equal(priv.Public()))

	_, err = keygen(out, false)
	require.ErrorContains(t, err, "exists")
	again, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Equal(t, privPEM, again, "kept")
	require.NoError(t, os.Chmod(out, 0o644))
	_, err = keygen(out, true)
	require.NoError(t, err)
	st, err = os.Stat(out)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm(), "a replaced key is 0600 again")
}

// TestSignVerifyKeyFile: sign --key-file signs v1a with the private key,
// verify --key-file checks it with the public key file.
func TestSignVerifyKeyFile(t *testing.T) {
	out := t.TempDir() + "/signing.key"
	_, err := keygen(out, false)
	require.NoError(t, err)
	body := `{"id":"evt_1"}`
	sign := signCommand()
	var headers bytes.Buffer
	sign.SetOut(&headers)
	sign.SetIn(strings.NewReader(body))
	sign.SetArgs([]string{"--key-file", out})
	require.NoError(t, sign.Execute())
	assert.Contains(t, headers.String(), "Webhook-Signature: v1a,")

	args := []string{"--key-file", out + ".pub"}
	for _, line := range strings.Split(strings.TrimSpace(headers.String()), "\n") {
		args = append(args, "-H", line)
	}
	verify := verifyCommand()
	var answer bytes.Buffer
	verify.SetOut(&answer)
	verify.SetIn(strings.NewReader(body))
	verify.SetArgs(args)
	require.NoError(t, verify.Execute())
	assert.Equal(t, "verified\n", answer.String())

	verify = verifyCommand()
	verify.SetOut(new(bytes.Buffer))
	verify.SetErr(new(bytes.Buffer))
	verify.SetIn(strings.NewReader(body + " "))
	verify.SetArgs(args)
	assert.ErrorContains(t, verify.Execute(), "mismatch")
}

func TestKeysCommand(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		assert.Equal(t, "/webhooks/keys", r.URL.Path)
		_ = json.NewEncoder(w).Encode(map[string]any{"keys": []map[string]any{
			{"route": "emit", "endpoint": "crm", "queue": "outbound:emit:crm", "public_keys": []string{"whpk_A", "whpk_B"}},
			{"route": "notify", "queue": "hookgate.notify", "public_keys": []string{"whpk_C"}},
		}})
	}))
	defer srv.Close()
	cmd := keysCommand()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetArgs([]string{"--address", strings.TrimPrefix(srv.URL, "http://")})
	require.NoError(t, cmd.Execute())
	lines := strings.Split(strings.TrimSpace(out.String()), "\n")
	require.Len(t, lines, 3)
	assert.Equal(t, []string{"emit", "crm", "whpk_A", "whpk_B"}, strings.Fields(lines[1]))
	assert.Equal(t, []string{"notify", "whpk_C"}, strings.Fields(lines[2]))
}
