package cli

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// deadLetters is an admin endpoint whose upstream refuses everything: a
// replayed message is dead again at once, with a new time of death, and
// another message dies during the replay. Lists are per queue, oldest death
// first, as both stores answer.
type deadLetters struct {
	mu       sync.Mutex
	dead     map[string]listedMessage
	replayed map[string]int
	calls    int
}

func newDeadLetters(queues map[string]int) *deadLetters {
	d := &deadLetters{dead: map[string]listedMessage{}, replayed: map[string]int{}}
	old := time.Now().Add(-time.Hour)
	for q, n := range queues {
		for i := range n {
			id := q + "-" + strconv.Itoa(i)
			d.dead[id] = listedMessage{ID: id, Queue: q, State: "dead", DeadAt: old.Add(time.Duration(i) * time.Millisecond)}
		}
	}
	return d
}

func (d *deadLetters) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.calls++; d.calls > 10_000 {
		http.Error(w, "replaying forever", http.StatusTeapot)
		return
	}
	switch {
	case r.URL.Path == "/webhooks/stats":
		st := map[string]map[string]int{}
		for _, m := range d.dead {
			if st[m.Queue] == nil {
				st[m.Queue] = map[string]int{}
			}
			st[m.Queue]["dead"]++
		}
		_ = json.NewEncoder(w).Encode(map[string]any{"queues": st})
	case r.URL.Path == "/webhooks/messages":
		_ = json.NewEncoder(w).Encode(map[string]any{"messages": d.list(r.URL.Query().Get("queue"), r.URL.Query().Get("limit"))})
	case strings.HasSuffix(r.URL.Path, "/replay"):
		id := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/webhooks/messages/"), "/replay")
		m := d.dead[id]
		d.replayed[id]++
		m.DeadAt = time.Now().Add(2 * time.Second) // refused again, after the command started
		d.dead[id] = m
		if len(d.replayed) == 1 { // a webhook that dies while the replay runs
			d.dead["new"] = listedMessage{ID: "new", Queue: m.Queue, State: "dead", DeadAt: m.DeadAt}
		}
		_ = json.NewEncoder(w).Encode(m)
	default:
		http.NotFound(w, r)
	}
}

func (d *deadLetters) list(queue, limit string) []listedMessage {
	var out []listedMessage
	for _, m := range d.dead {
		if queue == "" || m.Queue == queue {
			out = append(out, m)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Queue != out[j].Queue {
			return out[i].Queue < out[j].Queue
		}
		return out[i].DeadAt.Before(out[j].DeadAt)
	})
	n, _ := strconv.Atoi(limit)
	return out[:min(n, len(out))]
}

// TestReplayAllDeadEnds: --all-dead against an upstream that refuses every
// replay replays each message that was dead when it started exactly once,
// over several pages and queues, leaves alone the one that died meanwhile,
// and returns.
func TestReplayAllDeadEnds(t *testing.T) {
	defer func(n int) { replayPage = n }(replayPage)
	replayPage = 4
	for _, tc := range []struct {
		name   string
		route  string
		queues map[string]int
		want   int
	}{
		{"one queue", "", map[string]int{"a": 3}, 3},
		{"pages and queues", "", map[string]int{"a": 10, "b": 7, "c": 1}, 18},
		{"one route", "b", map[string]int{"a": 10, "b": 7}, 7},
	} {
		t.Run(tc.name, func(t *testing.T) {
			d := newDeadLetters(tc.queues)
			srv := httptest.NewServer(d)
			defer srv.Close()
			f := &adminFlags{address: srv.Listener.Addr().String()}

			n, err := f.replayAllDead(tc.route)
			require.NoError(t, err)
			assert.Equal(t, tc.want, n)
			d.mu.Lock()
			defer d.mu.Unlock()
			assert.Len(t, d.replayed, tc.want)
			for id, times := range d.replayed {
				assert.Equal(t, 1, times, "%s replayed more than once", id)
				assert.NotEqual(t, "new", id, "a message that died after the start was replayed")
				if tc.route != "" {
					assert.True(t, strings.HasPrefix(id, tc.route+"-"), id)
				}
			}
		})
	}
}

func TestRouteQueues(t *testing.T) {
	stats := map[string]queueStats{"github": {}, "github>ci": {}, "github>audit": {}, "githubx>ci": {}, "stripe": {}}
	assert.Equal(t, []string{"github", "github>audit", "github>ci"}, routeQueues("github", stats))
	assert.Equal(t, []string{"github>ci"}, routeQueues("github>ci", stats))
	assert.Equal(t, []string{"none"}, routeQueues("none", stats))
}
