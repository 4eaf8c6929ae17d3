package signature_test

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// keyPair returns the n-th test key of a scheme: the secret its signer takes
// and the one its verifier takes (they differ for asymmetric schemes).
func keyPair(t *testing.T, sp View, n int) (signWith, verifyWith string) {
	t.Helper()
	switch {
	case sp.Ed25519:
		seed := sha256.Sum256(fmt.Appendf(nil, "seed-%d", n))
		pub := ed25519.NewKeyFromSeed(seed[:]).Public().(ed25519.PublicKey)
		return hex.EncodeToString(seed[:]), hex.EncodeToString(pub)
	case sp.ECDSA:
		k := ecdsaTestKey(t, n)
		priv, err := x509.MarshalPKCS8PrivateKey(k)
		require.NoError(t, err)
		pub, err := x509.MarshalPKIXPublicKey(&k.PublicKey)
		require.NoError(t, err)
		return base64.StdEncoding.EncodeToString(priv), base64.StdEncoding.EncodeToString(pub)
	case sp.Whsec:
		s := "whsec_" + base64.StdEncoding.EncodeToString(fmt.Appendf(nil, "test-key-%d-0123456789abcdef", n))
		return s, s
	}
	s := fmt.Sprintf("s3cret-%d", n)
	return s, s
}

var (
	testECDSAMu sync.Mutex
	testECDSA   = map[int]*ecdsa.PrivateKey{}
)

func ecdsaTestKey(t *testing.T, n int) *ecdsa.PrivateKey {
	testECDSAMu.Lock()
	defer testECDSAMu.Unlock()
	if k, ok := testECDSA[n]; ok {
		return k
	}
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	testECDSA[n] = k
	return k
}

// presetBody is a body the preset's sender could send, with its headers.
func presetBody(name string) (string, http.Header) {
	if name == "twilio" {
		return "CallSid=CA123&Digits=1234&From=%2B14158675309",
			http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	}
	if p, _ := LookupPreset(name); p.BodyTimestamp() != "" {
		return `{"id":"evt_1","type":"ping","` + p.BodyTimestamp() + `":` + strconv.FormatInt(t0.UnixMilli(), 10) + `}`,
			http.Header{"Content-Type": {"application/json"}}
	}
	return `{"id":"evt_1","type":"ping"}`, http.Header{"Content-Type": {"application/json"}}
}

// presetCase is one row of the preset table the tests run: adding a preset
// is adding a row. A row with only a name gets a JSON body (presetBody) and
// every check that applies to its scheme: sign→verify round trip, wrong
// secret, rotation, missing and malformed signature header, tampered body,
// and, where the scheme signs them, stale / missing / malformed timestamp
// and a changed or missing id. Another _test file of this package adds its
// rows in an init:
//
//	func init() { presetCases = append(presetCases, presetCase{name: "bitbucket"}) }
//
// TestEveryPresetHasACase fails for a registered preset without a row.
type presetCase struct {
	name string
	// body and header, when body is set, replace presetBody's sample (a
	// form body, a body field the scheme reads).
	body   string
	header http.Header
	// elsewhere names the test that covers a preset the generic checks
	// cannot drive (a signature inside the body, certificates, no
	// signature at all); TestPresets skips the row.
	elsewhere string
}

var presetCases = []presetCase{
	{name: "contextfile"}, {name: "changethisfile"}, {name: "posternity"},
	{name: "none", elsewhere: "TestUnsignedPresets"}, {name: "ctxfy", elsewhere: "TestUnsignedPresets"},
	{name: "superai", elsewhere: "TestUnsignedPresets"}, {name: "mailgun", elsewhere: "TestMailgun"},
	{name: "github"}, {name: "gitlab"}, {name: "stripe"}, {name: "slack"}, {name: "shopify"},
	{name: "standard_webhooks"}, {name: "svix"}, {name: "twilio"}, {name: "paddle"}, {name: "zoom"},
	{name: "square"}, {name: "linear"}, {name: "intercom"}, {name: "hubspot"}, {name: "twitch"},
	{name: "pagerduty"}, {name: "vercel"}, {name: "calendly"}, {name: "typeform"}, {name: "xero"},
	{name: "discord"}, {name: "meta"}, {name: "okta"}, {name: "sendgrid"},
}

