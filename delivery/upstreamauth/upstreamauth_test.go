package upstreamauth

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tokenServer is an OAuth 2.0 token endpoint for the client "hg" with the
// secret "s3cret": it hands out tok-1, tok-2, … valid for expiresIn
// seconds, and counts its requests.
type tokenServer struct {
	*httptest.Server
	fetches   atomic.Int32
	expiresIn int
	down      atomic.Bool
	scope     atomic.Value
}

func newTokenServer(t *testing.T, expiresIn int) *tokenServer {
	ts := &tokenServer{expiresIn: expiresIn}
	ts.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ts.down.Load() {
			http.Error(w, "maintenance: s3cret", http.StatusServiceUnavailable)
			return
		}
		id, secret, ok := r.BasicAuth()
		if err := r.ParseForm(); err != nil || r.Form.Get("grant_type") != "client_credentials" || !ok || id != "hg" || secret != "s3cret" {
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = io.WriteString(w, `{"error":"invalid_client"}`)
			return
		}
		ts.scope.Store(r.Form.Get("scope"))
		n := ts.fetches.Add(1)
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"access_token": fmt.Sprintf("tok-%d", n), "token_type": "Bearer", "expires_in": ts.expiresIn})
	}))
	t.Cleanup(ts.Close)
	return ts
}

func (ts *tokenServer) config() *Config {
	return &Config{OAuth2: &OAuth2{TokenURL: ts.URL + "/oauth/token?tenant=private", ClientID: "hg", ClientSecret: "{env.HG_TEST_OAUTH_SECRET}", Scopes: []string{"a", "b"}}}
}

// upstream accepts only the current token of valid; it counts requests.
func upstream(t *testing.T, valid func() string, seen *atomic.Int32) *httptest.Server {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		seen.Add(1)
		body, _ := io.ReadAll(r.Body)
		if r.Header.Get("Authorization") != "Bearer "+valid() {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		_, _ = w.Write(body)
	}))
	t.Cleanup(up.Close)
	return up
}

func post(t *testing.T, c *http.Client, url, body string) (int, string) {
	t.Helper()
	resp, err := c.Post(url, "text/plain", strings.NewReader(body))
	require.NoError(t, err)
	defer resp.Body.Close()
	got, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(got)
}

func TestOAuth2TokenFetchedOnceAndCached(t *testing.T) {
	t.Setenv("HG_TEST_OAUTH_SECRET", "s3cret")
	ts := newTokenServer(t, 3600)
	src, err := New(ts.config())
	require.NoError(t, err)
	var seen atomic.Int32
	up := upstream(t, func() string { return "tok-1" }, &seen)
	c := &http.Client{Transport: src.Transport(http.DefaultTransport)}
	for i := range 20 {
		status, body := post(t, c, up.URL, fmt.Sprint("body ", i))
		require.Equal(t, http.StatusOK, status)
		assert.Equal(t, fmt.Sprint("body ", i), body)
	}
	assert.EqualValues(t, 1, ts.fetches.Load(), "one token for every request while it is valid")
	assert.Equal(t, "a b", ts.scope.Load())
}

func TestOAuth2TokenRenewedShortlyBeforeExpiry(t *testing.T) {
	t.Setenv("HG_TEST_OAUTH_SECRET", "s3cret")
	ts := newTokenServer(t, 300)
	src, err := New(ts.config())
	require.NoError(t, err)
	now := time.Now()
	src.now = func() time.Time { return now }
	ctx := context.Background()
	tok, err := src.Token(ctx)
	require.NoError(t, err)
	assert.Equal(t, "tok-1", tok)
	now = now.Add(300*time.Second - Refresh - time.Second)
	tok, _ = src.Token(ctx)
	assert.Equal(t, "tok-1", tok, "still valid for longer than the margin")
	now = now.Add(2 * time.Second)
	tok, _ = src.Token(ctx)
	assert.Equal(t, "tok-2", tok, "within the margin of its expiry: renewed")
}

