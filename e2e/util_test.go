package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

func jsonUnmarshal(s string, v any) error { return json.Unmarshal([]byte(s), v) }

func nopCloser(s string) io.ReadCloser { return io.NopCloser(strings.NewReader(s)) }

// signed returns a request builder for body with the given signature header
// ("" sends none).
func signed(c *caddy, path, body, sig string) func() *http.Request {
	return func() *http.Request {
		r, err := http.NewRequest(http.MethodPost, "http://"+c.HTTP+path, strings.NewReader(body))
		require.NoError(c.t, err)
		r.Header.Set("Content-Type", "application/json")
		if sig != "" {
			r.Header.Set("X-Webhook-Signature", sig)
		}
		return r
	}
}

// newReceiverOn starts a receiver on a given loopback port.
func newReceiverOn(t *testing.T, port int) *receiver {
	l, err := net.Listen("tcp", fmt.Sprintf("127.0.0.1:%d", port))
	require.NoError(t, err)
	rc := newReceiver(t)
	rc.Server.Close()
	srv := httptest.NewUnstartedServer(rc.Server.Config.Handler)
	srv.Listener.Close()
	srv.Listener = l
	srv.Start()
	rc.Server = srv
	t.Cleanup(srv.Close)
	return rc
}

// goroutines reads the goroutine count from Caddy's pprof endpoint.
func goroutines(t *testing.T, c *caddy) int {
	resp, err := http.Get("http://" + c.Admin + "/debug/pprof/goroutine?debug=1")
	require.NoError(t, err)
	defer resp.Body.Close()
	line, err := bufio.NewReader(resp.Body).ReadString('\n')
	require.NoError(t, err)
	var n int
	_, err = fmt.Sscanf(line, "goroutine profile: total %d", &n)
	require.NoError(t, err, line)
	return n
}
