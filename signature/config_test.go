package signature_test

import (
	"encoding/base64"
	"encoding/hex"
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		name string
		cfg  Config
		err  string // substring; "" for valid
	}{
		{"generic", Config{Header: "X-Sig", Secrets: []string{"{env.S}"}}, ""},
		{"generic full", Config{Scheme: "hmac", Header: "X-Sig", Algorithm: "SHA512", Encoding: "base64", Prefix: "v1=",
			SignedContent: "{timestamp}.{body}", TimestampHeader: "X-Ts", Secrets: []string{"a"}}, ""},
		{"unknown scheme", Config{Scheme: "nope", Secrets: []string{"a"}}, `unknown signature scheme "nope"`},
		{"no header", Config{Secrets: []string{"a"}}, "header is required"},
		{"bad header", Config{Header: "X Sig", Secrets: []string{"a"}}, "invalid header name"},
		{"unknown algorithm", Config{Header: "X-Sig", Algorithm: "md5", Secrets: []string{"a"}}, `unknown algorithm "md5"`},
		{"unknown encoding", Config{Header: "X-Sig", Encoding: "base32", Secrets: []string{"a"}}, `unknown encoding "base32"`},
		{"unclosed template", Config{Header: "X-Sig", SignedContent: "{body", Secrets: []string{"a"}}, "unclosed '{'"},
		{"unknown placeholder", Config{Header: "X-Sig", SignedContent: "{bdy}", Secrets: []string{"a"}}, "unknown placeholder {bdy}"},
		{"empty placeholder", Config{Header: "X-Sig", SignedContent: "{}", Secrets: []string{"a"}}, "unknown placeholder {}"},
		{"bad template header", Config{Header: "X-Sig", SignedContent: "{header.}", Secrets: []string{"a"}}, "invalid header name"},
		{"timestamp without source", Config{Header: "X-Sig", SignedContent: "{timestamp}.{body}", Secrets: []string{"a"}}, "no timestamp_header"},
		{"timestamp not signed", Config{Header: "X-Sig", TimestampHeader: "X-Ts", Secrets: []string{"a"}}, "not be authenticated"},
		{"id without header", Config{Header: "X-Sig", SignedContent: "{id}{body}", Secrets: []string{"a"}}, "no id_header"},
		{"url unused", Config{Header: "X-Sig", URL: "https://a.example/", Secrets: []string{"a"}}, "does not use {url}"},
		{"url relative", Config{Header: "X-Sig", SignedContent: "{url}{body}", URL: "/x", Secrets: []string{"a"}}, "absolute url"},
		{"no secret", Config{Header: "X-Sig"}, "at least one secret"},
		{"preset", Config{Scheme: "github", Secrets: []string{"a"}}, ""},
		{"preset header override", Config{Scheme: "posternity", Header: "X-Other", Secrets: []string{"a"}}, ""},
		{"preset bad override", Config{Scheme: "stripe", Prefix: "x", Secrets: []string{"a"}}, "prefix does not apply"},
		{"algorithm on ed25519", Config{Scheme: "discord", Algorithm: "sha1", Secrets: []string{"a"}}, "algorithm does not apply"},
		{"unsigned with secret", Config{Scheme: "ctxfy", Secrets: []string{"a"}}, "signs nothing"},
		{"unsigned", Config{Scheme: "superai"}, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.cfg.Validate()
			if tc.err == "" {
				require.NoError(t, err)
				return
			}
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
			assert.Equal(t, strings.ToLower(err.Error()[:1]), err.Error()[:1], "lowercase")
		})
	}
}

func TestNewVerifierSecrets(t *testing.T) {
	cfg := Config{Header: "X-Sig"}
	_, err := cfg.NewVerifier(nil, 0)
	require.ErrorContains(t, err, "no secret")
	_, err = cfg.NewVerifier([]string{"", ""}, 0)
	require.ErrorContains(t, err, "no secret")
	_, err = cfg.NewSigner([]string{""})
	require.ErrorContains(t, err, "no secret")
	_, err = cfg.NewVerifier([]string{"", "s"}, 0)
	require.NoError(t, err)
	_, err = Config{Scheme: "bogus"}.NewVerifier([]string{"s"}, 0)
	require.ErrorContains(t, err, "unknown signature scheme")
}