func TestEveryPresetHasACase(t *testing.T) {
	rows := map[string]int{}
	for _, pc := range presetCases {
		rows[pc.name]++
		_, ok := LookupPreset(pc.name)
		assert.True(t, ok, "row %q names no preset", pc.name)
	}
	for _, name := range Presets() {
		assert.Equal(t, 1, rows[name], "preset %q needs exactly one row in presetCases", name)
	}
}

// TestPresets runs every row of presetCases through the same checks.
func TestPresets(t *testing.T) {
	for _, pc := range presetCases {
		name := pc.name
		p, ok := LookupPreset(name)
		if !ok || pc.elsewhere != "" {
			continue // TestEveryPresetHasACase; the named test
		}
		sp := SpecOf(p)
		t.Run(name, func(t *testing.T) {
			cfg := Config{Scheme: name}
			body, hdr := presetBody(name)
			if pc.body != "" {
				body, hdr = pc.body, pc.header
			}
			signA, verA := keyPair(t, sp, 0)
			signB, verB := keyPair(t, sp, 1)
			header := http.CanonicalHeaderKey(sp.Header)
			sc, err := Resolve(cfg)
			require.NoError(t, err)
			secretsSeen := []string{signA, verA, signB, verB}

			check := func(t *testing.T, want Reason, r *http.Request, b string, now time.Time, verifyWith ...string) {
				t.Helper()
				err := verify(t, cfg, verifyWith, r, b, now)
				requireReason(t, want, err)
				if err != nil {
					for _, s := range secretsSeen {
						assert.NotContains(t, err.Error(), s, "secret leaked")
					}
					if v := r.Header.Get(header); len(v) >= 16 {
						assert.NotContains(t, err.Error(), v[len(v)-16:], "signature leaked")
					}
				}
			}
			fresh := func() *http.Request { return signed(t, cfg, []string{signA}, body, hdr) }

			t.Run("round trip", func(t *testing.T) {
				check(t, "", fresh(), body, t0, verA)
			})
			t.Run("wrong secret", func(t *testing.T) {
				check(t, ReasonMismatch, fresh(), body, t0, verB)
			})
			t.Run("rotation: second configured secret", func(t *testing.T) {
				check(t, "", fresh(), body, t0, verB, verA)
			})
			t.Run("missing header", func(t *testing.T) {
				r := fresh()
				r.Header.Del(header)
				check(t, ReasonMissing, r, body, t0, verA)
			})
			if !sp.Token { // a token does not cover the body, and any string is a token
				t.Run("tampered body", func(t *testing.T) {
					check(t, ReasonMismatch, fresh(), strings.Replace(body, "1", "2", 1), t0, verA)
				})
				t.Run("malformed header", func(t *testing.T) {
					r := fresh()
					r.Header.Set(header, "%%%")
					check(t, ReasonMalformed, r, body, t0, verA)
				})
			}
			if sc.Framing.Multi() {
				t.Run("rotation: several signatures in the header", func(t *testing.T) {
					r := signed(t, cfg, []string{signA, signB}, body, hdr)
					check(t, "", r, body, t0, verB)
					check(t, "", r, body, t0, verA)
				})
			}
			if sc.Timed {
				require.NotZero(t, p.Tolerance, "timed preset without a tolerance")
				t.Run("within tolerance", func(t *testing.T) {
					check(t, "", fresh(), body, t0.Add(p.Tolerance), verA)
					check(t, "", fresh(), body, t0.Add(-p.Tolerance), verA)
				})
				t.Run("stale", func(t *testing.T) {
					check(t, ReasonStale, fresh(), body, t0.Add(p.Tolerance+time.Second), verA)
					check(t, ReasonStale, fresh(), body, t0.Add(-p.Tolerance-time.Second), verA)
				})
				if sp.TSHeader != "" {
					ts := http.CanonicalHeaderKey(sp.TSHeader)
					t.Run("missing timestamp", func(t *testing.T) {
						r := fresh()
						r.Header.Del(ts)
						check(t, ReasonMissing, r, body, t0, verA)
					})
					t.Run("malformed timestamp", func(t *testing.T) {
						r := fresh()
						r.Header.Set(ts, "yesterday")
						check(t, ReasonMalformed, r, body, t0, verA)
					})
				}
			} else {
				assert.Zero(t, p.Tolerance, "untimed preset with a tolerance")
				t.Run("no replay window", func(t *testing.T) {
					check(t, "", fresh(), body, t0.Add(1000*time.Hour), verA)
				})
			}
			if sp.IDHeader != "" {
				t.Run("missing id", func(t *testing.T) {
					r := fresh()
					r.Header.Del(http.CanonicalHeaderKey(sp.IDHeader))
					check(t, ReasonMissing, r, body, t0, verA)
				})
				t.Run("id changed", func(t *testing.T) {
					r := fresh()
					r.Header.Set(sp.IDHeader, "msg_other")
					check(t, ReasonMismatch, r, body, t0, verA)
				})
			}
		})
	}
}

