package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"
)

// startFanoutExample runs examples/fanout/Caddyfile with its five
// upstreams pointed at receivers of their own.
func startFanoutExample(t *testing.T) (*caddy, map[string]*receiver) {
	t.Helper()
	env := map[string]string{"GITHUB_WEBHOOK_SECRET": secret, "STRIPE_WEBHOOK_SECRET": "whsec_" + secret}
	for k, v := range env {
		t.Setenv(k, v)
		watchSecret(v)
	}
	b, err := os.ReadFile(filepath.Join("..", "examples", "fanout", "Caddyfile"))
	require.NoError(t, err)
	src := strings.NewReplacer(
		"{$HOOKGATE_ADMIN:127.0.0.1:2019}", "{{.Admin}}",
		"{$HOOKGATE_SITE::8080}", "http://{{.HTTP}}",
	).Replace(string(b))
	rcs, vars := map[string]*receiver{}, map[string]any{}
	for i, name := range []string{"CI", "TRACKER", "AUDIT", "BILLING", "ANALYTICS"} {
		from := fmt.Sprintf("{$HOOKGATE_%s:http://127.0.0.1:%d}", name, 9000+i)
		require.Contains(t, src, from)
		src = strings.ReplaceAll(src, from, "{{."+name+"}}")
		rcs[name] = newReceiver(t)
		vars[name] = rcs[name].URL
	}
	return startCaddy(t, src, vars), rcs
}

func githubHook(event, body string) hook {
	return hook{path: "/hooks/github", body: body, header: http.Header{
		"X-GitHub-Event":      {event},
		"X-Hub-Signature-256": {"sha256=" + hexHMAC(secret, body)},
	}}
}

// counts returns how many deliveries each receiver has.
func counts(rcs map[string]*receiver) map[string]int {
	out := map[string]int{}
	for name, rc := range rcs {
		out[name] = len(rc.deliveries())
	}
	return out
}

func TestFanoutGitHubSplitsCITrackerAudit(t *testing.T) {
	c, rcs := startFanoutExample(t)
	push := `{"ref":"refs/heads/main","after":"6113728f","sender":{"login":"octocat","type":"User"}}`
	opened := `{"action":"opened","issue":{"number":1},"sender":{"login":"octocat","type":"User"}}`
	closed := `{"action":"closed","issue":{"number":1},"sender":{"login":"octocat","type":"User"}}`
	bot := `{"ref":"refs/heads/deps","sender":{"login":"dependabot[bot]","type":"Bot"}}`

	for _, tc := range []struct {
		event, body string
		code        int
		status      string
	}{
		{"push", push, http.StatusAccepted, "queued"},
		{"issues", opened, http.StatusAccepted, "queued"},
		{"issues", closed, http.StatusAccepted, "queued"}, // audit only: today's single path
		{"push", bot, http.StatusOK, "filtered"},
		{"push", push, http.StatusOK, "duplicate"}, // a redelivery: deduplicated once for all upstreams
	} {
		code, body, _ := c.send(githubHook(tc.event, tc.body))
		require.Equal(t, tc.code, code, body)
		var a struct{ ID, Status string }
		require.NoError(t, json.Unmarshal([]byte(body), &a), body)
		assert.Equal(t, tc.status, a.Status)
		if tc.status == "filtered" {
			assert.JSONEq(t, `{"status":"filtered"}`, body)
		}
	}
	want := map[string]int{"CI": 1, "TRACKER": 1, "AUDIT": 3, "BILLING": 0, "ANALYTICS": 0}
	waitFor(t, 10*time.Second, "the deliveries", func() bool { return assert.ObjectsAreEqual(want, counts(rcs)) })
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, want, counts(rcs), "nothing more: the bot dropped, the redelivery a duplicate")

	ci, tracker := rcs["CI"].deliveries()[0], rcs["TRACKER"].deliveries()[0]
	assert.Equal(t, push, ci.Body)
	assert.Equal(t, "/hooks/github", ci.URI)
	assert.Empty(t, ci.Header.Get("X-Source"), "header_up is the tracker's")
	assert.Equal(t, opened, tracker.Body)
	assert.Equal(t, "github", tracker.Header.Get("X-Source"))
	assert.Equal(t, "issues", tracker.Header.Get("X-GitHub-Event"), "the sender's headers are kept")
	var audit []string
	for _, d := range rcs["AUDIT"].deliveries() {
		audit = append(audit, d.Body)
		assert.Empty(t, d.Header.Get("X-Source"))
	}
	assert.ElementsMatch(t, []string{push, opened, closed}, audit)
	assert.NotEqual(t, ci.Header.Get("Webhook-Id"), rcs["AUDIT"].deliveries()[0].Header.Get("Webhook-Id"),
		"each delivery has its own id")

	waitFor(t, 5*time.Second, "empty queues", func() bool {
		s := c.stats()
		return s.Queues["github"].Queued+s.Queues["github>tracker"].Queued+s.Queues["github>audit"].Queued == 0
	})
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="filtered",route="github"`))
	assert.Equal(t, 3.0, c.metric("hookgate_received_total", `result="accepted",route="github"`))
	assert.Equal(t, 1.0, c.metric("hookgate_delivery_attempts_total", `code="200",outcome="delivered",queue="github>tracker"`))
}

func stripeHook(body string) hook {
	ts := unix(time.Now())
	return hook{path: "/hooks/stripe", body: body, header: http.Header{
		"Stripe-Signature": {"t=" + ts + ",v1=" + hexHMAC("whsec_"+secret, ts+"."+body)},
	}}
}

func TestFanoutStripeToBillingAndAnalyticsDropsTestMode(t *testing.T) {
	c, rcs := startFanoutExample(t)
	invoice := `{"id":"evt_1","object":"event","type":"invoice.paid","livemode":true,"data":{"object":{"id":"in_1"}}}`
	charge := `{"id":"evt_2","object":"event","type":"charge.succeeded","livemode":true,"data":{"object":{"id":"ch_1"}}}`
	test := `{"id":"evt_3","object":"event","type":"invoice.paid","livemode":false,"data":{"object":{"id":"in_2"}}}`
	for _, tc := range []struct {
		body string
		code int
	}{{invoice, http.StatusAccepted}, {charge, http.StatusAccepted}, {test, http.StatusOK}, {invoice, http.StatusOK}} {
		code, body, _ := c.send(stripeHook(tc.body))
		require.Equal(t, tc.code, code, body)
	}
	want := map[string]int{"CI": 0, "TRACKER": 0, "AUDIT": 0, "BILLING": 2, "ANALYTICS": 1}
	waitFor(t, 10*time.Second, "the deliveries", func() bool { return assert.ObjectsAreEqual(want, counts(rcs)) })
	time.Sleep(300 * time.Millisecond)
	require.Equal(t, want, counts(rcs))
	assert.Equal(t, invoice, rcs["ANALYTICS"].deliveries()[0].Body)
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="filtered",route="stripe"`))
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="duplicate",route="stripe"`))
}

// fanoutCaddyfile is one route fanned out to three upstreams: the tracker
// takes everything (the route's own queue, "fan"), so does audit
// ("fan>audit"), and CI ("fan>ci") the events with "ci": true.
const fanoutCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		{{or .Storage "storage embedded"}}
	}
}
http://{{.HTTP}} {
	route /hooks/fan {
		webhook_inbound {
			name fan
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Tracker}} {
				retry 100ms
				max_attempts 1000
			}
			upstream {{.Audit}} {
				name audit
				retry 100ms
				max_attempts 1000
			}
			upstream {{.CI}} {
				name ci
				when {json.ci} == true
				timeout {{or .CITimeout "2s"}}
				retry 100ms
				max_attempts {{or .CIAttempts 1000}}
				concurrency 16
			}
		}
	}
}
`