// RFC 4231 test case 2 (sha256, sha512) and RFC 2202 test case 2 (sha1):
// key "Jefe", data "what do ya want for nothing?".
// https://www.rfc-editor.org/rfc/rfc4231#section-4.3
// https://www.rfc-editor.org/rfc/rfc2202#section-3
func TestGenericHMACVectors(t *testing.T) {
	const key, data = "Jefe", "what do ya want for nothing?"
	for _, tc := range []struct{ alg, hexMAC string }{
		{"sha1", "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79"},
		{"sha256", "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"},
		{"sha512", "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea2505549758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737"},
	} {
		raw, err := hex.DecodeString(tc.hexMAC)
		require.NoError(t, err)
		for _, enc := range []struct{ name, value string }{
			{"hex", tc.hexMAC},
			{"hex upper", strings.ToUpper(tc.hexMAC)},
			{"base64", base64.StdEncoding.EncodeToString(raw)},
		} {
			t.Run(tc.alg+"/"+enc.name, func(t *testing.T) {
				cfg := Config{Header: "X-Sig", Algorithm: tc.alg, Encoding: strings.Fields(enc.name)[0], Prefix: tc.alg + "="}
				r := request(testTarget, http.Header{"X-Sig": {tc.alg + "=" + enc.value}}, data)
				requireReason(t, "", verify(t, cfg, []string{key}, r, data, t0))

				// The signer writes the same value (lowercase hex).
				if enc.name != "hex upper" {
					r = signed(t, cfg, []string{key}, data, nil)
					assert.Equal(t, tc.alg+"="+enc.value, r.Header.Get("X-Sig"))
				}
			})
		}
	}
}

