package e2e

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/chaos"
)

// postChaos sends message n to the rig once and returns the answer.
func postChaos(t *testing.T, r *rig, n, pad int) *http.Response {
	req, err := r.request(n, chaos.Body("fault", n, pad))
	require.NoError(t, err)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

// TestDiskFullAnswers503AndRecovers fills the embedded store's disk (a
// tmpfs) while the upstream is down, so the queue must grow: inbound must
// answer 503 with Retry-After — never a 2xx it cannot keep — and accept
// again once space returns; every 2xx is then delivered.
func TestDiskFullAnswers503AndRecovers(t *testing.T) {
	r := newRig(t, "embedded")
	if r.tmpfs == "" {
		t.Skip("needs root and mount for a small tmpfs; the chaos suite leaves disk-full out too")
	}
	r.rc.Down()
	acked := map[int]bool{}
	n := 0
	for ; n < 20; n++ {
		require.Equal(t, http.StatusAccepted, postChaos(t, r, n, 2000).StatusCode)
		acked[n] = true
	}

	free := fillDisk(t, r.tmpfs)
	var refused *http.Response
	for ; n < 3000 && refused == nil; n++ {
		resp := postChaos(t, r, n, 8000)
		switch resp.StatusCode {
		case http.StatusAccepted: // bbolt reused a free page of its own file: kept
			acked[n] = true
		case http.StatusServiceUnavailable:
			refused = resp
		default:
			t.Fatalf("message %d: unexpected %d with the disk full", n, resp.StatusCode)
		}
	}
	require.NotNil(t, refused, "the disk was full, yet %d messages were accepted", n)
	assert.NotEmpty(t, refused.Header.Get("Retry-After"))
	assert.Contains(t, r.c.logs(), `"result":"unavailable"`)
	for range 5 { // and it stays refused while full
		assert.Equal(t, http.StatusServiceUnavailable, postChaos(t, r, n, 8000).StatusCode)
		n++
	}

	free()
	waitFor(t, 10*time.Second, "inbound accepting again", func() bool {
		if postChaos(t, r, n, 100).StatusCode == http.StatusAccepted {
			acked[n] = true
			return true
		}
		n++
		return false
	})
	require.NoError(t, r.rc.Up())
	waitFor(t, 30*time.Second, "every acknowledged message delivered", func() bool {
		d := r.rc.Delivered()
		for m := range acked {
			if d[m] == 0 {
				return false
			}
		}
		return true
	})
}

// TestDamagedDatabaseStopsCaddyWithAClearMessage truncates the embedded
// database under queued messages: Caddy must refuse to start, naming the
// file, rather than start empty; with the intact file back, every message
// is delivered.
func TestDamagedDatabaseStopsCaddyWithAClearMessage(t *testing.T) {
	t.Setenv("HOOKGATE_CHAOS_NO_MOUNT", "1")
	r := newRig(t, "embedded")
	r.rc.Down()
	const n = 30
	for i := range n {
		require.Equal(t, http.StatusAccepted, postChaos(t, r, i, 4000).StatusCode)
	}
	r.c.stop()
	file := filepath.Join(r.c.Vars["Store"].(string), "queue.db")
	intact, err := os.ReadFile(file)
	require.NoError(t, err)

	for name, damaged := range map[string][]byte{
		// A quarter: bbolt doubles its file as the tree grows, so the tree
		// reaches past half of the file, but not always by much.
		"truncated": intact[:len(intact)/4],
		"emptied":   {},
	} {
		require.NoError(t, os.WriteFile(file, damaged, 0o600))
		ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
		cmd := exec.CommandContext(ctx, caddyBin, "run", "--config", r.c.config, "--adapter", "caddyfile")
		cmd.Env = r.c.env()
		out, err := cmd.CombinedOutput()
		timedOut := ctx.Err() != nil
		cancel()
		require.Error(t, err, "%s: caddy started on a damaged database:\n%s", name, out)
		require.False(t, timedOut, "%s: caddy neither failed nor stopped within 20s:\n%s", name, out)
		assert.Contains(t, string(out), file, "%s: the message names the file", name)
		assert.Contains(t, string(out), "damaged", name)
		assert.NotContains(t, string(out), "goroutine ", "%s: a panic, not a message", name)
		got, _ := os.ReadFile(file)
		assert.Equal(t, len(damaged), len(got), "%s: the file is left for the operator", name)
	}

	require.NoError(t, os.WriteFile(file, intact, 0o600))
	require.NoError(t, r.rc.Up())
	r.c.start()
	waitFor(t, 15*time.Second, fmt.Sprintf("the %d queued messages delivered", n), func() bool { return len(r.rc.Delivered()) == n })
}
