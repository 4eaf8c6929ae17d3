package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// chromium finds a headless-capable Chromium: $HOOKGATE_CHROMIUM, else one
// on the PATH. Missing, the test skips, except under CI=true.
func chromium(t *testing.T) string {
	if p := os.Getenv("HOOKGATE_CHROMIUM"); p != "" {
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("CI") == "true" {
		t.Fatal("chromium is missing (make test installs Debian's package when it may)")
	}
	t.Skip("chromium is missing: install Debian's chromium package or set HOOKGATE_CHROMIUM")
	return ""
}

// browser starts a headless Chromium for the test. The flags keep it off
// the network: this machine refuses its background connections.
func browser(t *testing.T) context.Context {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(chromium(t)),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.WindowSize(1280, 900),
	)
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(alloc)
	ctx, cancelTimeout := context.WithTimeout(ctx, 60*time.Second)
	t.Cleanup(func() { cancelTimeout(); cancelCtx(); cancelAlloc() })
	return ctx
}

// artifact is where a test keeps a file for people to look at after the
// run: $HOOKGATE_ARTIFACTS, else bin/artifacts.
func artifact(t *testing.T, name string) string {
	dir := os.Getenv("HOOKGATE_ARTIFACTS")
	if dir == "" {
		dir = filepath.Join("..", "bin", "artifacts")
	}
	require.NoError(t, os.MkdirAll(dir, 0o755))
	return filepath.Join(dir, name)
}

// TestDashboardReplaysADeadLetter loads the dashboard with a queued and two
// dead messages and some delivered load, sees the last hour charted,
// clicks Replay on one, and expects it delivered.
func TestDashboardReplaysADeadLetter(t *testing.T) {
	ctx := browser(t)
	rc := newReceiver(t)
	healed := make(chan struct{})
	rc.setAnswer(func(_ int, r *http.Request, _ http.ResponseWriter) int {
		body, _ := io.ReadAll(r.Body)
		select {
		case <-healed:
			return http.StatusOK
		default:
		}
		if strings.Contains(string(body), "evt_load") {
			return http.StatusOK
		}
		if strings.Contains(string(body), "evt_wait") {
			return http.StatusServiceUnavailable // retried in an hour: stays queued
		}
		return http.StatusUnprocessableEntity // dead at once
	})
	c := startInbound(t, rc, map[string]any{"Retry": "1h"})
	var dead []string
	for _, id := range []string{"evt_dead_1", "evt_dead_2", "evt_wait"} {
		code, resp := c.post("/hooks/contextfile", `{"id":"`+id+`"}`, nil)
		require.Equal(t, http.StatusAccepted, code)
		if strings.HasPrefix(id, "evt_dead") {
			dead = append(dead, decodeAck(t, resp).ID)
		}
	}
	for i := range 20 {
		code, _ := c.post("/hooks/contextfile", fmt.Sprintf(`{"id":"evt_load_%d"}`, i), nil)
		require.Equal(t, http.StatusAccepted, code)
	}
	waitFor(t, 5*time.Second, "two dead letters", func() bool { return c.stats().Queues[rc.URL].Dead == 2 })
	waitFor(t, 5*time.Second, "the load delivered", func() bool { return len(rc.deliveries()) >= 20 })

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Navigate("http://"+c.HTTP+"/hookgate/"),
		chromedp.WaitVisible(chromedp.CSS("#replay-"+dead[0])),
		chromedp.WaitVisible(chromedp.CSS("#attempts tbody tr")),
		chromedp.WaitVisible(chromedp.CSS("#charts svg.chart rect.bar.delivered")),
	))
	// The charts: bars of non-zero height for each kind of count, and the
	// sampled depth as a dot.
	drawn, err := chromedp.Run(ctx, chromedp.Evaluate[map[string]float64](`(() => {
		const out = {};
		for (const k of ["received", "delivered", "failed"]) {
			out[k] = [...document.querySelectorAll("#charts svg.chart rect.bar." + k)]
				.reduce((s, r) => s + r.getBBox().height, 0);
		}
		out.depth = document.querySelectorAll("#charts svg.chart circle.depth").length;
		out.charts = document.querySelectorAll("#charts svg.chart").length;
		return out;
	})()`))
	require.NoError(t, err)
	assert.Equal(t, 1.0, drawn["charts"], "one chart per queue")
	for _, k := range []string{"received", "delivered", "failed", "depth"} {
		assert.Positive(t, drawn[k], k)
	}
	var series struct {
		Minutes int
		Queues  map[string]struct{ Received, Delivered, Failed []int }
	}
	require.NoError(t, json.Unmarshal([]byte(dashboardGet(t, c, "series")), &series))
	q := series.Queues[rc.URL]
	require.Len(t, q.Received, 60)
	sum := func(s []int) (n int) {
		for _, v := range s {
			n += v
		}
		return n
	}
	assert.Equal(t, 23, sum(q.Received))
	assert.GreaterOrEqual(t, sum(q.Delivered), 20)
	assert.GreaterOrEqual(t, sum(q.Failed), 3, "two dead, one to retry")
	queues, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#queues tbody")))
	require.NoError(t, err)
	status, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#status")))
	require.NoError(t, err)
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(artifact(t, "dashboard.png"), png, 0o644))
	assert.Contains(t, queues, rc.URL)
	assert.Contains(t, status, "updated", "the page read the admin API without an error")

	close(healed)
	before := len(rc.deliveries())
	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#replay-"+dead[0])),
		chromedp.WaitNotPresent(chromedp.CSS("#replay-"+dead[0])),
	))
	waitFor(t, 5*time.Second, "the replayed message delivered", func() bool {
		for _, d := range rc.deliveries()[before:] {
			if d.Header.Get("Webhook-Id") == dead[0] {
				return true
			}
		}
		return false
	})
	// The receiver sees the delivery before the worker records it: wait
	// for the store to settle rather than read it at once.
	waitFor(t, 5*time.Second, "the replayed message off the queue", func() bool {
		return c.stats().Queues[rc.URL].Queued == 1
	})
	st := c.stats().Queues[rc.URL]
	assert.Equal(t, 1, st.Dead, "the other dead letter stays")
	assert.Equal(t, 1, st.Queued, "the waiting message stays queued")

	require.NoError(t, chromedp.Do(ctx,
		chromedp.Click(chromedp.CSS("#delete-"+dead[1])),
		chromedp.WaitNotPresent(chromedp.CSS("#delete-"+dead[1])),
	))
	assert.Equal(t, 0, c.stats().Queues[rc.URL].Dead)
}

