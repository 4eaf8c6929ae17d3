package webhooks

import (
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/queue"
)

func init() {
	caddy.RegisterModule(adminAPI{})
}

// adminAPI serves /webhooks/… on Caddy's admin endpoint:
//
//	GET    /webhooks/stats
//	GET    /webhooks/messages?state=queued|dead|delivered&queue=Q&limit=N
//	GET    /webhooks/messages/{id}     with its attempts' history
//	POST   /webhooks/messages/{id}/replay
//	DELETE /webhooks/messages/{id}
//	GET    /webhooks/attempts          the latest delivery attempts
//	GET    /webhooks/series            per queue, the last hour by minute
//	POST   /webhooks/messages/replay   replay by query (admin_jobs.go)
//	POST   /webhooks/messages/delete   delete by query
//	GET    /webhooks/jobs/{id}         a replay or delete job's progress
//
// Answers describe messages but never hold their header values or bodies,
// which may carry credentials, but for GET /webhooks/messages/{id} of a
// route with inspect on: its body and headers, credentials redacted.
type adminAPI struct {
	view View
}

// CaddyModule returns the Caddy module information.
func (adminAPI) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "admin.api.webhooks", New: func() caddy.Module { return new(adminAPI) }}
}

// Routes returns the admin routes.
func (a adminAPI) Routes() []caddy.AdminRoute {
	return append([]caddy.AdminRoute{
		{Pattern: "/webhooks/stats", Handler: caddy.AdminHandlerFunc(a.stats)},
		{Pattern: "/webhooks/messages", Handler: caddy.AdminHandlerFunc(a.list)},
		{Pattern: "/webhooks/messages/", Handler: caddy.AdminHandlerFunc(a.message)},
		{Pattern: "/webhooks/attempts", Handler: caddy.AdminHandlerFunc(a.attempts)},
		{Pattern: "/webhooks/series", Handler: caddy.AdminHandlerFunc(a.series)},
	}, a.jobRoutes()...)
}

const (
	defaultListLimit = 100
	maxListLimit     = 1000
)

func (adminAPI) stats(w http.ResponseWriter, r *http.Request) error {
	s, _, err := adminStore(r, http.MethodGet)
	if err != nil {
		return err
	}
	st, err := s.Stats()
	if err != nil {
		return apiError(http.StatusInternalServerError, "reading stats: %v", err)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"queues": st})
}

func (a adminAPI) list(w http.ResponseWriter, r *http.Request) error {
	s, _, err := adminStore(r, http.MethodGet)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	state := queue.State(q.Get("state"))
	switch state {
	case "":
		state = queue.StateQueued
	case queue.StateQueued, queue.StateDead, queue.StateDelivered:
	default:
		return apiError(http.StatusBadRequest, "state must be queued, dead or delivered")
	}
	limit := defaultListLimit
	if v := q.Get("limit"); v != "" {
		if limit, err = strconv.Atoi(v); err != nil || limit < 1 || limit > maxListLimit {
			return apiError(http.StatusBadRequest, "limit must be between 1 and %d", maxListLimit)
		}
	}
	msgs, err := s.List(state, q.Get("queue"), limit)
	if err != nil {
		return apiError(http.StatusInternalServerError, "listing messages: %v", err)
	}
	views := make([]messageView, len(msgs))
	for i, m := range msgs {
		views[i] = a.view.message(m)
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"messages": views})
}

// attempts serves /webhooks/attempts: the latest delivery attempts of this
// instance, newest first.
func (adminAPI) attempts(w http.ResponseWriter, r *http.Request) error {
	_, a, err := adminStore(r, http.MethodGet)
	if err != nil {
		return err
	}
	recent := a.shared.recent.list()
	views := make([]attemptView, len(recent))
	for i, at := range recent {
		views[i] = attemptView{at.ID, at.Queue, string(at.Outcome), at.Status, at.At, float64(at.Took.Microseconds()) / 1000}
	}
	return httpx.WriteJSON(w, http.StatusOK, map[string]any{"attempts": views})
}

