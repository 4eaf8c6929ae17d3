// Package e2e runs the real custom Caddy binary against real HTTP receivers
// on loopback. `make test` points HOOKGATE_CADDY at bin/caddy; without it,
// TestMain builds the binary.
package e2e

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"text/template"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/caddyproc"
	// The tests verify and sign with presets (signature.Config{Scheme: …}),
	// which register themselves when this package is linked in.
	_ "github.com/hookgate/hookgate/signature/presets"
)

var caddyBin string

func TestMain(m *testing.M) { os.Exit(runTests(m)) }

// runTests is TestMain but for os.Exit, which would skip its deferred
// removal of the binary's directory.
func runTests(m *testing.M) int {
	caddyBin = os.Getenv("HOOKGATE_CADDY")
	if caddyBin == "" {
		dir, err := os.MkdirTemp("", "hookgate-e2e")
		if err != nil {
			panic(err)
		}
		defer os.RemoveAll(dir)
		caddyBin = filepath.Join(dir, "caddy")
		build := exec.Command("go", "build", "-o", caddyBin, "../cmd/caddy")
		build.Stdout, build.Stderr = os.Stdout, os.Stderr
		if err := build.Run(); err != nil {
			panic("building caddy: " + err.Error())
		}
	}
	installSecretScan()
	code := m.Run()
	if reportLeaks() && code == 0 {
		code = 1
	}
	return code
}

// secret is the HMAC secret of the test routes; no log line or answer may
// ever contain it.
const secret = "whsec_e2e_Zx9vQ3tL8mN2pR7k"

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// caddy is one running Caddy process with its own data directory.
type caddy struct {
	t       *testing.T
	dir     string
	config  string
	HTTP    string // host:port of the site
	Admin   string // host:port of the admin endpoint
	Vars    map[string]any
	proc    *caddyproc.Process
	logFile string
}

// startCaddy writes caddyfile (a text/template over .HTTP, its .Port, .Admin
// and vars) and runs Caddy on it.
func startCaddy(t *testing.T, caddyfile string, vars map[string]any) *caddy {
	t.Helper()
	c := &caddy{t: t, dir: t.TempDir(), Vars: vars,
		HTTP:  fmt.Sprintf("127.0.0.1:%d", freePort(t)),
		Admin: fmt.Sprintf("127.0.0.1:%d", freePort(t)),
	}
	c.config = filepath.Join(c.dir, "Caddyfile")
	c.logFile = filepath.Join(c.dir, "caddy.log")
	c.write(caddyfile)
	c.start()
	t.Cleanup(func() {
		c.stop()
		c.assertNoSecretInLogs()
	})
	return c
}

func (c *caddy) write(caddyfile string) {
	tmpl := template.Must(template.New("Caddyfile").Parse(caddyfile))
	_, port, _ := net.SplitHostPort(c.HTTP)
	data := map[string]any{"HTTP": c.HTTP, "Port": port, "Admin": c.Admin}
	for k, v := range c.Vars {
		data[k] = v
	}
	var buf bytes.Buffer
	require.NoError(c.t, tmpl.Execute(&buf, data))
	require.NoError(c.t, os.WriteFile(c.config, buf.Bytes(), 0o600))
}

func (c *caddy) start() {
	c.t.Helper()
	var err error
	c.proc, err = caddyproc.Start(context.Background(), caddyproc.Config{
		Bin: caddyBin, Caddyfile: c.config, Env: c.env(), Log: c.logFile,
		Admin: c.Admin, HTTP: c.HTTP, Ready: 20 * time.Second,
	})
	if err != nil {
		c.t.Fatalf("caddy did not start: %v; log:\n%s", err, c.logs())
	}
}

// env is the environment of this instance's processes: its own data
// directory and the test secret.
func (c *caddy) env() []string { return caddyproc.Env(c.dir, "HOOKGATE_SECRET="+secret) }

// kill sends SIGKILL: no shutdown code runs, as in a crash.
func (c *caddy) kill() { c.stopWith(syscall.SIGKILL) }

func (c *caddy) stop() { c.stopWith(syscall.SIGTERM) }

func (c *caddy) stopWith(sig os.Signal) {
	if c.proc == nil { // it did not start; Start stopped it
		return
	}
	if err := c.proc.Stop(sig, 10*time.Second); err != nil {
		c.t.Error(err)
	}
}