// The dashboard's files are served with a strict content policy, and its
// API refuses state changes that do not come from the page.
func TestDashboardServesItsFilesAndGuardsItsAPI(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusUnprocessableEntity })
	c := startInbound(t, rc, nil)
	base := "http://" + c.HTTP + "/hookgate/"
	for _, path := range []string{"", "app.js", "style.css"} {
		resp, err := http.Get(base + path)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusOK, resp.StatusCode, path)
		assert.Contains(t, resp.Header.Get("Content-Security-Policy"), "default-src 'self'", path)
	}
	resp, err := http.Get(base + "nothing.js")
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusNotFound, resp.StatusCode)

	code, ack := c.post("/hooks/contextfile", `{"id":"evt_csrf"}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	id := decodeAck(t, ack).ID
	waitFor(t, 5*time.Second, "a dead letter", func() bool { return c.stats().Queues[rc.URL].Dead == 1 })

	replay := func(header map[string]string) int {
		req, err := http.NewRequest(http.MethodPost, base+"api/messages/"+id+"/replay", nil)
		require.NoError(t, err)
		for k, v := range header {
			req.Header.Set(k, v)
		}
		code, _ := do(t, req)
		return code
	}
	assert.Equal(t, http.StatusForbidden, replay(nil), "a plain form post")
	assert.Equal(t, http.StatusForbidden, replay(map[string]string{"X-Hookgate-Dashboard": "1", "Sec-Fetch-Site": "cross-site"}))
	assert.Equal(t, 1, c.stats().Queues[rc.URL].Dead)
	assert.Equal(t, http.StatusForbidden, replay(map[string]string{"X-Hookgate-Dashboard": "1"}), "no Origin nor Referer")
	assert.Equal(t, 1, c.stats().Queues[rc.URL].Dead)
	assert.Equal(t, http.StatusOK, replay(map[string]string{"X-Hookgate-Dashboard": "1", "Origin": "http://" + c.HTTP}))

	var attempts struct {
		Attempts []struct{ ID, Outcome string }
	}
	code, body := do(t, mustRequest(t, http.MethodGet, base+"api/attempts"))
	require.Equal(t, http.StatusOK, code, body)
	require.NoError(t, json.Unmarshal([]byte(body), &attempts))
	require.NotEmpty(t, attempts.Attempts)
	assert.Equal(t, id, attempts.Attempts[len(attempts.Attempts)-1].ID)
	assert.Equal(t, "dead", attempts.Attempts[len(attempts.Attempts)-1].Outcome)
}

func mustRequest(t *testing.T, method, url string) *http.Request {
	req, err := http.NewRequest(method, url, nil)
	require.NoError(t, err)
	return req
}

// dashboardCaddyfile serves the dashboard the way the README shows it: a
// site without a host name, bound to loopback, so every Host reaches it
// and only the dashboard's own check refuses a rebinding name.
const dashboardCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		storage embedded
	}
}
:{{.Port}} {
	bind 127.0.0.1
	route /hooks/contextfile {
		webhook_inbound {
			verify hmac {
				header X-Webhook-Signature
				algorithm sha256
				encoding hex
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Upstream}} {
				retry 100ms
			}
		}
	}
	route /hookgate/* {
		webhook_dashboard {{.Dashboard}}
	}
}
`

// startDashboard runs dashboardCaddyfile with the dashboard's options
// block and one dead letter in the queue, whose id it returns.
func startDashboard(t *testing.T, options string) (*caddy, *receiver, string) {
	rc := newReceiver(t)
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusUnprocessableEntity })
	c := startCaddy(t, dashboardCaddyfile, map[string]any{"Upstream": rc.URL, "Dashboard": options})
	code, ack := c.post("/hooks/contextfile", `{"id":"evt_dash"}`, nil)
	require.Equal(t, http.StatusAccepted, code, ack)
	waitFor(t, 5*time.Second, "a dead letter", func() bool { return c.stats().Queues[rc.URL].Dead == 1 })
	return c, rc, decodeAck(t, ack).ID
}

