package inbound

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync/atomic"

	"go.uber.org/zap"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/filter"
	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
)

// Upstream is one upstream of a route: where and how its deliveries go
// (the delivery policy's fields, inline: url, timeout, retry, …,
// header_up), and which webhooks it takes.
type Upstream struct {
	delivery.Policy
	// Name names the upstream: the queue of every upstream but a route's
	// first is "<route>><name>" (e.g. "github>tracker"), which labels its
	// metrics and shows in the admin API. Default: the URL's host[:port]
	// and path, e.g. "127.0.0.1:9001" or "billing.internal/hooks". Names
	// must differ within a route and hold no ">". The first upstream keeps
	// the route's own queue, so a route's queue stays where it was when
	// upstreams are added after it.
	Name string `json:"name,omitempty"`
	// When is a CEL expression (see package filter) that a webhook must
	// match to be delivered to this upstream, e.g.
	// `{header.X-GitHub-Event} == "push"` or
	// `{json.action} in ["opened", "reopened"]`. An expression that fails
	// at run time on a webhook does not match it. Default: every webhook.
	When string `json:"when,omitempty"`

	queue string       // its queue's name
	when  *filter.Expr // of When
}

// UpstreamName is the default name of an upstream: its URL's host (with
// port) and path, without a trailing slash.
func UpstreamName(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return raw
	}
	return u.Host + strings.TrimSuffix(u.EscapedPath(), "/")
}

// provisionUpstreams names the route (label, scope) after its first
// upstream unless Name is set, gives every upstream its queue, compiles
// drop and the whens, and registers the queues with the app.
func (h *Handler) provisionUpstreams() error {
	switch {
	case h.Upstream != nil && len(h.Upstreams) > 0:
		return fmt.Errorf("set upstream (one) or upstreams (several), not both")
	case h.Upstream != nil:
		h.ups = []*Upstream{h.Upstream}
	default:
		h.ups = h.Upstreams
	}
	if h.Drop != "" && len(h.ups) == 0 {
		return fmt.Errorf("drop needs an upstream")
	}
	if len(h.ups) == 0 {
		return nil
	}
	names := map[string]bool{}
	for i, u := range h.ups {
		if u == nil {
			return fmt.Errorf("upstreams: entry %d is empty", i)
		}
		if err := u.Policy.Provision(); err != nil {
			return err
		}
		name := u.Name
		if name == "" {
			name = UpstreamName(u.URL)
		}
		switch {
		case strings.Contains(name, queue.FanoutSep):
			return fmt.Errorf("upstream name %q: a name holds no %q", name, queue.FanoutSep)
		case names[name]:
			return fmt.Errorf("two upstreams are named %q: give one of them another name", name)
		}
		names[name] = true
		if u.When != "" {
			e, err := filter.Parse(u.When)
			if err != nil {
				return fmt.Errorf("upstream %s: when: %w", name, err)
			}
			u.when, h.filtered = e, true
		}
		if i == 0 {
			if h.label == "" {
				h.label, h.scope = u.URL, u.URL
			}
			u.queue = h.label
		} else {
			u.queue = queue.FanoutQueue(h.label, name)
		}
	}
	if h.Drop != "" {
		e, err := filter.Parse(h.Drop)
		if err != nil {
			return fmt.Errorf("drop: %w", err)
		}
		h.drop, h.filtered = e, true
	}
	var inspect *redact.Headers
	if h.Inspect && h.Verify != nil {
		inspect = redact.NewHeaders(h.Verify.CredentialHeaders()...)
	} else if h.Inspect {
		inspect = redact.NewHeaders()
	}
	for _, u := range h.ups {
		if err := h.backend.RegisterQueue(u.queue, &u.Policy, inspect); err != nil {
			return err
		}
	}
	return nil
}

// match returns the upstreams that take the webhook: none when drop
// matches it, else those whose when matches it (or that have none).
func (h *Handler) match(in *dedupe.Input) []*Upstream {
	if !h.filtered {
		return h.ups
	}
	if h.drop != nil && h.test(h.drop, in) {
		return nil
	}
	var out []*Upstream
	for _, u := range h.ups {
		if u.when == nil || h.test(u.when, in) {
			out = append(out, u)
		}
	}
	return out
}

// test evaluates e; a run-time error counts as no match, is counted, and
// is logged once per route (the error names the types it read, never the
// values).
func (h *Handler) test(e *filter.Expr, in *dedupe.Input) bool {
	ok, err := e.MatchInput(in)
	if err == nil {
		return ok
	}
	h.backend.FilterError(h.label)
	if atomic.CompareAndSwapInt32(&h.filterErrLogged, 0, 1) {
		h.log.Warn("filter failed: taken as no match (logged once per route; see hookgate_filter_errors_total)",
			zap.String("route", h.label), zap.Error(err))
	}
	return false
}

// filteredOut answers a webhook that no upstream takes (or that drop
// matched): 200, so the sender stops retrying; nothing is stored.
func (h *Handler) filteredOut(w http.ResponseWriter) error {
	h.backend.Received(h.label, resultFiltered)
	if ce := h.log.Check(zap.DebugLevel, "webhook filtered"); ce != nil {
		ce.Write(zap.String("route", h.label), zap.String("result", resultFiltered))
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]string{"status": "filtered"})
}

// enqueueAll stores one delivery per message, sharing one body, with the
// dedupe key, in one commit, and answers 202.
func (h *Handler) enqueueAll(w http.ResponseWriter, ms []*queue.Message, key queue.Key) error {
	id, err := h.backend.EnqueueAll(ms, key)
	return h.answer(w, id, key, err, http.StatusAccepted, "queued")
}

// filterState is the handler's run-time state of its filters.
type filterState struct {
	ups             []*Upstream  // Upstream, or Upstreams
	drop            *filter.Expr // of Drop
	filtered        bool         // drop or some when is set
	filterErrLogged int32        // 1 once a run-time error is logged
}
