package e2e

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The secrets guard: every secret a test configures is watched, and none may
// appear in a Caddy log (checked when each Caddy is cleaned up) nor in any
// HTTP answer the suite receives — site, error bodies, admin API — which
// the transport installed by TestMain scans, headers and body, whatever
// helper sent the request.

var watched = struct {
	sync.Mutex
	secrets map[string]bool
	leaks   []string // "url: secret #i", in the order found
}{secrets: map[string]bool{}}

func init() {
	for _, s := range []string{secret, outSecret, notifySecret, redisPassword, chaosOutSecret, stdSecret} {
		watchSecret(s)
	}
}

// watchSecret adds s to the secrets nothing may show, with the key bytes of
// a whsec_<base64> secret, which are just as secret.
func watchSecret(s string) {
	if len(s) < 8 { // too short to search for without false alarms
		return
	}
	watched.Lock()
	defer watched.Unlock()
	watched.secrets[s] = true
	if key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(s, "whsec_")); err == nil && len(key) >= 8 {
		watched.secrets[string(key)] = true
	}
}

func secretsWatched() []string {
	watched.Lock()
	defer watched.Unlock()
	out := make([]string, 0, len(watched.secrets))
	for s := range watched.secrets {
		out = append(out, s)
	}
	return out
}

// findSecret returns the first watched secret in b, or "".
func findSecret(b []byte) string {
	for _, s := range secretsWatched() {
		if bytes.Contains(b, []byte(s)) {
			return s
		}
	}
	return ""
}

func recordLeak(url, s string) {
	watched.Lock()
	defer watched.Unlock()
	// The secret itself is not printed: its first characters say which.
	watched.leaks = append(watched.leaks, fmt.Sprintf("%s: secret %.6s…", url, s))
}

// leaksFor returns the leaks in answers from host (host:port).
func leaksFor(host string) []string {
	watched.Lock()
	defer watched.Unlock()
	var out []string
	for _, l := range watched.leaks {
		if strings.Contains(l, "//"+host+"/") {
			out = append(out, l)
		}
	}
	return out
}

// installSecretScan makes every client that uses http.DefaultTransport
// scan its answers (TestMain).
func installSecretScan() { http.DefaultTransport = &secretScan{base: http.DefaultTransport} }

// reportLeaks prints every leak found by the scan and says whether any was.
func reportLeaks() bool {
	watched.Lock()
	defer watched.Unlock()
	for _, l := range watched.leaks {
		fmt.Fprintln(os.Stderr, "SECRET LEAKED in an answer:", l)
	}
	return len(watched.leaks) > 0
}

type secretScan struct{ base http.RoundTripper }

func (s *secretScan) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := s.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	url := req.URL.String()
	var hdr bytes.Buffer
	_ = resp.Header.Write(&hdr)
	if found := findSecret(hdr.Bytes()); found != "" {
		recordLeak(url, found)
	}
	resp.Body = &scanBody{ReadCloser: resp.Body, url: url}
	return resp, nil
}

// scanBody scans a body as it is read, keeping enough of the previous read
// to find a secret split across two reads.
type scanBody struct {
	io.ReadCloser
	url  string
	tail []byte
	hit  bool
}

const maxSecretLen = 256

func (b *scanBody) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if n > 0 && !b.hit {
		window := append(b.tail, p[:n]...)
		if found := findSecret(window); found != "" {
			b.hit = true
			recordLeak(b.url, found)
		}
		b.tail = append(b.tail[:0], window[max(0, len(window)-maxSecretLen):]...)
	}
	return n, err
}

// TestSecretScanCatchesALeak: the guard itself must be able to fail.
func TestSecretScanCatchesALeak(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		half := len(secret) / 2
		_, _ = io.WriteString(w, strings.Repeat("x", 5000)+secret[:half])
		w.(http.Flusher).Flush() // the secret split across two reads
		_, _ = io.WriteString(w, secret[half:])
	}))
	defer srv.Close()
	host := strings.TrimPrefix(srv.URL, "http://")
	resp, err := http.Get(srv.URL + "/leak")
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	assert.Len(t, leaksFor(host), 1)

	watched.Lock() // not a real leak: forget it
	watched.leaks = watched.leaks[:len(watched.leaks)-1]
	watched.Unlock()
}
