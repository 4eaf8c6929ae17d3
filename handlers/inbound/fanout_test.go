package inbound

import (
	"net/http"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
)

// fanout provisions the GitHub route: drop bots; CI takes pushes,
// the tracker opened/reopened issues, audit everything.
func fanout(t *testing.T, h *Handler) *fakeBackend {
	t.Helper()
	fb := &fakeBackend{}
	h.Name = "github"
	h.Drop = `{json.sender.type} == "Bot"`
	h.Upstreams = []*Upstream{
		{Policy: delivery.Policy{URL: "http://127.0.0.1:9000"}, Name: "ci", When: `{header.X-GitHub-Event} == "push"`},
		{Policy: delivery.Policy{URL: "http://127.0.0.1:9001"}, When: `{json.action} in ["opened", "reopened"]`},
		{Policy: delivery.Policy{URL: "http://127.0.0.1:9002/audit/"}},
	}
	require.NoError(t, h.provision(fb, zap.NewNop()))
	require.NoError(t, h.Validate())
	h.now = func() time.Time { return testNow }
	return fb
}

func TestFanoutQueues(t *testing.T) {
	h := &Handler{}
	fb := fanout(t, h)
	assert.Equal(t, []string{"github", "github>127.0.0.1:9001", "github>127.0.0.1:9002/audit"}, fb.queues,
		"the first upstream keeps the route's queue; the others are named after their name or URL")
}

func TestFanoutRouting(t *testing.T) {
	none := signature.Config{}
	event := func(e string) http.Header { return http.Header{"X-Github-Event": {e}} }
	for _, tc := range []struct {
		name   string
		body   string
		hdr    http.Header
		code   int
		queues []string // of the stored deliveries; nil: filtered
	}{
		{"push: CI and audit", `{"ref":"main"}`, event("push"), http.StatusAccepted, []string{"github", "github>127.0.0.1:9002/audit"}},
		{"issue opened: tracker and audit", `{"action":"opened"}`, event("issues"), http.StatusAccepted, []string{"github>127.0.0.1:9001", "github>127.0.0.1:9002/audit"}},
		{"issue closed: audit only", `{"action":"closed"}`, event("issues"), http.StatusAccepted, []string{"github>127.0.0.1:9002/audit"}},
		{"bot: dropped", `{"action":"opened","sender":{"type":"Bot"}}`, event("push"), http.StatusOK, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{}
			fb := fanout(t, h)
			w := send(t, h, none, "", testNow, http.MethodPost, "/hooks/github", tc.body, tc.hdr)
			require.Equal(t, tc.code, w.Code, w.Body.String())
			var got []string
			var ms []*queue.Message
			switch {
			case len(fb.groups) == 1:
				ms = fb.groups[0]
			case len(fb.enqueued) == 1:
				ms = fb.enqueued
			}
			for _, m := range ms {
				got = append(got, m.Queue)
				assert.Equal(t, tc.body, string(m.Body))
			}
			assert.Equal(t, tc.queues, got)
			if tc.queues == nil {
				assert.JSONEq(t, `{"status":"filtered"}`, w.Body.String())
				assert.Equal(t, []string{resultFiltered}, fb.results)
				assert.Empty(t, fb.keys, "a filtered webhook claims no key")
			} else {
				assert.Equal(t, []string{resultAccepted}, fb.results)
			}
			if len(ms) == 2 {
				assert.Equal(t, "http://127.0.0.1:9002/audit/", ms[1].URL)
				assert.NotEqual(t, ms[0].ID, ms[1].ID)
			}
		})
	}
}

// A filter that fails at run time takes the webhook for no match: counted
// each time, and the route goes on (here, the audit upstream takes it).
func TestFanoutFilterError(t *testing.T) {
	h := &Handler{}
	fb := fanout(t, h)
	h.Drop = "{json.n} > 3"
	require.NoError(t, h.provision(fb, zap.NewNop()))
	h.now = func() time.Time { return testNow }
	for range 3 {
		w := send(t, h, signature.Config{}, "", testNow, http.MethodPost, "/hooks/github", `{"n":"x"}`, nil)
		require.Equal(t, http.StatusAccepted, w.Code)
	}
	assert.Equal(t, 3, fb.filterErrors, "a string compared with a number")
	assert.Len(t, fb.enqueued, 3)
}

// A duplicate of a fanned-out webhook stores nothing.
func TestFanoutDuplicate(t *testing.T) {
	h := &Handler{Dedupe: "{json.id}"}
	fb := fanout(t, h)
	for range 2 {
		send(t, h, signature.Config{}, "", testNow, http.MethodPost, "/", `{"id":"e1","action":"opened"}`, nil)
	}
	assert.Len(t, fb.groups, 1)
	assert.Equal(t, []string{resultAccepted, resultDuplicate}, fb.results)
}

// With ack within, a webhook that one upstream takes is tried at once
// (the upstream's answer passes through); with several, the answer is 202.
func TestFanoutAckWithin(t *testing.T) {
	h := &Handler{AckWithin: caddy.Duration(time.Second)}
	fb := fanout(t, h)
	fb.now = delivery.NowResult{Done: true, Outcome: delivery.Delivered, Reply: &delivery.Reply{Status: http.StatusCreated}}
	w := send(t, h, signature.Config{}, "", testNow, http.MethodPost, "/", `{"action":"closed"}`, nil)
	assert.Equal(t, http.StatusCreated, w.Code, "one upstream: its answer")
	w = send(t, h, signature.Config{}, "", testNow, http.MethodPost, "/", `{"action":"opened"}`, nil)
	assert.Equal(t, http.StatusAccepted, w.Code, "two upstreams: 202")
}

func TestFanoutConfigErrors(t *testing.T) {
	up := func(url, name string) *Upstream { return &Upstream{Policy: delivery.Policy{URL: url}, Name: name} }
	for _, tc := range []struct {
		name string
		h    *Handler
		err  string
	}{
		{"both", &Handler{Upstream: up("http://a", ""), Upstreams: []*Upstream{up("http://b", "")}}, "not both"},
		{"same name", &Handler{Upstreams: []*Upstream{up("http://a", "x"), up("http://b", "x")}}, `named "x"`},
		{"same URL", &Handler{Upstreams: []*Upstream{up("http://a", ""), up("http://a", "")}}, `named "a"`},
		{"separator", &Handler{Upstreams: []*Upstream{up("http://a", ""), up("http://b", "x>y")}}, "holds no"},
		{"bad when", &Handler{Upstreams: []*Upstream{{Policy: delivery.Policy{URL: "http://a"}, When: "{json.a} +"}}}, `"{json.a} +"`},
		{"drop not bool", &Handler{Drop: `{header.X} + "a"`, Upstream: up("http://a", "")}, `"{header.X} + \"a\""`},
		{"drop verify-only", &Handler{Drop: "true"}, "needs an upstream"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.h.provision(&fakeBackend{}, zap.NewNop())
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}
