package e2e

import (
	"bufio"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rssMiB is the resident memory of the Caddy process, from /proc.
func rssMiB(t *testing.T, c *caddy) int {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", c.proc.Pid()))
	if err != nil {
		t.Skipf("no /proc: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			var kb int
			_, _ = fmt.Sscanf(strings.TrimSpace(v), "%d kB", &kb)
			return kb >> 10
		}
	}
	t.Fatal("no VmRSS")
	return 0
}

// TestSlowClientIsCutOff trickles a body one byte per 100 ms: with
// `timeouts { read_body 1s }` Caddy stops waiting after a second, answers
// 408 and nothing is queued. Without it a client could hold a connection
// and a goroutine for as long as it likes.
func TestSlowClientIsCutOff(t *testing.T) {
	c, rc := startHostile(t)
	conn, err := net.Dial("tcp", c.HTTP)
	require.NoError(t, err)
	defer conn.Close()
	body := `{"id":"slow","pad":"` + strings.Repeat("x", 200) + `"}`
	_, err = fmt.Fprintf(conn, "POST /hooks/in HTTP/1.1\r\nHost: %s\r\nContent-Type: application/json\r\n"+
		"Content-Length: %d\r\nX-Webhook-Signature: %s\r\n\r\n", c.HTTP, len(body), sign(body))
	require.NoError(t, err)
	start := time.Now()
	go func() {
		for i := range len(body) {
			if _, err := conn.Write([]byte{body[i]}); err != nil {
				return
			}
			time.Sleep(100 * time.Millisecond)
		}
	}()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	elapsed := time.Since(start)
	if err == nil {
		resp.Body.Close()
		assert.Equal(t, http.StatusRequestTimeout, resp.StatusCode)
	}
	assert.Less(t, elapsed, 3*time.Second, "the trickle was not cut off (%v)", err)
	assert.GreaterOrEqual(t, elapsed, 800*time.Millisecond, "cut off before read_body")
	time.Sleep(200 * time.Millisecond)
	assert.Empty(t, rc.deliveries())
	assert.Contains(t, c.logs(), `"reason":"reading body timed out"`)
}

// TestAdminAPIHostileMessageIDs: ids that are long, traversing, encoded,
// or not ids at all get 400 or 404, never a 5xx, and the answer is JSON.
func TestAdminAPIHostileMessageIDs(t *testing.T) {
	c, _ := startHostile(t)
	for _, id := range []string{
		strings.Repeat("A", 10000),
		"msg_" + strings.Repeat("Z", 26),
		"msg_01M82MAFVSA0RW4001RXKQ5X2S",
		"msg_01m82mafvsa0rw4001rxkq5x2s",
		"..%2F..%2Fconfig",
		"msg_%00%00",
		url.PathEscape("msg_ü€𝄞"),
		"%ff%fe",
		"msg_01M82MAFVSA0RW4001RXKQ5X2S%0d%0aX-Injected:%201",
		"' OR 1=1 --",
	} {
		for _, call := range []struct{ method, suffix string }{
			{http.MethodGet, ""}, {http.MethodDelete, ""}, {http.MethodPost, "/replay"},
		} {
			req, err := http.NewRequest(call.method, "http://"+c.Admin+"/webhooks/messages/"+id+call.suffix, nil)
			if err != nil {
				continue // not even a URL
			}
			code, body := do(t, req)
			assert.Contains(t, []int{400, 404, 405}, code, "%s %.40s%s: %d %s", call.method, id, call.suffix, code, body)
			assert.NotContains(t, body, "X-Injected")
		}
	}
	for _, path := range []string{"/webhooks/endpoints/" + strings.Repeat("e", 5000), "/webhooks/endpoints/%00", "/webhooks/messages?limit=99999999999999999999", "/webhooks/messages?state=%00"} {
		req, err := http.NewRequest(http.MethodGet, "http://"+c.Admin+path, nil)
		require.NoError(t, err)
		code, body := do(t, req)
		assert.Less(t, code, 500, "%.60s: %s", path, body)
	}
}