func TestUnsignedPresets(t *testing.T) {
	for _, name := range []string{"ctxfy", "superai"} {
		cfg := Config{Scheme: name}
		require.NoError(t, cfg.Validate())
		s, err := cfg.NewSigner(nil)
		require.NoError(t, err)
		h := http.Header{}
		require.NoError(t, s.Sign(h, nil, "id", []byte("{}"), t0))
		assert.Empty(t, h, "an unsigned scheme sets no header")
		v, err := cfg.NewVerifier([]string{""}, 0)
		require.NoError(t, err)
		assert.NoError(t, v.Verify(request(testTarget, h, "{}"), []byte("{}"), t0))
		_, err = cfg.NewVerifier([]string{"s"}, 0)
		assert.ErrorContains(t, err, "signs nothing")
		p, _ := LookupPreset(name)
		assert.False(t, p.Signed)
	}
}

// documentedRejects is the status each preset answers a bad signature
// with: 401, unless its sender documents another.
var documentedRejects = map[string]int{
	// "Webhooks with an invalid signature must return a 498 Token
	// Invalid error" (GoCardless API reference, webhooks).
	"gocardless": 498,
}

func init() {
	for _, name := range Presets() {
		if documentedRejects[name] == 0 {
			documentedRejects[name] = http.StatusUnauthorized
		}
	}
}

func TestPresetMetadata(t *testing.T) {
	names := Presets()
	assert.True(t, sort.StringsAreSorted(names))
	for _, want := range []string{"contextfile", "changethisfile", "posternity", "ctxfy", "superai", "github", "gitlab",
		"stripe", "slack", "shopify", "standard_webhooks", "svix", "twilio", "paddle", "zoom", "square", "linear",
		"intercom", "hubspot", "mailgun", "twitch", "pagerduty", "vercel", "calendly", "typeform", "xero", "discord", "sendgrid",
		"meta", "okta"} {
		assert.Contains(t, names, want)
	}
	for _, name := range names {
		p, ok := LookupPreset(name)
		require.True(t, ok)
		assert.Equal(t, name, p.Name)
		assert.NotEmpty(t, p.Doc, name)
		assert.Equal(t, documentedRejects[name], p.FailureStatus, name)
		if p.DedupeKey != "" { // meta: no event id common to its objects
			_, err := dedupe.Parse(p.DedupeKey)
			assert.NoError(t, err, "%s: default dedupe key must parse", name)
		}
		sc, err := Resolve(Config{Scheme: name})
		require.NoError(t, err, name)
		assert.Equal(t, sc.Timed, p.Tolerance > 0, "%s: tolerance iff timestamped", name)
	}
	_, ok := LookupPreset("hmac")
	assert.False(t, ok, "hmac is the generic scheme, not a preset")
	for name, key := range map[string]string{
		"github":            "{signed_digest}",
		"stripe":            "{json.id}",
		"shopify":           "{signed_digest}",
		"twilio":            "{signed_digest}",
		"linear":            "{signed_digest}",
		"mailgun":           "{signed_digest}",
		"gitlab":            "{body_sha256}",
		"standard_webhooks": "{header.webhook-id}",
		"ctxfy":             "{json.sourceId}:{json.status}",
		"superai":           "{json.uuid}:{json.state}:{json.action}",
	} {
		p, _ := LookupPreset(name)
		assert.Equal(t, key, p.DedupeKey, name)
	}
}

