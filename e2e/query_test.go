package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"
)

// queryCaddyfile is one queued route whose messages die at their first
// failed attempt, on the embedded store or (with RedisURL) on Redis.
const queryCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		{{if .RedisURL}}storage redis {{.RedisURL}} {
			key_prefix e2e-query:
		}{{else}}storage embedded{{end}}
	}
}
http://{{.HTTP}} {
	route /hooks/contextfile {
		webhook_inbound {
			name contextfile
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Upstream}} {
				max_attempts 1
			}
		}
	}
}
`

// queryStatuses are the answers of the first attempts, by evt_N's N % 5
// (no 503: it pauses the queue):
// of 20 messages, 12 die of a 5xx, 4 of a 422 and 4 of a 404.
var queryStatuses = []int{500, 504, 422, 404, 502}

func TestQueryReplayAndDeleteEmbedded(t *testing.T) {
	testQueryReplayAndDelete(t, nil)
}

func TestQueryReplayAndDeleteRedis(t *testing.T) {
	srv := redistest.Start(t)
	testQueryReplayAndDelete(t, map[string]any{"RedisURL": srv.URL()})
}

func testQueryReplayAndDelete(t *testing.T, vars map[string]any) {
	rc := newReceiver(t)
	var failing atomic.Bool
	failing.Store(true)
	rc.setAnswer(func(_ int, r *http.Request, _ http.ResponseWriter) int {
		if !failing.Load() {
			return http.StatusOK
		}
		var v struct{ ID string }
		_ = json.NewDecoder(r.Body).Decode(&v)
		var n int
		_, _ = fmt.Sscanf(v.ID, "evt_%d", &n)
		return queryStatuses[n%len(queryStatuses)]
	})
	if vars == nil {
		vars = map[string]any{}
	}
	vars["Upstream"] = rc.URL
	c := startCaddy(t, queryCaddyfile, vars)
	const queueName = "contextfile" // the route's name
	byID := map[string]int{}
	for i := range 20 {
		code, body := c.post("/hooks/contextfile", fmt.Sprintf(`{"id":"evt_%d"}`, i), nil)
		require.Equal(t, http.StatusAccepted, code, body)
		byID[decodeAck(t, body).ID] = queryStatuses[i%len(queryStatuses)]
	}
	waitFor(t, 10*time.Second, "20 dead letters", func() bool { return c.stats().Queues[queueName].Dead == 20 })

	// Strict validation.
	for _, bad := range []string{`{"status":"6xx"}`, `{"since":"yesterday"}`, `{"state":"leased"}`, `{"colour":"red"}`, `{"state":"queued"}`} {
		code, body := adminPost(t, c, "/webhooks/messages/replay", bad)
		assert.Equal(t, http.StatusBadRequest, code, "%s: %s", bad, body)
	}

	// A dry run counts the 5xx ones and changes nothing.
	var dry struct {
		Count int
		IDs   []string
	}
	code, body := adminPost(t, c, "/webhooks/messages/replay", `{"status":"5xx","since":"1h","dry_run":true}`)
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &dry))
	assert.Equal(t, 12, dry.Count)
	assert.Len(t, dry.IDs, 12)
	for _, id := range dry.IDs {
		assert.GreaterOrEqual(t, byID[id], 500, id)
	}
	out, err := webhookCLI(t, "", "replay", "--status", "5xx", "--dry-run", "--address", c.Admin)
	require.NoError(t, err, out)
	assert.Contains(t, out, "12 messages match\n")
	assert.Equal(t, 20, c.stats().Queues[queueName].Dead, "a dry run changes nothing")
	assert.Len(t, rc.deliveries(), 20)

	// A real run replays exactly those, and its job reports done.
	failing.Store(false)
	var started struct {
		Job   string
		Count int
	}
	code, body = adminPost(t, c, "/webhooks/messages/replay", `{"status":"5xx","queue":"`+queueName+`"}`)
	require.Equal(t, http.StatusAccepted, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &started))
	assert.Equal(t, 12, started.Count)
	job := waitJob(t, c, started.Job)
	assert.Equal(t, jobAnswer{State: "done", Total: 12, Done: 12}, job)
	waitFor(t, 10*time.Second, "the 12 replayed delivered", func() bool { return len(rc.deliveries()) == 32 })
	assert.Equal(t, 8, c.stats().Queues[queueName].Dead)
	var list struct{ Messages []struct{ ID string } }
	require.Equal(t, http.StatusOK, c.admin(http.MethodGet, "/webhooks/messages?state=dead", &list))
	for _, m := range list.Messages {
		assert.Less(t, byID[m.ID], 500, "a 4xx one is still dead: %s", m.ID)
	}

	// Delete by query removes only the matching ones.
	code, body = adminPost(t, c, "/webhooks/messages/delete", `{"status":"404"}`)
	require.Equal(t, http.StatusAccepted, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &started))
	assert.Equal(t, 4, started.Count)
	assert.Equal(t, jobAnswer{State: "done", Total: 4, Done: 4}, waitJob(t, c, started.Job))
	require.Equal(t, http.StatusOK, c.admin(http.MethodGet, "/webhooks/messages?state=dead", &list))
	require.Len(t, list.Messages, 4)
	for _, m := range list.Messages {
		assert.Equal(t, 422, byID[m.ID], m.ID)
	}
	assert.Len(t, rc.deliveries(), 32, "nothing delivered by a delete")
	assert.Equal(t, http.StatusNotFound, c.admin(http.MethodGet, "/webhooks/jobs/job_0000000000000000", nil))
}

type jobAnswer struct {
	State               string
	Total, Done, Failed int
}

// waitJob polls a job until it is no longer running.
func waitJob(t *testing.T, c *caddy, id string) jobAnswer {
	t.Helper()
	var j jobAnswer
	waitFor(t, 10*time.Second, "job "+id+" to end", func() bool {
		require.Equal(t, http.StatusOK, c.admin(http.MethodGet, "/webhooks/jobs/"+id, &j))
		return j.State != "running"
	})
	return j
}

// adminPost posts a JSON body to the admin API.
func adminPost(t *testing.T, c *caddy, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+c.Admin+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	return do(t, req)
}

// TestDashboardReplaysMatching: the dead letters' filter narrows the list;
// "Count matching" shows the count first (a dry run), then "Replay N
// matching" starts the job and shows its progress to the end.
func TestDashboardReplaysMatching(t *testing.T) {
	c, rc, id := startDashboard(t, "")
	ctx := browser(t)
	text := func(sel string) string {
		v, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS(sel)))
		require.NoError(t, err)
		return v
	}
	filter := func(status string) {
		_, err := chromedp.Run(ctx, chromedp.Evaluate[bool](`(() => { const el = document.getElementById("filter-status");
			el.value = "`+status+`"; el.dispatchEvent(new Event("input")); return true })()`))
		require.NoError(t, err)
	}
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate("http://"+c.HTTP+"/hookgate/"),
		chromedp.WaitVisible(chromedp.CSS(`#dead tr[data-id="`+id+`"]`)),
	))
	filter("5xx")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitNotPresent(chromedp.CSS(`#dead tr[data-id="`+id+`"]`)), // it died of a 422
		chromedp.Click(chromedp.CSS("#replay-matching")),
	))
	waitFor(t, 5*time.Second, "the count shown", func() bool { return text("#replay-matching") == "Replay 0 matching" })

	rc.setAnswer(nil)
	filter("4xx")
	require.NoError(t, chromedp.Do(ctx,
		chromedp.WaitVisible(chromedp.CSS(`#dead tr[data-id="`+id+`"]`)),
		chromedp.Click(chromedp.CSS("#replay-matching")),
	))
	waitFor(t, 5*time.Second, "the count shown", func() bool { return text("#replay-matching") == "Replay 1 matching" })
	assert.Equal(t, 1, c.stats().Queues[rc.URL].Dead, "counting changes nothing")
	require.NoError(t, chromedp.Do(ctx, chromedp.Click(chromedp.CSS("#replay-matching"))))
	waitFor(t, 10*time.Second, "the replayed message delivered", func() bool { return len(rc.deliveries()) == 2 })
	waitFor(t, 10*time.Second, "the job's end shown", func() bool { return text("#replay-progress") == "replayed 1 of 1" })
}