// tally is a receiver that answers 500 while down and counts, per JSON
// id, the deliveries it accepted.
type tally struct {
	*receiver
	down atomic.Bool
	hang atomic.Bool // with down: wait 1.5s before answering
	mu   sync.Mutex
	ok   map[string]int
}

func newTally(t *testing.T) *tally {
	tl := &tally{receiver: newReceiver(t), ok: map[string]int{}}
	tl.setAnswer(func(_ int, r *http.Request, _ http.ResponseWriter) int {
		if tl.down.Load() {
			if tl.hang.Load() {
				time.Sleep(1500 * time.Millisecond)
			}
			return http.StatusInternalServerError
		}
		var v struct{ ID string }
		_ = json.NewDecoder(r.Body).Decode(&v)
		tl.mu.Lock()
		tl.ok[v.ID]++
		tl.mu.Unlock()
		return http.StatusOK
	})
	return tl
}

func (tl *tally) counts() map[string]int {
	tl.mu.Lock()
	defer tl.mu.Unlock()
	out := make(map[string]int, len(tl.ok))
	for k, v := range tl.ok {
		out[k] = v
	}
	return out
}

func startFanout(t *testing.T, tracker, audit, ci *tally, vars map[string]any) *caddy {
	all := map[string]any{"Tracker": tracker.URL, "Audit": audit.URL, "CI": ci.URL}
	for k, v := range vars {
		all[k] = v
	}
	return startCaddy(t, fanoutCaddyfile, all)
}

