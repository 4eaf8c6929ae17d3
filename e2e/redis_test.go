package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"
)

// redisCaddyfile is one queued route on the Redis store. Instances started
// with the same RedisURL and Prefix share dedupe records and the queue.
const redisCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		storage redis {{.RedisURL}} {
			key_prefix {{.Prefix}}
			lease {{or .Lease "2s"}}
			timeout 1s
			{{with .Password}}password {{.}}{{end}}
		}
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
				timeout 10s
				retry 200ms
				max_attempts {{or .MaxAttempts 5}}
				concurrency {{or .Concurrency 16}}
			}
		}
	}
}
`

const redisQueue = "contextfile"

// startRedisCaddy runs an instance on srv, delivering to rc.
func startRedisCaddy(t *testing.T, srv *redistest.Server, rc *receiver, vars map[string]any) *caddy {
	t.Helper()
	all := map[string]any{"RedisURL": srv.URL(), "Prefix": "e2e:", "Upstream": rc.URL}
	for k, v := range vars {
		all[k] = v
	}
	return startCaddy(t, redisCaddyfile, all)
}

// sendPair sends body to a and b at once and returns both status codes.
func sendPair(a, b *caddy, body string) (int, int) {
	var wg sync.WaitGroup
	var ca, cb int
	wg.Go(func() { ca = postCode(a, body) })
	wg.Go(func() { cb = postCode(b, body) })
	wg.Wait()
	return ca, cb
}

// postCode is post without testify, for use off the test goroutine.
func postCode(c *caddy, body string) int {
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.HTTP+"/hooks/contextfile", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Webhook-Signature", sign(body))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// deliveryAttempts counts an instance's delivery attempts in its log.
func deliveryAttempts(c *caddy) int { return strings.Count(c.logs(), `"msg":"delivery attempt"`) }

func TestRedisTwoInstancesShareDedupeAndQueue(t *testing.T) {
	const n = 2000
	srv := redistest.Start(t)
	rc := newReceiver(t)
	a, b := startRedisCaddy(t, srv, rc, nil), startRedisCaddy(t, srv, rc, nil)

	codes := make([][2]int, n)
	var wg sync.WaitGroup
	next := make(chan int)
	for range 16 {
		wg.Go(func() {
			for i := range next {
				first, second := a, b
				if i%2 == 1 { // spread: half start at each instance
					first, second = b, a
				}
				c1, c2 := sendPair(first, second, fmt.Sprintf(`{"id":"evt_%d"}`, i))
				codes[i] = [2]int{c1, c2}
			}
		})
	}
	start := time.Now()
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
	t.Logf("%d webhooks sent twice in %s", n, time.Since(start).Round(time.Millisecond))
	for i, c := range codes {
		accepted := (c[0] == http.StatusAccepted) != (c[1] == http.StatusAccepted)
		duplicate := c[0] == http.StatusOK || c[1] == http.StatusOK
		require.True(t, accepted && duplicate, "evt_%d: want one 202 and one 200, got %v", i, c)
	}

	waitFor(t, 60*time.Second, "every webhook delivered", func() bool { return len(rc.deliveredIDs()) == n })
	time.Sleep(1500 * time.Millisecond) // a second delivery would show by now
	for id, count := range rc.deliveredIDs() {
		require.Equal(t, 1, count, "%s delivered %d times", id, count)
	}
	waitFor(t, 5*time.Second, "an empty queue", func() bool { return b.stats().Queues[redisQueue].Queued == 0 })
	assert.Positive(t, deliveryAttempts(a), "instance A delivers")
	assert.Positive(t, deliveryAttempts(b), "instance B delivers")
}

// slowReceiver answers after delay; it counts each request started and
// each one answered, by Webhook-Id. A request whose sender died is not
// answered (its connection closes first).
type slowReceiver struct {
	*receiver
	mu        sync.Mutex
	started   map[string]int
	completed map[string]int
}

func newSlowReceiver(t *testing.T, delay time.Duration) *slowReceiver {
	s := &slowReceiver{receiver: newReceiver(t), started: map[string]int{}, completed: map[string]int{}}
	s.setAnswer(func(_ int, r *http.Request, _ http.ResponseWriter) int {
		id := r.Header.Get("Webhook-Id")
		s.count(s.started, id)
		select {
		case <-time.After(delay):
			s.count(s.completed, id)
		case <-r.Context().Done():
		}
		return http.StatusOK
	})
	return s
}

func (s *slowReceiver) count(m map[string]int, id string) {
	s.mu.Lock()
	m[id]++
	s.mu.Unlock()
}

func (s *slowReceiver) snapshot() (started, completed map[string]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	copyOf := func(m map[string]int) map[string]int {
		out := make(map[string]int, len(m))
		for k, v := range m {
			out[k] = v
		}
		return out
	}
	return copyOf(s.started), copyOf(s.completed)
}

func TestRedisKilledInstanceLeasesAreTakenOver(t *testing.T) {
	const n, lease, delay = 10, 2 * time.Second, 3500 * time.Millisecond
	srv := redistest.Start(t)
	rc := newSlowReceiver(t, delay)
	a := startRedisCaddy(t, srv, rc.receiver, nil)
	b := startRedisCaddy(t, srv, rc.receiver, nil)
	for i := range n {
		code, body := a.post("/hooks/contextfile", fmt.Sprintf(`{"id":"evt_k%d"}`, i), nil)
		require.Equal(t, http.StatusAccepted, code, body)
	}
	waitFor(t, 5*time.Second, "every delivery under way", func() bool {
		started, _ := rc.snapshot()
		return len(started) == n
	})
	// The deliveries outlast the lease: A renews it, so B must not start
	// them a second time.
	time.Sleep(lease + 500*time.Millisecond)
	started, completed := rc.snapshot()
	require.Empty(t, completed, "still in flight")
	for id, c := range started {
		require.Equal(t, 1, c, "%s started twice while its first delivery was alive", id)
	}
	assert.Equal(t, n, b.stats().Queues[redisQueue].InFlight, "B sees A's leases")

	a.kill()
	waitFor(t, lease+delay+10*time.Second, "B delivers A's messages", func() bool {
		_, completed := rc.snapshot()
		return len(completed) == n
	})
	started, completed = rc.snapshot()
	for id := range started {
		assert.Equal(t, 1, completed[id], "%s answered once", id)
		assert.Equal(t, 2, started[id], "%s: A's attempt died with A, B's went through", id)
	}
	waitFor(t, 5*time.Second, "an empty queue", func() bool { return b.stats().Queues[redisQueue].Queued == 0 })
}

// redisPassword guards the Redis of the outage test; like secret, it must
// never reach a log line or an answer.
const redisPassword = "redis_e2e_Qw7pL2xN9vR4"

func TestRedisOutageAnswers503AndRecovers(t *testing.T) {
	srv := redistest.Start(t, "--requirepass", redisPassword)
	t.Setenv("HOOKGATE_E2E_REDIS_PASSWORD", redisPassword) // inherited by Caddy
	rc := newReceiver(t)
	c := startRedisCaddy(t, srv, rc, map[string]any{"Password": "{env.HOOKGATE_E2E_REDIS_PASSWORD}"})
	t.Cleanup(func() {
		assert.NotContains(t, c.logs(), redisPassword, "the Redis password reached Caddy's log")
	})
	code, body := c.post("/hooks/contextfile", `{"id":"evt_before"}`, nil)
	require.Equal(t, http.StatusAccepted, code, body)

	srv.Stop()
	for i := range 3 {
		start := time.Now()
		resp, err := http.DefaultClient.Do(signed(c, "/hooks/contextfile", fmt.Sprintf(`{"id":"evt_down%d"}`, i), sign(fmt.Sprintf(`{"id":"evt_down%d"}`, i)))())
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusServiceUnavailable, resp.StatusCode, "never a 2xx for a message not stored")
		assert.NotEmpty(t, resp.Header.Get("Retry-After"))
		assert.Less(t, time.Since(start), 3*time.Second, "fails fast")
	}

	require.NoError(t, srv.Restart())
	waitFor(t, 15*time.Second, "inbound recovers", func() bool { return postCode(c, `{"id":"evt_down0"}`) == http.StatusAccepted })
	waitFor(t, 10*time.Second, "both delivered", func() bool {
		ids := rc.deliveredIDs()
		return ids["evt_before"] == 1 && ids["evt_down0"] == 1
	})
	assert.Contains(t, c.logs(), `"result":"unavailable"`)
	var cfg map[string]any
	require.Equal(t, http.StatusOK, c.admin(http.MethodGet, "/config/", &cfg))
	assert.NotContains(t, fmt.Sprint(cfg), redisPassword, "the config holds the placeholder only")
}

func TestRedisAdminOfAnyInstanceReplaysDead(t *testing.T) {
	srv := redistest.Start(t)
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ *http.Request, _ http.ResponseWriter) int {
		if n == 1 {
			return http.StatusBadRequest // not retried: dead at once
		}
		return http.StatusOK
	})
	a := startRedisCaddy(t, srv, rc, nil)
	b := startRedisCaddy(t, srv, rc, nil)
	code, body := a.post("/hooks/contextfile", `{"id":"evt_dead"}`, nil)
	require.Equal(t, http.StatusAccepted, code, body)
	id := decodeAck(t, body).ID

	var list struct{ Messages []struct{ ID, State string } }
	waitFor(t, 10*time.Second, "the message in B's dead-letter list", func() bool {
		require.Equal(t, http.StatusOK, b.admin(http.MethodGet, "/webhooks/messages?state=dead", &list))
		return len(list.Messages) == 1
	})
	assert.Equal(t, id, list.Messages[0].ID)
	assert.Equal(t, 1, b.stats().Queues[redisQueue].Dead)

	require.Equal(t, http.StatusOK, b.admin(http.MethodPost, "/webhooks/messages/"+id+"/replay", nil))
	waitFor(t, 10*time.Second, "the replayed message delivered", func() bool { return len(rc.deliveries()) == 2 })
	waitFor(t, 5*time.Second, "nothing left", func() bool {
		st := a.stats().Queues[redisQueue]
		return st.Dead == 0 && st.Queued == 0
	})
	assert.Equal(t, http.StatusNotFound, b.admin(http.MethodGet, "/webhooks/messages/"+id, nil), "delivered: gone")
}
