package signature

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
	"testing"
	"time"
)

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
		want                    Reason
	}{
		{"json", "application/json", jsonBody(ts, token, mac(key, ts, token)), t0, []string{key}, ""},
		{"json, timestamp as a number", "application/json",
			fmt.Sprintf(`{"signature":{"timestamp":%s,"token":%q,"signature":%q}}`, ts, token, mac(key, ts, token)), t0, []string{key}, ""},
		{"form", "application/x-www-form-urlencoded", formBody, t0, []string{key}, ""},
		{"multipart", "multipart/form-data; boundary=" + boundary, multipartBody, t0, []string{key}, ""},
		{"rotation: second secret", "application/json", jsonBody(ts, token, mac(key, ts, token)), t0, []string{other, key}, ""},
		{"wrong secret", "application/json", jsonBody(ts, token, mac(key, ts, token)), t0, []string{other}, ReasonMismatch},
		{"tampered token", "application/json", jsonBody(ts, token+"0", mac(key, ts, token)), t0, []string{key}, ReasonMismatch},
		{"stale", "application/json", jsonBody(ts, token, mac(key, ts, token)), t0.Add(6 * time.Minute), []string{key}, ReasonStale},
		{"missing signature", "application/json", jsonBody(ts, token, ""), t0, []string{key}, ReasonMissing},
		{"missing token", "application/json", jsonBody(ts, "", mac(key, ts, "")), t0, []string{key}, ReasonMissing},
		{"missing timestamp", "application/json", jsonBody("", token, mac(key, "", token)), t0, []string{key}, ReasonMissing},
		{"form without signature", "application/x-www-form-urlencoded", url.Values{"timestamp": {ts}, "token": {token}}.Encode(),
			t0, []string{key}, ReasonMissing},
		{"no signature object", "application/json", `{"event-data":{"id":"ev_1"}}`, t0, []string{key}, ReasonMissing},
		{"signature not hex", "application/json", jsonBody(ts, token, "zz"), t0, []string{key}, ReasonMalformed},
		{"not JSON", "application/json", `{"signature":`, t0, []string{key}, ReasonMalformed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, _ := http.NewRequest(http.MethodPost, "https://hooks.example.com/mailgun", nil)
			r.Header.Set("Content-Type", tc.contentType)
			requireReason(t, tc.want, verify(t, Config{Scheme: "mailgun"}, tc.secrets, r, tc.body, tc.now))
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