// dashboardRequest sends method to the dashboard path with the given Host
// header, as the page's script would (its header, Origin = that host).
func dashboardRequest(t *testing.T, c *caddy, method, host, path string) int {
	req, err := http.NewRequest(method, "http://"+c.HTTP+"/hookgate/"+path, nil)
	require.NoError(t, err)
	req.Host = host
	if method != http.MethodGet {
		req.Header.Set("X-Hookgate-Dashboard", "1")
		req.Header.Set("Origin", "http://"+host)
	}
	code, _ := do(t, req)
	return code
}

// TestDashboardRefusesARebindingHost: a page whose DNS name was rebound to
// 127.0.0.1 sends Host: evil.example (and, same-origin, that Origin); the
// dashboard refuses its reads and writes, and answers loopback names.
func TestDashboardRefusesARebindingHost(t *testing.T) {
	c, rc, id := startDashboard(t, "")
	_, port, _ := strings.Cut(c.HTTP, ":")
	evil := "evil.example:" + port
	for _, path := range []string{"", "app.js", "api/stats", "api/messages?state=dead"} {
		assert.Equal(t, http.StatusForbidden, dashboardRequest(t, c, http.MethodGet, evil, path), "GET %s", path)
		assert.Equal(t, http.StatusOK, dashboardRequest(t, c, http.MethodGet, "127.0.0.1:"+port, path), "GET %s", path)
		assert.Equal(t, http.StatusOK, dashboardRequest(t, c, http.MethodGet, "localhost:"+port, path), "GET %s", path)
	}
	assert.Equal(t, http.StatusForbidden, dashboardRequest(t, c, http.MethodPost, evil, "api/messages/"+id+"/replay"))
	assert.Equal(t, http.StatusForbidden, dashboardRequest(t, c, http.MethodDelete, evil, "api/messages/"+id))
	assert.Equal(t, http.StatusForbidden, dashboardRequest(t, c, http.MethodPost, evil, "api/endpoints"))
	assert.Equal(t, 1, c.stats().Queues[rc.URL].Dead, "the dead letter is untouched")

	assert.Equal(t, http.StatusOK, dashboardRequest(t, c, http.MethodPost, "127.0.0.1:"+port, "api/messages/"+id+"/replay"))
	assert.Equal(t, http.StatusNoContent, dashboardRequest(t, c, http.MethodDelete, "127.0.0.1:"+port, "api/messages/"+id))
}

