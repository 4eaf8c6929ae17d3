package cli

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/spf13/cobra"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/hookgate/hookgate/signature"
)

// Every preset's sample carries a value wherever its dedupe key reads one.
func TestSampleFillsTheDedupeKey(t *testing.T) {
	for _, name := range signature.Presets() {
		p, _ := signature.LookupPreset(name)
		body, header, err := sample(name)
		require.NoError(t, err, name)
		require.True(t, gjson.ValidBytes(body), name)
		for _, m := range keyPart.FindAllStringSubmatch(p.DedupeKey, -1) {
			if m[1] == "header" {
				assert.NotEmpty(t, header.Get(m[2]), "%s: header %s", name, m[2])
				continue
			}
			assert.True(t, gjson.GetBytes(body, m[2]).Exists(), "%s: %s in %s", name, m[2], body)
		}
		if path := p.BodyTimestamp(); path != "" {
			ms := gjson.GetBytes(body, path).Int()
			assert.WithinDuration(t, time.Now(), time.UnixMilli(ms), time.Minute, "%s: signed body timestamp %s", name, path)
		}
	}
}

// Each sample is a new event, also for presets keyed on the signed body.
func TestSampleIsFreshEachTime(t *testing.T) {
	for _, name := range []string{"stripe", "github", "shopify", "linear", "hubspot"} {
		a, _, _ := sample(name)
		b, _, _ := sample(name)
		assert.NotEqual(t, string(a), string(b), name)
	}
}

func TestSetPath(t *testing.T) {
	doc := setPath(map[string]any{}, []string{"0", "event", "id"}, "x")
	assert.Equal(t, []any{map[string]any{"event": map[string]any{"id": "x"}}}, doc)
	doc = setPath(map[string]any{"a": "keep"}, []string{"b", "c"}, "y")
	assert.Equal(t, map[string]any{"a": "keep", "b": map[string]any{"c": "y"}}, doc)
}

// runCmd runs a command with args and stdin, returning its output.
func runCmd(t *testing.T, cmd *cobra.Command, stdin string, args ...string) (string, error) {
	t.Helper()
	var out bytes.Buffer
	cmd.SetArgs(args)
	cmd.SetIn(strings.NewReader(stdin))
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	err := cmd.Execute()
	return out.String(), err
}

// `verify --url https://…` agrees with the handler on signatures made by the
// providers' published recipes (the same vectors as signature/url_test.go):
// an https URL, with and without a query.
func TestVerifyURLSigningSchemes(t *testing.T) {
	for _, tc := range []struct {
		preset, secret, url, body string
		headers                   []string
	}{
		{"twilio", "12345", "https://hooks.example.com/twilio/voice",
			"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309",
			[]string{"Content-Type: application/x-www-form-urlencoded", "X-Twilio-Signature: mJa4sK5UQ3P3hOKGInGhp7gnR54="}},
		{"twilio", "12345", "https://hooks.example.com/twilio/voice?tenant=acme&x=1",
			"CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309",
			[]string{"Content-Type: application/x-www-form-urlencoded", "X-Twilio-Signature: /TuHrVfxahZ172RnZsxAlkWQ3co="}},
		{"twilio", "12345", "https://hooks.example.com/twilio/json?tenant=acme&bodySHA256=0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620",
			`{"property": "value", "boolean": true}`,
			[]string{"Content-Type: application/json", "X-Twilio-Signature: WE+q3QsN1mqrXhPfEVCRH344YO8="}},
		{"square", "sq-key", "https://hooks.example.com/square?tenant=acme",
			`{"merchant_id":"M1","type":"payment.updated","event_id":"e1"}`,
			[]string{"X-Square-Hmacsha256-Signature: IA19hjoMYtN8VfYZU40igjzt13LplwuUpqXUZH4o20M="}},
		{"square", "sq-key", "https://hooks.example.com/square",
			`{"merchant_id":"M1","type":"payment.updated","event_id":"e1"}`,
			[]string{"X-Square-Hmacsha256-Signature: YxMvoBDYwgIzqhqjhNbJ9CL+EUFrE9ZtKZLaK7JyHIw="}},
		{"hubspot", "hs-secret", "https://hooks.example.com/hubspot?tenant=acme&r=a%3Ab",
			`[{"eventId":1,"subscriptionType":"contact.creation"}]`,
			[]string{"X-Hubspot-Request-Timestamp: 1700000000000", "X-Hubspot-Signature-V3: VTglKxZBpOhUA1HG/M/C5c8rN3zGPBpU7UYSRzN8b+E="}},
	} {
		t.Run(tc.preset+" "+tc.url, func(t *testing.T) {
			t.Setenv("HG_TEST_SECRET", tc.secret)
			args := []string{"--preset", tc.preset, "--secret-env", "HG_TEST_SECRET", "--url", tc.url, "--tolerance", "-1s"}
			for _, h := range tc.headers {
				args = append(args, "-H", h)
			}
			out, err := runCmd(t, verifyCommand(), tc.body, args...)
			require.NoError(t, err, out)
			assert.Contains(t, out, "verified")

			_, err = runCmd(t, verifyCommand(), tc.body+" ", args...)
			assert.ErrorContains(t, err, "not verified")

			// sign --url prints the same signature (JSON bodies: sign sends
			// no form Content-Type; HubSpot signs the current time).
			if tc.preset == "hubspot" || strings.HasPrefix(tc.body, "CallSid") {
				return
			}
			out, err = runCmd(t, signCommand(), tc.body, "--preset", tc.preset, "--secret-env", "HG_TEST_SECRET", "--url", tc.url)
			require.NoError(t, err, out)
			assert.Contains(t, out, tc.headers[len(tc.headers)-1])
		})
	}
}

