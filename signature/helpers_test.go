package signature_test

import (
	"bytes"
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// t0 is the fixed "now" of the tests.
var t0 = time.Unix(1700000000, 0)

const testTarget = "https://hooks.example.com/in/provider?x=1"

// signed builds a request to testTarget whose headers sign body under cfg
// with secrets (h holds headers set before signing, e.g. Content-Type).
func signed(t *testing.T, cfg Config, secrets []string, body string, h http.Header) *http.Request {
	t.Helper()
	return signedTo(t, cfg, secrets, testTarget, body, h)
}

// signedTo is signed with another target URL.
func signedTo(t *testing.T, cfg Config, secrets []string, target, body string, h http.Header) *http.Request {
	t.Helper()
	s, err := cfg.NewSigner(secrets)
	require.NoError(t, err)
	if h == nil {
		h = http.Header{}
	}
	h = h.Clone()
	u, err := url.Parse(target)
	require.NoError(t, err)
	require.NoError(t, s.Sign(h, u, "msg_2Xo3", []byte(body), t0))
	return request(target, h, body)
}

// request is a server-side request as Caddy would hand it over.
func request(target string, h http.Header, body string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, target, bytes.NewReader([]byte(body)))
	for k, v := range h {
		r.Header[k] = v
	}
	return r
}

// verify runs cfg's verifier over r at now.
func verify(t *testing.T, cfg Config, secrets []string, r *http.Request, body string, now time.Time) error {
	t.Helper()
	v, err := cfg.NewVerifier(secrets, 0)
	require.NoError(t, err)
	return v.Verify(r, []byte(body), now)
}

// requireReason asserts that err is an *Error with reason want ("" for nil).
func requireReason(t *testing.T, want Reason, err error) {
	t.Helper()
	if want == "" {
		require.NoError(t, err)
		return
	}
	require.Error(t, err)
	require.Equal(t, want, ReasonOf(err), "error: %v", err)
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