// TestDashboardReadOnly: read_only refuses replay and delete from the page
// itself, still answers reads, and the page shows no button.
func TestDashboardReadOnly(t *testing.T) {
	c, rc, id := startDashboard(t, "{\n\t\t\tread_only\n\t\t}")
	host := c.HTTP
	assert.Equal(t, http.StatusOK, dashboardRequest(t, c, http.MethodGet, host, "api/messages?state=dead"))
	assert.Equal(t, http.StatusForbidden, dashboardRequest(t, c, http.MethodPost, host, "api/messages/"+id+"/replay"))
	assert.Equal(t, http.StatusForbidden, dashboardRequest(t, c, http.MethodDelete, host, "api/messages/"+id))
	assert.Equal(t, 1, c.stats().Queues[rc.URL].Dead, "the dead letter is untouched")

	t.Run("the page shows no button", func(t *testing.T) {
		ctx := browser(t)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate("http://"+host+"/hookgate/"),
			chromedp.WaitVisible(chromedp.CSS(`#dead tr[data-id="`+id+`"]`)),
			chromedp.WaitVisible(chromedp.CSS("#read-only")),
		))
		buttons, err := chromedp.Run(ctx, chromedp.Evaluate[int](`document.querySelectorAll("button").length`))
		require.NoError(t, err)
		assert.Zero(t, buttons)
	})
}

// dashboardGet reads path of the dashboard's api/ as the page does.
func dashboardGet(t *testing.T, c *caddy, path string) string {
	t.Helper()
	code, body := do(t, mustRequest(t, http.MethodGet, "http://"+c.HTTP+"/hookgate/api/"+path))
	require.Equal(t, http.StatusOK, code, "%s: %s", path, body)
	return body
}

// TestDashboardShowsURLsAsSchemeAndHost: the dashboard is a page that gets
// screen-shared, and a capability URL (Slack's, Discord's) holds its token
// in its path or query. An endpoint created with such a URL, a message to
// it and one to such a destination (destination_header) are listed through
// the dashboard's api/ with scheme and host only;
// the admin API, the operator's control plane, shows them whole.
func TestDashboardShowsURLsAsSchemeAndHost(t *testing.T) {
	ra, hold := newReceiver(t), newReceiver(t)
	hold.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusUnprocessableEntity })
	c := startOutbound(t, fanOutRoutes+headerRoute+"\n\troute /hookgate/* {\n\t\twebhook_dashboard\n\t}\n",
		map[string]any{"A": ra.URL, "B": ra.URL})
	const capability = "/services/T0/B0/SECRETTOKEN?x=1"
	code, text := adminJSON(t, c, http.MethodPost, "/webhooks/endpoints",
		map[string]any{"route": "events", "id": "slack", "url": hold.URL + capability, "events": []string{"user.*"}}, nil)
	require.Equal(t, http.StatusCreated, code, text)
	code, ans := emit(t, c, "/events", `{"type":"user.created"}`, nil)
	require.Equal(t, http.StatusAccepted, code, ans)
	code, ans = emit(t, c, "/emit", `{"n":1}`, map[string]string{"Webhook-Destination": hold.URL + capability})
	require.Equal(t, http.StatusAccepted, code, ans)
	waitFor(t, 5*time.Second, "two dead letters", func() bool {
		q := c.stats().Queues
		return q["outbound:events:slack"].Dead == 1 && q["outbound:byheader"].Dead == 1
	})

	var shown []string
	for _, path := range []string{"endpoints", "endpoints/slack", "messages?state=dead"} {
		shown = append(shown, dashboardGet(t, c, path))
	}
	page := strings.Join(shown, "\n")
	assert.Equal(t, 3, strings.Count(page, `"url":"`+hold.URL+`"`), "scheme://host: the endpoint twice, the message to a destination")
	assert.Contains(t, page, `"queue":"outbound:events:slack"`, "the message to the endpoint is listed")
	assert.Contains(t, page, `"url":""`, "it carries no URL of its own (its endpoint's is used)")
	for _, part := range []string{"SECRETTOKEN", "/services/", "x=1"} {
		assert.NotContains(t, page, part)
	}

	var admin []string
	for _, path := range []string{"/webhooks/endpoints", "/webhooks/endpoints/slack", "/webhooks/messages?state=dead"} {
		_, text := adminJSON(t, c, http.MethodGet, path, nil, nil)
		admin = append(admin, text)
	}
	all := strings.Join(admin, "\n")
	assert.Contains(t, all, `"url":"`+hold.URL+`/services/T0/B0/SECRETTOKEN?x=1"`, "the admin API shows the URL whole")
	assert.Equal(t, 3, strings.Count(all, "SECRETTOKEN"), "both endpoint answers and the message to a destination")
}