func TestGenericHMAC(t *testing.T) {
	const body = `{"id":"evt_1","n":1}`
	base := Config{Header: "X-Sig", Prefix: "sha256="}
	timed := Config{Header: "X-Sig", Prefix: "v1=", SignedContent: "v1:{timestamp}:{header.X-Account}:{body}", TimestampHeader: "X-Ts"}
	withID := Config{Header: "X-Sig", SignedContent: "{id}.{body}", IDHeader: "X-Msg-Id", Encoding: "base64"}
	urlBound := Config{Header: "X-Sig", SignedContent: "{method} {url}\n{body}"}
	good := []string{"s3cret"}
	set := func(k, v string) func(*http.Request) { return func(r *http.Request) { r.Header.Set(k, v) } }
	del := func(k string) func(*http.Request) { return func(r *http.Request) { r.Header.Del(k) } }

	for _, tc := range []struct {
		name     string
		cfg      Config
		signWith []string
		verWith  []string
		mutate   func(*http.Request)
		body     string // the body verified; default: the body signed
		now      time.Time
		want     Reason
	}{
		{name: "round trip", cfg: base, signWith: good, verWith: good},
		{name: "tampered body", cfg: base, signWith: good, verWith: good, body: body + " ", want: ReasonMismatch},
		{name: "wrong secret", cfg: base, signWith: []string{"other"}, verWith: good, want: ReasonMismatch},
		{name: "rotation second secret", cfg: base, signWith: []string{"new"}, verWith: []string{"old", "new"}},
		{name: "rotation empty slot", cfg: base, signWith: []string{"new"}, verWith: []string{"", "new"}},
		{name: "missing header", cfg: base, signWith: good, verWith: good, mutate: del("X-Sig"), want: ReasonMissing},
		{name: "missing prefix", cfg: base, signWith: good, verWith: good, mutate: set("X-Sig", "abcd"), want: ReasonMalformed},
		{name: "not hex", cfg: base, signWith: good, verWith: good, mutate: set("X-Sig", "sha256="+strings.Repeat("zz", 32)), want: ReasonMalformed},
		{name: "odd hex", cfg: base, signWith: good, verWith: good, mutate: set("X-Sig", "sha256=abc"), want: ReasonMalformed},
		{name: "short signature", cfg: base, signWith: good, verWith: good, mutate: set("X-Sig", "sha256=abcd"), want: ReasonMalformed},
		{name: "empty signature", cfg: base, signWith: good, verWith: good, mutate: set("X-Sig", "sha256="), want: ReasonMalformed},
		{name: "zero signature", cfg: base, signWith: good, verWith: good, mutate: set("X-Sig", "sha256="+strings.Repeat("0", 64)), want: ReasonMismatch},

		{name: "timed round trip", cfg: timed, signWith: good, verWith: good, mutate: set("X-Account", "acme")},
		{name: "timed within tolerance", cfg: timed, signWith: good, verWith: good, now: t0.Add(-4 * time.Minute)},
		{name: "timed stale", cfg: timed, signWith: good, verWith: good, now: t0.Add(6 * time.Minute), want: ReasonStale},
		{name: "timed future", cfg: timed, signWith: good, verWith: good, now: t0.Add(-6 * time.Minute), want: ReasonStale},
		{name: "timed missing ts", cfg: timed, signWith: good, verWith: good, mutate: del("X-Ts"), want: ReasonMissing},
		{name: "timed malformed ts", cfg: timed, signWith: good, verWith: good, mutate: set("X-Ts", "17e8"), want: ReasonMalformed},
		{name: "timed negative ts", cfg: timed, signWith: good, verWith: good, mutate: set("X-Ts", "-1"), want: ReasonMalformed},
		{name: "timed ts changed", cfg: timed, signWith: good, verWith: good, mutate: set("X-Ts", strconv.FormatInt(t0.Unix()+1, 10)), want: ReasonMismatch},

		{name: "id round trip", cfg: withID, signWith: good, verWith: good},
		{name: "id changed", cfg: withID, signWith: good, verWith: good, mutate: set("X-Msg-Id", "msg_other"), want: ReasonMismatch},
		{name: "id missing", cfg: withID, signWith: good, verWith: good, mutate: del("X-Msg-Id"), want: ReasonMissing},
		{name: "base64 garbage", cfg: withID, signWith: good, verWith: good, mutate: set("X-Sig", "!!!!"), want: ReasonMalformed},

		{name: "url round trip", cfg: urlBound, signWith: good, verWith: good},
		{name: "url override", cfg: withURL(urlBound, PublicURL(testTarget)), signWith: good, verWith: good,
			mutate: func(r *http.Request) { r.Host = "internal:8080" }},
		{name: "url changed", cfg: urlBound, signWith: good, verWith: good,
			mutate: func(r *http.Request) { r.Host = "evil.example.com" }, want: ReasonMismatch},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := http.Header{"X-Account": {"acme"}}
			r := signed(t, tc.cfg, tc.signWith, body, h)
			if tc.mutate != nil {
				tc.mutate(r)
			}
			b := tc.body
			if b == "" {
				b = body
			}
			now := tc.now
			if now.IsZero() {
				now = t0
			}
			err := verify(t, tc.cfg, tc.verWith, r, b, now)
			requireReason(t, tc.want, err)
			if err != nil {
				for _, s := range append(tc.signWith, tc.verWith...) {
					if s != "" {
						assert.NotContains(t, err.Error(), s, "secret leaked")
					}
				}
				if sig := r.Header.Get("X-Sig"); len(sig) > 8 {
					assert.NotContains(t, err.Error(), sig[len(sig)-8:], "signature leaked")
				}
			}
		})
	}
}

func withURL(c Config, u string) Config { c.URL = u; return c }

func TestTolerance(t *testing.T) {
	cfg := Config{Header: "X-Sig", SignedContent: "{timestamp}.{body}", TimestampHeader: "X-Ts"}
	r := signed(t, cfg, []string{"k"}, "b", nil)
	for _, tc := range []struct {
		tol  time.Duration
		age  time.Duration
		want Reason
	}{
		{0, 5 * time.Minute, ""},
		{0, 5*time.Minute + time.Second, ReasonStale},
		{time.Second, 2 * time.Second, ReasonStale},
		{time.Hour, 59 * time.Minute, ""},
		{-1, 1000 * time.Hour, ""}, // disabled
	} {
		v, err := cfg.NewVerifier([]string{"k"}, tc.tol)
		require.NoError(t, err)
		requireReason(t, tc.want, v.Verify(r, []byte("b"), t0.Add(tc.age)))
	}
	// A timestamp so far away that now.Sub saturates is still stale.
	r.Header.Set("X-Ts", "999999999999999999")
	v, err := cfg.NewVerifier([]string{"k"}, time.Hour)
	require.NoError(t, err)
	requireReason(t, ReasonMismatch, v.Verify(r, []byte("b"), t0))
}