// reload applies the Caddyfile through `caddy reload`, as an operator would.
func (c *caddy) reload(caddyfile string) {
	c.t.Helper()
	c.write(caddyfile)
	out, err := exec.Command(caddyBin, "reload", "--config", c.config, "--adapter", "caddyfile", "--address", c.Admin).CombinedOutput()
	require.NoError(c.t, err, "caddy reload: %s", out)
	// The old servers closed their keep-alive connections: a POST sent on
	// one the client still pools fails with EOF (POST is not retried).
	http.DefaultClient.CloseIdleConnections()
}

func (c *caddy) logs() string {
	b, _ := os.ReadFile(c.logFile)
	return string(b)
}

// assertNoSecretInLogs checks this instance's log for every watched
// secret, and the answers it gave for leaks the scan found (secrets_test.go).
func (c *caddy) assertNoSecretInLogs() {
	if s := findSecret([]byte(c.logs())); s != "" {
		c.t.Errorf("a secret (%.6s…) reached Caddy's log", s)
	}
	for _, l := range append(leaksFor(c.HTTP), leaksFor(c.Admin)...) {
		c.t.Errorf("a secret reached an answer: %s", l)
	}
}

// post sends body to path, signed with secret unless sig is given.
func (c *caddy) post(path, body string, header map[string]string) (int, string) {
	c.t.Helper()
	return do(c.t, c.request(path, body, header))
}

// request builds a signed JSON POST of body to path; header overrides.
func (c *caddy) request(path, body string, header map[string]string) *http.Request {
	req, err := http.NewRequest(http.MethodPost, "http://"+c.HTTP+path, strings.NewReader(body))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Webhook-Signature", sign(body))
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return req
}

// admin calls the admin API and decodes a JSON answer into out (if not nil).
func (c *caddy) admin(method, path string, out any) int {
	c.t.Helper()
	req, err := http.NewRequest(method, "http://"+c.Admin+path, nil)
	require.NoError(c.t, err)
	code, body := do(c.t, req)
	require.NotContains(c.t, body, secret)
	if out != nil && code < 300 {
		require.NoError(c.t, json.Unmarshal([]byte(body), out), body)
	}
	return code
}

type stats struct {
	Queues map[string]struct {
		Queued, Dead int
		InFlight     int `json:"in_flight"`
	}
}

func (c *caddy) stats() stats {
	var s stats
	require.Equal(c.t, http.StatusOK, c.admin(http.MethodGet, "/webhooks/stats", &s))
	return s
}

func do(t *testing.T, req *http.Request) (int, string) {
	t.Helper()
	code, body, err := send(req)
	require.NoError(t, err)
	require.NotContains(t, body, secret)
	return code, body
}

// send is do for goroutines other than the test's: it fails nothing.
func send(req *http.Request) (int, string, error) {
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

func sign(body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return hex.EncodeToString(m.Sum(nil))
}

// receiver is an upstream app that records what it receives. answer, when
// set, chooses the status (and headers) of the n-th request (from 1), or
// writes the whole response and returns 0.
type receiver struct {
	*httptest.Server
	mu     sync.Mutex
	got    []delivery
	answer func(n int, r *http.Request, w http.ResponseWriter) int
}

type delivery struct {
	Method, URI string
	Header      http.Header
	Body        string
	At          time.Time
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		r.Body = io.NopCloser(bytes.NewReader(body)) // for answer
		rc.mu.Lock()
		rc.got = append(rc.got, delivery{r.Method, r.RequestURI, r.Header.Clone(), string(body), time.Now()})
		n, answer := len(rc.got), rc.answer
		rc.mu.Unlock()
		code := http.StatusOK
		if answer != nil {
			code = answer(n, r, w)
		}
		if code != 0 { // 0: answer wrote the response itself
			w.WriteHeader(code)
		}
	}))
	t.Cleanup(rc.Close)
	return rc
}

func (rc *receiver) setAnswer(f func(n int, r *http.Request, w http.ResponseWriter) int) {
	rc.mu.Lock()
	rc.answer = f
	rc.mu.Unlock()
}

func (rc *receiver) deliveries() []delivery {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]delivery(nil), rc.got...)
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(t *testing.T, timeout time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %s waiting for %s", timeout, what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// deliveredIDs counts deliveries per JSON "id" of their body.
func (rc *receiver) deliveredIDs() map[string]int {
	out := map[string]int{}
	for _, d := range rc.deliveries() {
		var v struct{ ID string }
		_ = json.Unmarshal([]byte(d.Body), &v)
		out[v.ID]++
	}
	return out
}