// testKeys returns, for a preset, the secret send-test signs with and the
// one a receiver verifies with (they differ for Ed25519 and ECDSA).
func testKeys(t *testing.T, name string) (signWith, verifyWith string) {
	t.Helper()
	switch name {
	case "discord":
		seed := sha256.Sum256([]byte("seed"))
		pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
		return hex.EncodeToString(seed[:]), hex.EncodeToString(pub)
	case "sendgrid":
		k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
		require.NoError(t, err)
		priv, err := x509.MarshalPKCS8PrivateKey(k)
		require.NoError(t, err)
		pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		require.NoError(t, err)
		return base64.StdEncoding.EncodeToString(priv), base64.StdEncoding.EncodeToString(pub)
	}
	// Valid as a raw secret and as a whsec_ base64 key alike.
	s := "whsec_" + base64.StdEncoding.EncodeToString([]byte("send-test-key-0123456789"))
	return s, s
}

// send-test reaches a receiver that verifies, for every preset that can
// sign: the sample, its signature and (Twilio) its bodySHA256.
func TestSendTestEveryPreset(t *testing.T) {
	for _, name := range signature.Presets() {
		p, _ := signature.LookupPreset(name)
		cfg := signature.Config{Scheme: name}
		probe, _ := testKeys(t, name)
		if _, err := cfg.NewSigner([]string{probe}); err != nil {
			t.Logf("%s cannot sign (%v): skipped", name, err) // mailgun: in the body
			continue
		}
		t.Run(name, func(t *testing.T) {
			signWith, verifyWith := testKeys(t, name)
			var secrets []string
			if p.Signed {
				secrets = []string{verifyWith}
				t.Setenv("HG_SEND_SECRET", signWith)
			}
			v, err := cfg.NewVerifier(secrets, 0)
			require.NoError(t, err)
			var got error
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				body, _ := io.ReadAll(r.Body)
				if got = v.Verify(r, body, time.Now()); got != nil {
					w.WriteHeader(http.StatusUnauthorized)
				}
			}))
			defer srv.Close()
			args := []string{"--preset", name, "--to", srv.URL + "/hooks/" + name}
			if p.Signed {
				args = append(args, "--secret-env", "HG_SEND_SECRET")
			}
			out, err := runCmd(t, sendTestCommand(), "", args...)
			require.NoError(t, err, out)
			require.NoError(t, got)
			assert.Contains(t, out, "200 OK")
		})
	}
}