func TestOAuth2RefreshedOnceOn401(t *testing.T) {
	t.Setenv("HG_TEST_OAUTH_SECRET", "s3cret")
	ts := newTokenServer(t, 3600)
	src, err := New(ts.config())
	require.NoError(t, err)
	var seen atomic.Int32
	var valid atomic.Value
	valid.Store("tok-1")
	up := upstream(t, func() string { return valid.Load().(string) }, &seen)
	c := &http.Client{Transport: src.Transport(http.DefaultTransport)}

	status, _ := post(t, c, up.URL, "one")
	require.Equal(t, http.StatusOK, status)

	// The upstream revokes tok-1: the next request gets a 401, fetches
	// tok-2 and is sent once more, with its body.
	valid.Store("tok-2")
	status, body := post(t, c, up.URL, "two")
	assert.Equal(t, http.StatusOK, status)
	assert.Equal(t, "two", body)
	assert.EqualValues(t, 3, seen.Load())
	assert.EqualValues(t, 2, ts.fetches.Load())

	// An upstream that refuses every token: one retry, then its 401.
	valid.Store("never")
	seen.Store(0)
	status, _ = post(t, c, up.URL, "three")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.EqualValues(t, 2, seen.Load(), "one retry within the attempt, not more")
}

func TestOAuth2TokenEndpointDown(t *testing.T) {
	t.Setenv("HG_TEST_OAUTH_SECRET", "s3cret")
	ts := newTokenServer(t, 3600)
	src, err := New(ts.config())
	require.NoError(t, err)
	var seen atomic.Int32
	up := upstream(t, func() string { return "tok-1" }, &seen)
	c := &http.Client{Transport: src.Transport(http.DefaultTransport)}

	ts.down.Store(true)
	_, err = c.Post(up.URL, "text/plain", strings.NewReader("x"))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "oauth2 token endpoint answered 503")
	assert.NotContains(t, err.Error(), "s3cret", "neither the secret nor the endpoint's answer")
	assert.NotContains(t, err.Error(), "tenant=private")
	assert.Zero(t, seen.Load(), "nothing sent without a token")

	ts.Close() // not even listening
	_, err = src.Token(context.Background())
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "tenant=private")
	assert.NotContains(t, err.Error(), "s3cret")
}

func TestOAuth2WrongSecret(t *testing.T) {
	t.Setenv("HG_TEST_OAUTH_SECRET", "wrong")
	ts := newTokenServer(t, 3600)
	src, err := New(ts.config())
	require.NoError(t, err)
	_, err = src.Token(context.Background())
	require.Error(t, err)
	assert.Equal(t, "oauth2 token endpoint refused: invalid_client", err.Error())
	assert.NotContains(t, err.Error(), "wrong")
}

func TestBearer(t *testing.T) {
	t.Setenv("HG_TEST_BEARER", "  static-token\n")
	src, err := New(&Config{Bearer: "{env.HG_TEST_BEARER}"})
	require.NoError(t, err)
	var seen atomic.Int32
	up := upstream(t, func() string { return "static-token" }, &seen)
	req, _ := http.NewRequest(http.MethodPost, up.URL, strings.NewReader("b"))
	req.Header.Set("Authorization", "Bearer from-the-sender")
	resp, err := (&http.Client{Transport: src.Transport(http.DefaultTransport)}).Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, "Bearer from-the-sender", req.Header.Get("Authorization"), "the caller's request is not changed")

	// A static token is not renewed: a 401 is the upstream's answer.
	up2 := upstream(t, func() string { return "other" }, &seen)
	seen.Store(0)
	status, _ := post(t, &http.Client{Transport: src.Transport(http.DefaultTransport)}, up2.URL, "x")
	assert.Equal(t, http.StatusUnauthorized, status)
	assert.EqualValues(t, 1, seen.Load())
}

func TestNewRefusesEmptyOrAmbiguous(t *testing.T) {
	for name, c := range map[string]*Config{
		"nothing":         {},
		"both":            {Bearer: "x", OAuth2: &OAuth2{TokenURL: "https://a/t", ClientID: "c"}},
		"unset env":       {Bearer: "{env.HG_TEST_UNSET_TOKEN}"},
		"no client id":    {OAuth2: &OAuth2{TokenURL: "https://a/t"}},
		"token_url":       {OAuth2: &OAuth2{TokenURL: "ftp://a/t", ClientID: "c"}},
		"relative url":    {OAuth2: &OAuth2{TokenURL: "/token", ClientID: "c"}},
		"unset client id": {OAuth2: &OAuth2{TokenURL: "https://a/t", ClientID: "{env.HG_TEST_UNSET_ID}"}},
	} {
		_, err := New(c)
		assert.Error(t, err, name)
	}
}