func TestPresetOverrides(t *testing.T) {
	body := `{"id":"evt_1"}`
	t.Run("posternity custom header and prefix", func(t *testing.T) {
		cfg := Config{Scheme: "posternity", Header: "X-Signature", Prefix: "sha512=", Algorithm: "sha512"}
		r := signed(t, cfg, []string{"k"}, body, nil)
		assert.True(t, strings.HasPrefix(r.Header.Get("X-Signature"), "sha512="))
		assert.Len(t, r.Header.Get("X-Signature"), len("sha512=")+128)
		requireReason(t, "", verify(t, cfg, []string{"k"}, r, body, t0))
		requireReason(t, ReasonMissing, verify(t, Config{Scheme: "posternity"}, []string{"k"}, r, body, t0))
	})
	t.Run("posternity timed", func(t *testing.T) {
		cfg := Config{Scheme: "posternity", TimestampHeader: "X-Posternity-Timestamp", SignedContent: "{timestamp}.{body}"}
		r := signed(t, cfg, []string{"k"}, body, nil)
		requireReason(t, "", verify(t, cfg, []string{"k"}, r, body, t0))
		requireReason(t, ReasonStale, verify(t, cfg, []string{"k"}, r, body, t0.Add(time.Hour)))
	})
	t.Run("standard webhooks under other header names", func(t *testing.T) {
		cfg := Config{Scheme: "standard_webhooks", Header: "X-Sig", TimestampHeader: "X-Ts", IDHeader: "X-Id"}
		r := signed(t, cfg, []string{"whsec_" + base64.StdEncoding.EncodeToString([]byte("0123456789abcdef"))}, body, nil)
		assert.NotEmpty(t, r.Header.Get("X-Sig"))
		assert.Equal(t, "msg_2Xo3", r.Header.Get("X-Id"))
	})
	t.Run("square notification url", func(t *testing.T) {
		cfg := Config{Scheme: "square", URL: PublicURL(testTarget)}
		r := signed(t, cfg, []string{"k"}, body, nil)
		r.Host = "10.0.0.7:8080" // behind a proxy: the request URL differs
		requireReason(t, "", verify(t, cfg, []string{"k"}, r, body, t0))
		requireReason(t, ReasonMismatch, verify(t, Config{Scheme: "square"}, []string{"k"}, r, body, t0))
	})
	for _, tc := range []struct {
		cfg Config
		err string
	}{
		{Config{Scheme: "stripe", Encoding: "base64"}, "encoding does not apply"},
		{Config{Scheme: "gitlab", SignedContent: "{body}"}, "signed_content does not apply"},
		{Config{Scheme: "mailgun", Header: "X"}, "header does not apply"},
		{Config{Scheme: "ctxfy", URL: "https://x.example/"}, "url does not apply"},
		{Config{Scheme: "stripe", TimestampHeader: "X-Ts"}, "timestamp_header does not apply"},
		{Config{Scheme: "github", URL: "https://x.example/"}, "does not use {url}"},
		{Config{Scheme: "standard_webhooks", SignedContent: "{body}"}, "not be authenticated"},
	} {
		tc.cfg.Secrets = []string{"x"}
		assert.ErrorContains(t, tc.cfg.Validate(), tc.err, "%+v", tc.cfg)
	}
}

func TestPresetKeyErrors(t *testing.T) {
	for _, tc := range []struct {
		scheme, secret string
		verify         bool
		err            string
	}{
		{"standard_webhooks", "whsec_***", true, "not base64"},
		{"discord", "abcd", true, "ed25519 public key"},
		{"discord", "abcd", false, "ed25519 private key"},
		{"sendgrid", "bm90IGEga2V5", true, "ecdsa p-256 public key"},
		{"sendgrid", "bm90IGEga2V5", false, "ecdsa p-256 private key"},
	} {
		var err error
		if tc.verify {
			_, err = Config{Scheme: tc.scheme}.NewVerifier([]string{tc.secret}, 0)
		} else {
			_, err = Config{Scheme: tc.scheme}.NewSigner([]string{tc.secret})
		}
		require.ErrorContains(t, err, tc.err)
		assert.NotContains(t, err.Error(), tc.secret)
	}
	_, err := Config{Scheme: "mailgun"}.NewSigner([]string{"k"})
	assert.ErrorContains(t, err, "inside the body")
}