// series serves /webhooks/series: this instance's counts per minute of
// received, delivered and failed messages, and queue depth, over the last
// hour (see package series). The current minute's depth is sampled anew.
func (adminAPI) series(w http.ResponseWriter, r *http.Request) error {
	s, a, err := adminStore(r, http.MethodGet)
	if err != nil {
		return err
	}
	a.shared.sample(s)
	return httpx.WriteJSON(w, http.StatusOK, a.shared.series.Snapshot())
}

// message serves /webhooks/messages/{id} and /webhooks/messages/{id}/replay.
func (api adminAPI) message(w http.ResponseWriter, r *http.Request) error {
	rest := strings.TrimPrefix(r.URL.Path, "/webhooks/messages/")
	id, action, _ := strings.Cut(rest, "/")
	if action != "" && action != "replay" {
		return apiError(http.StatusNotFound, "no such action %q", action)
	}
	if !queue.ValidID(id) {
		return apiError(http.StatusBadRequest, "malformed message id")
	}
	methods := []string{http.MethodGet, http.MethodDelete}
	if action == "replay" {
		methods = []string{http.MethodPost}
	}
	s, a, err := adminStore(r, methods...)
	if err != nil {
		return err
	}
	var m *queue.Message
	switch {
	case action == "replay":
		if m, err = s.Replay(id, time.Now()); err == nil {
			a.shared.wake(m.Queue)
		}
	case r.Method == http.MethodDelete:
		err = s.Delete(id)
	default:
		m, err = s.Get(id)
	}
	switch {
	case errors.Is(err, queue.ErrNotFound):
		return apiError(http.StatusNotFound, "message %s not found", id)
	case err != nil:
		return apiError(http.StatusInternalServerError, "message %s: %v", id, err)
	case m == nil:
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	if r.Method != http.MethodGet {
		return httpx.WriteJSON(w, http.StatusOK, api.view.message(m))
	}
	v := api.view.detail(m)
	if show := a.inspectOf(m.Queue); show != nil {
		inspected(&v.messageView, m, show)
	}
	return httpx.WriteJSON(w, http.StatusOK, v)
}

// messageDetail is what the admin API shows of one message: its view, with
// its last attempts (queue.MaxHistory at most, oldest first) as history.
// ("attempts" stays their number, as in every view before it.)
type messageDetail struct {
	messageView
	History []queue.Attempt `json:"history"`
}

func (show View) detail(m *queue.Message) messageDetail {
	h := m.History
	if h == nil {
		h = []queue.Attempt{}
	}
	return messageDetail{show.message(m), h}
}

// messageView is what the admin API shows of a message.
type messageView struct {
	*queue.Message
	Header []string `json:"header_names,omitempty"`
	// Body and the Message's header are shown for a route with inspect
	// on only: the body as text (valid UTF-8) or base64, cut to 64 KiB.
	Inspected     bool   `json:"inspected,omitempty"`
	Body          string `json:"body,omitempty"`
	BodyEncoding  string `json:"body_encoding,omitempty"`
	BodyTruncated bool   `json:"body_truncated,omitempty"`
}

func (show View) message(m *queue.Message) messageView {
	var v messageView
	for name := range m.Header {
		v.Header = append(v.Header, name)
	}
	c := *m
	c.Header, c.URL = nil, show.url(c.URL)
	v.Message = &c
	return v
}

// attemptView is what the API shows of a delivery attempt.
type attemptView struct {
	ID      string    `json:"id"`
	Queue   string    `json:"queue"`
	Outcome string    `json:"outcome"`
	Status  int       `json:"status"`
	At      time.Time `json:"at"`
	TookMS  float64   `json:"took_ms"`
}

// Interface guard
var _ caddy.AdminRouter = adminAPI{}
