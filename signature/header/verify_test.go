package header

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature/ext"
	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/keys"
)

// TestRoundTrip signs with a Signer and verifies with a Verifier of the same
// compiled scheme; failures are *ext.Error, success a nil error (not a nil
// *ext.Error in an interface).
func TestRoundTrip(t *testing.T) {
	sc, err := Compile(Spec{Header: "x-sig", Alg: "SHA256", Enc: framing.Hex, TSHeader: "x-ts",
		Content: "{timestamp}.{url}.{body}"}, true)
	require.NoError(t, err)
	assert.Equal(t, "X-Sig", sc.Header)
	assert.True(t, sc.HeaderTS && sc.Timed && sc.NeedsURL())
	hk, err := keys.NewHMAC(sc.Alg, sc.KeyFmt, []string{"secret"})
	require.NoError(t, err)
	now := time.Unix(1700000000, 0)
	target, _ := url.Parse("http://h.example/p?q=1")
	h := http.Header{}
	require.NoError(t, (&Signer{Scheme: sc, Keys: hk.Signers()}).Sign(h, target, "", []byte("b"), now))

	r := httptest.NewRequest(http.MethodPost, "http://h.example/p?q=1", strings.NewReader("b"))
	r.Header = h
	v := &Verifier{Scheme: sc, Keys: hk, Tol: time.Minute}
	sum, err := v.Verify(r, []byte("b"), now, true)
	require.True(t, err == nil, "%v", err)
	assert.Len(t, sum, 32)

	_, err = v.Verify(r, []byte("b"), now.Add(time.Hour), false)
	var e *ext.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, ext.Stale, e.Reason)
	_, err = v.Verify(r, []byte("other"), now, false)
	require.True(t, errors.As(err, &e))
	assert.Equal(t, ext.Mismatch, e.Reason)
	r.Header.Del("X-Sig")
	_, err = v.Verify(r, []byte("b"), now, false)
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "signature missing: no X-Sig header", e.Error())
}

func TestCompileErrors(t *testing.T) {
	for spec, want := range map[*Spec]string{
		{}:                        "header is required",
		{Header: "bad header"}:    `invalid header name "bad header"`,
		{Header: "X", Alg: "md5"}: `unknown algorithm "md5": want sha1, sha256 or sha512`,
		{Header: "X", Alg: "sha1", Content: "{timestamp}"}: "signed_content uses {timestamp} but no timestamp_header is set",
		{Header: "X", Alg: "sha1", URL: "https://h/p"}:     "url is set but signed_content does not use {url}",
	} {
		_, err := Compile(*spec, true)
		assert.EqualError(t, err, want)
	}
}
