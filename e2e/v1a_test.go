package e2e

import (
	"crypto/ed25519"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// verifyV1a checks a delivery's Standard Webhooks v1a signature with the
// spec's recipe written out here (Ed25519 over "id.timestamp.body", the
// whpk_ public key and the signature base64, "v1a," prefix), not with
// Hookgate's signature package.
func verifyV1a(d delivery, whpk string) error {
	pub, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(whpk, "whpk_"))
	if err != nil || len(pub) != ed25519.PublicKeySize {
		return fmt.Errorf("bad public key %q", whpk)
	}
	id, ts := d.Header.Get("Webhook-Id"), d.Header.Get("Webhook-Timestamp")
	sec, err := strconv.ParseInt(ts, 10, 64)
	if id == "" || err != nil {
		return errors.New("webhook-id or webhook-timestamp missing")
	}
	if skew := d.At.Sub(time.Unix(sec, 0)).Abs(); skew > 5*time.Minute {
		return fmt.Errorf("webhook-timestamp %s off", skew)
	}
	for _, sig := range strings.Fields(d.Header.Get("Webhook-Signature")) {
		version, b64, _ := strings.Cut(sig, ",")
		raw, err := base64.StdEncoding.DecodeString(b64)
		if version == "v1a" && err == nil && ed25519.Verify(pub, []byte(id+"."+ts+"."+d.Body), raw) {
			return nil
		}
	}
	return errors.New("no v1a signature verifies")
}

const v1aRoutes = `
	route /emit {
		webhook_outbound {{.To}} {
			name emit
			sign standard_webhooks {
				key ed25519 {file.{{.Key}}}
			}
			retry 1100ms
			allow_http
			allow_private 127.0.0.0/8
		}
	}
	route /loop {
		webhook_outbound http://{{.HTTP}}/in {
			name loop
			sign standard_webhooks {
				key ed25519 {file.{{.Key}}}
				secret ` + outSecret + `
			}
			retry 1100ms
			allow_http
			allow_private 127.0.0.0/8
		}
	}
	route /in {
		webhook_inbound {
			name partner
			verify standard_webhooks {
				key ed25519 {{.OldPublic}}
				key ed25519 {{.Public}}
			}
			upstream {{.Verified}}
		}
	}
`

// TestV1aSigning: a key pair from `caddy webhook keygen` signs an outbound
// route's deliveries as Standard Webhooks v1a; the receiver verifies them
// with the public key keygen printed (the spec's recipe, and `caddy webhook
// verify --key-file`); GET /webhooks/keys and `caddy webhook keys` show
// that key for the route and never the private one; an inbound route pins
// it (beside an older key) and refuses what it did not sign.
func TestV1aSigning(t *testing.T) {
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "signing.key")
	out, err := webhookCLI(t, "", "keygen", "--out", keyFile)
	require.NoError(t, err, out)
	whpk := out[strings.LastIndex(strings.TrimSpace(out), "\n")+1:]
	whpk = strings.TrimSpace(whpk)
	require.True(t, strings.HasPrefix(whpk, "whpk_"), out)
	st, err := os.Stat(keyFile)
	require.NoError(t, err)
	assert.Equal(t, os.FileMode(0o600), st.Mode().Perm())
	privPEM, err := os.ReadFile(keyFile)
	require.NoError(t, err)
	oldPub, _, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)

	rc, verified := newReceiver(t), newReceiver(t)
	c := startOutbound(t, v1aRoutes, map[string]any{"To": rc.URL + "/hooks", "Key": keyFile, "Public": whpk,
		"OldPublic": "whpk_" + base64.StdEncoding.EncodeToString(oldPub), "Verified": verified.URL})
	t.Cleanup(func() {
		assert.NotContains(t, c.logs(), "PRIVATE KEY", "a private key reached Caddy's log")
	})

	body := `{"type":"invoice.paid","data":{"id":"in_1"}}`
	code, ans := emit(t, c, "/emit", body, nil)
	require.Equal(t, http.StatusAccepted, code, ans)
	waitFor(t, 10*time.Second, "the delivery", func() bool { return len(rc.deliveries()) == 1 })
	d := rc.deliveries()[0]
	assert.Equal(t, body, d.Body)
	assert.True(t, strings.HasPrefix(d.Header.Get("Webhook-Signature"), "v1a,"), d.Header.Get("Webhook-Signature"))
	require.NoError(t, verifyV1a(d, whpk), "spec recipe, with the printed public key")

	// The receiver's CLI, with the public key file keygen wrote.
	args := []string{"verify", "--key-file", keyFile + ".pub"}
	for _, h := range []string{"Webhook-Id", "Webhook-Timestamp", "Webhook-Signature"} {
		args = append(args, "-H", h+": "+d.Header.Get(h))
	}
	out, err = webhookCLI(t, d.Body, args...)
	require.NoError(t, err, out)
	assert.Contains(t, out, "verified")
	out, err = webhookCLI(t, d.Body+" ", args...)
	require.Error(t, err, out)

	// The admin API and the CLI show the public key by route, never the private one.
	var keys struct {
		Keys []struct {
			Route, Endpoint string
			PublicKeys      []string `json:"public_keys"`
		}
	}
	code, text := adminJSON(t, c, http.MethodGet, "/webhooks/keys", nil, &keys)
	require.Equal(t, http.StatusOK, code, text)
	assert.NotContains(t, text, "PRIVATE")
	assert.NotContains(t, text, strings.TrimSpace(string(privPEM)))
	byRoute := map[string][]string{}
	for _, k := range keys.Keys {
		byRoute[k.Route] = k.PublicKeys
	}
	assert.Equal(t, map[string][]string{"emit": {whpk}, "loop": {whpk}}, byRoute)
	out, err = webhookCLI(t, "", "keys", "--address", c.Admin)
	require.NoError(t, err, out)
	assert.Contains(t, out, "emit")
	assert.Contains(t, out, whpk)
	assert.NotContains(t, out, "PRIVATE")

	// v1 and v1a in one header: the inbound route, pinning the public
	// key (and an older one), verifies it and forwards.
	code, ans = emit(t, c, "/loop", body, nil)
	require.Equal(t, http.StatusAccepted, code, ans)
	waitFor(t, 10*time.Second, "the verified forward", func() bool { return len(verified.deliveries()) == 1 })
	assert.Equal(t, body, verified.deliveries()[0].Body)

	// What the key did not sign is refused.
	_, other, err := ed25519.GenerateKey(nil)
	require.NoError(t, err)
	ts := strconv.FormatInt(time.Now().Unix(), 10)
	forged := "v1a," + base64.StdEncoding.EncodeToString(ed25519.Sign(other, []byte("msg_x."+ts+"."+body)))
	tampered := d.Header.Get("Webhook-Signature")
	for _, h := range []map[string]string{
		{"Webhook-Id": "msg_x", "Webhook-Timestamp": ts, "Webhook-Signature": forged},
		{"Webhook-Id": d.Header.Get("Webhook-Id"), "Webhook-Timestamp": d.Header.Get("Webhook-Timestamp"), "Webhook-Signature": tampered},
	} {
		code, text := c.post("/in", body+" ", h)
		assert.Equal(t, http.StatusUnauthorized, code, text)
	}
	time.Sleep(200 * time.Millisecond)
	assert.Len(t, verified.deliveries(), 1)
}