func TestFanoutFailingUpstreamNeverDelaysAnother(t *testing.T) {
	const n = 12
	tracker, audit, ci := newTally(t), newTally(t), newTally(t)
	ci.down.Store(true)
	ci.hang.Store(true) // each attempt outlasts its 1s timeout
	c := startFanout(t, tracker, audit, ci, map[string]any{"CITimeout": "1s", "CIAttempts": 2})
	start := time.Now()
	for i := range n {
		code, body := c.post("/hooks/fan", fmt.Sprintf(`{"id":"evt_%d","ci":true}`, i), nil)
		require.Equal(t, http.StatusAccepted, code, body)
	}
	waitFor(t, 3*time.Second, "the tracker and audit deliveries", func() bool {
		return len(tracker.counts()) == n && len(audit.counts()) == n
	})
	t.Logf("tracker and audit served in %s while CI hangs", time.Since(start).Round(time.Millisecond))
	assert.Empty(t, ci.counts())

	// CI's deliveries die in its own dead-letter queue.
	var dead struct {
		Messages []struct{ ID, Queue, State, Group string }
	}
	waitFor(t, 15*time.Second, "CI's dead letters", func() bool {
		c.admin(http.MethodGet, "/webhooks/messages?state=dead&queue=fan>ci", &dead)
		return len(dead.Messages) == n
	})
	// The embedded store's counts settle just after its commit, which a
	// listing may see first.
	waitFor(t, 2*time.Second, "CI's dead count", func() bool { return c.stats().Queues["fan>ci"].Dead == n })
	assert.Zero(t, c.stats().Queues["fan"].Dead+c.stats().Queues["fan>audit"].Dead)
	m := dead.Messages[0]
	assert.Equal(t, "fan>ci", m.Queue, "the admin API shows the upstream's queue")
	assert.NotEmpty(t, m.Group, "a fanned-out delivery names its group")

	// A replay goes to CI only, body and all.
	ci.down.Store(false)
	require.Equal(t, http.StatusOK, c.admin(http.MethodPost, "/webhooks/messages/"+m.ID+"/replay", nil))
	waitFor(t, 5*time.Second, "the replayed delivery", func() bool { return len(ci.counts()) == 1 })
	time.Sleep(300 * time.Millisecond)
	assert.Len(t, tracker.deliveries(), n, "the tracker got nothing more")
	assert.Len(t, audit.deliveries(), n, "audit got nothing more")
	for id, k := range ci.counts() {
		assert.Equal(t, 1, k, id)
	}
	got := ci.deliveries()
	assert.Regexp(t, `^\{"id":"evt_\d+","ci":true\}$`, got[len(got)-1].Body)

	out, err := webhookCLI(t, "", "messages", "--dead", "--route", "fan", "--address", c.Admin)
	require.NoError(t, err, out)
	assert.Contains(t, out, "fan>ci")
}

// kill -9 with messages queued for three upstreams, one of them down:
// after the restart every upstream that matched gets every message, and
// none twice.
func TestKillNineFanout(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { killNineFanout(t, nil) })
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Start(t)
		killNineFanout(t, map[string]any{"Storage": "storage redis " + srv.URL() + " {\n\t\t\tkey_prefix e2efan:\n\t\t\tlease 2s\n\t\t}"})
	})
}

func killNineFanout(t *testing.T, vars map[string]any) {
	const n = 300
	tracker, audit, ci := newTally(t), newTally(t), newTally(t)
	audit.down.Store(true)
	c := startFanout(t, tracker, audit, ci, vars)
	var wg sync.WaitGroup
	next := make(chan int)
	codes := make([]int, n)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				req := c.request("/hooks/fan", fmt.Sprintf(`{"id":"evt_%d","ci":%t}`, i, i%3 == 0), nil)
				codes[i], _, _ = send(req)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	for i, code := range codes {
		require.Equal(t, http.StatusAccepted, code, "evt_%d", i)
	}
	wantCI := (n + 2) / 3
	waitFor(t, 20*time.Second, "tracker and CI deliveries", func() bool {
		return len(tracker.counts()) == n && len(ci.counts()) == wantCI
	})
	waitFor(t, 5*time.Second, "their queues empty", func() bool {
		s := c.stats()
		return s.Queues["fan"].Queued == 0 && s.Queues["fan>ci"].Queued == 0
	})
	require.Equal(t, n, c.stats().Queues["fan>audit"].Queued, "audit's deliveries wait")

	c.kill()
	audit.down.Store(false)
	c.start()
	waitFor(t, 30*time.Second, "audit's deliveries after the restart", func() bool { return len(audit.counts()) == n })
	time.Sleep(500 * time.Millisecond)
	for name, tl := range map[string]*tally{"tracker": tracker, "audit": audit, "ci": ci} {
		for id, k := range tl.counts() {
			require.Equal(t, 1, k, "%s got %s %d times", name, id, k)
		}
	}
	assert.Len(t, tracker.counts(), n)
	assert.Len(t, ci.counts(), wantCI)
	s := c.stats()
	assert.Zero(t, s.Queues["fan"].Queued+s.Queues["fan>audit"].Queued+s.Queues["fan>ci"].Queued)
	code, body := c.post("/hooks/fan", `{"id":"evt_7","ci":false}`, nil)
	assert.Equal(t, http.StatusOK, code, "the dedupe records survived the crash: %s", body)
}
