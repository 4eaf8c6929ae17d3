package cli

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestReplayByQuery: the flags become the admin API's filter; a dry run
// prints the count and ids; a real run follows the job in plain lines (not
// a terminal) to its end, and a failed job is an error.
func TestReplayByQuery(t *testing.T) {
	defer func(d time.Duration) { pollEvery = d }(pollEvery)
	pollEvery = time.Millisecond
	var mu sync.Mutex
	var got map[string]any
	polls, final := 0, "done"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		switch r.URL.Path {
		case "/webhooks/messages/replay":
			got = nil
			assert.NoError(t, json.NewDecoder(r.Body).Decode(&got))
			if got["dry_run"] == true {
				_, _ = w.Write([]byte(`{"count":3,"ids":["msg_1","msg_2","msg_3"]}`))
				return
			}
			polls = 0
			w.WriteHeader(http.StatusAccepted)
			_, _ = w.Write([]byte(`{"job":"job_1","count":3}`))
		case "/webhooks/jobs/job_1":
			polls++
			st := map[string]any{"state": "running", "total": 3, "done": min(polls, 3)}
			if polls > 3 {
				st["state"] = final
				st["error"] = "store closed"
			}
			_ = json.NewEncoder(w).Encode(st)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	run := func(args ...string) (string, error) {
		cmd := replayCommand()
		var out bytes.Buffer
		cmd.SetOut(&out)
		cmd.SetArgs(append(args, "--address", srv.Listener.Addr().String()))
		err := cmd.Execute()
		return out.String(), err
	}

	out, err := run("--status", "5xx", "--since", "2h", "--dry-run")
	require.NoError(t, err)
	assert.Equal(t, "3 messages match\nmsg_1\nmsg_2\nmsg_3\n", out)
	assert.Equal(t, map[string]any{"status": "5xx", "since": "2h", "dry_run": true}, got)

	out, err = run("--queue", "q", "--state", "dead", "--rate", "50/s", "--error", "refused")
	require.NoError(t, err)
	assert.Equal(t, map[string]any{"queue": "q", "state": "dead", "rate": "50/s", "error": "refused"}, got)
	assert.Equal(t, "replay: 1/3 (0 failed)\nreplay: 2/3 (0 failed)\nreplay: 3/3 (0 failed)\nreplay: 3/3 (0 failed)\n"+
		"replayed 3 of 3 messages (job job_1, 0 failed)\n", out)

	mu.Lock()
	final = "failed"
	mu.Unlock()
	_, err = run("--status", "503")
	require.ErrorContains(t, err, "job job_1 failed: store closed")

	_, err = run("msg_1", "--status", "503")
	require.ErrorContains(t, err, "takes no message id")
}
