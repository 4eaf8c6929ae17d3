package mailgun_test

import (
	"bytes"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
)

// The scheme is tested through the mailgun preset, as the inbound handler
// uses it.

// t0 is the fixed "now" of the tests.
var t0 = time.Unix(1700000000, 0)

// verify runs the mailgun preset's verifier over a request of contentType
// and body at now, and requires a failure of reason want ("" for none).
func verify(t *testing.T, secrets []string, contentType, body string, now time.Time, want signature.Reason) {
	t.Helper()
	v, err := signature.Config{Scheme: "mailgun"}.NewVerifier(secrets, 0)
	require.NoError(t, err)
	err = v.Verify(request(contentType, body), []byte(body), now)
	if want == "" {
		require.NoError(t, err)
		return
	}
	require.Error(t, err)
	require.Equal(t, want, signature.ReasonOf(err), "error: %v", err)
}

// request is a server-side request as Caddy would hand it over.
func request(contentType, body string) *http.Request {
	r, _ := http.NewRequest(http.MethodPost, "https://hooks.example.com/mailgun", strings.NewReader(body))
	r.Header.Set("Content-Type", contentType)
	return r
}

// TestMailgun checks the mailgun preset, which signs inside the body:
// hex HMAC-SHA256 of timestamp+token, keyed with the HTTP webhook signing
// key (https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks).
// The signature is computed here from that recipe, not by the package.
func TestMailgun(t *testing.T) {
	const key, other = "key-mailgun-signing", "key-another-account"
	ts := strconv.FormatInt(t0.Unix(), 10)
	const token = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f607182"
	mac := func(k, ts, token string) string {
		m := hmac.New(sha256.New, []byte(k))
		m.Write([]byte(ts + token))
		return hex.EncodeToString(m.Sum(nil))
	}
	jsonBody := func(ts, token, sig string) string {
		return fmt.Sprintf(`{"signature":{"timestamp":%q,"token":%q,"signature":%q},"event-data":{"id":"ev_1","event":"delivered"}}`, ts, token, sig)
	}
	formBody := url.Values{"timestamp": {ts}, "token": {token}, "signature": {mac(key, ts, token)}, "event": {"delivered"}}.Encode()
	multipartBody, boundary := mailgunMultipart(t, map[string]string{"timestamp": ts, "token": token, "signature": mac(key, ts, token)})

	for _, tc := range []struct {
		name, contentType, body string
		now                     time.Time
		secrets                 []string
		want                    signature.Reason
	}{
		{"json", "application/json", jsonBody(ts, token, mac(key, ts, token)), t0, []string{key}, ""},
		{"json, timestamp as a number", "application/json",
			fmt.Sprintf(`{"signature":{"timestamp":%s,"token":%q,"signature":%q}}`, ts, token, mac(key, ts, token)), t0, []string{key}, ""},
		{"form", "application/x-www-form-urlencoded", formBody, t0, []string{key}, ""},
		{"multipart", "multipart/form-data; boundary=" + boundary, multipartBody, t0, []string{key}, ""},
		{"rotation: second secret", "application/json", jsonBody(ts, token, mac(key, ts, token)), t0, []string{other, key}, ""},
		{"wrong secret", "application/json", jsonBody(ts, token, mac(key, ts, token)), t0, []string{other}, signature.ReasonMismatch},
		{"tampered token", "application/json", jsonBody(ts, token+"0", mac(key, ts, token)), t0, []string{key}, signature.ReasonMismatch},
		{"stale", "application/json", jsonBody(ts, token, mac(key, ts, token)), t0.Add(6 * time.Minute), []string{key}, signature.ReasonStale},
		{"missing signature", "application/json", jsonBody(ts, token, ""), t0, []string{key}, signature.ReasonMissing},
		{"missing token", "application/json", jsonBody(ts, "", mac(key, ts, "")), t0, []string{key}, signature.ReasonMissing},
		{"missing timestamp", "application/json", jsonBody("", token, mac(key, "", token)), t0, []string{key}, signature.ReasonMissing},
		{"form without signature", "application/x-www-form-urlencoded", url.Values{"timestamp": {ts}, "token": {token}}.Encode(),
			t0, []string{key}, signature.ReasonMissing},
		{"no signature object", "application/json", `{"event-data":{"id":"ev_1"}}`, t0, []string{key}, signature.ReasonMissing},
		{"signature not hex", "application/json", jsonBody(ts, token, "zz"), t0, []string{key}, signature.ReasonMalformed},
		{"not JSON", "application/json", `{"signature":`, t0, []string{key}, signature.ReasonMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			verify(t, tc.secrets, tc.contentType, tc.body, tc.now, tc.want)
		})
	}
}

// mailgunMultipart is a multipart/form-data body of fields, as Mailgun's
// routes forward messages with attachments.
func mailgunMultipart(t *testing.T, fields map[string]string) (body, boundary string) {
	t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	for k, v := range fields {
		if err := w.WriteField(k, v); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String(), w.Boundary()
}

// FuzzMailgun runs the verifier over hostile bodies of every form: none
// verifies, and no error echoes the body.
func FuzzMailgun(f *testing.F) {
	f.Add("application/json", `{"signature":{"timestamp":"1529006854","token":"a8ce0edb2dd8301dee6c2405235584e45aa91d1e9f979f3de0","signature":"d2271d12299f6592d9d44cd9d250f0704e4674c30d79d07c47a66f95ce71cf55"},"event-data":{"id":"x"}}`)
	f.Add("application/x-www-form-urlencoded", "timestamp=1529006854&token=abc&signature=00&parent-signature=11")
	f.Add("multipart/form-data; boundary=XX", "--XX\r\nContent-Disposition: form-data; name=\"timestamp\"\r\n\r\n1529006854\r\n--XX--\r\n")
	f.Add("multipart/form-data", "--")
	f.Add("text/plain", `{"signature":{"timestamp":1529006854,"token":5}}`)
	f.Add("application/json", `{"signature":[]}`)
	v, err := signature.Config{Scheme: "mailgun"}.NewVerifier([]string{"key-mailgun"}, 0)
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, contentType, body string) {
		r := request(contentType, body)
		err := v.Verify(r, []byte(body), time.Unix(1529006854, 0))
		if err == nil {
			t.Fatalf("unsigned fuzz input verified: %q", body)
		}
		if len(body) >= 12 && strings.Contains(err.Error(), body) {
			t.Fatalf("error echoes its input: %v", err)
		}
	})
}
