package outbound

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/queue"
)

// fanOutDelivery is one endpoint's message in a fan-out answer.
type fanOutDelivery struct {
	Endpoint string `json:"endpoint"`
	ID       string `json:"id"`
}

// fanOutAnswer answers a fan-out submission.
type fanOutAnswer struct {
	ID         string           `json:"id"`
	Status     string           `json:"status"` // queued, duplicate, no_endpoint
	EventType  string           `json:"event_type,omitempty"`
	Deliveries []fanOutDelivery `json:"deliveries"`
	// Skipped names the disabled endpoints that take the event type: they
	// get no message of this submission, and the app learns it.
	Skipped []string `json:"skipped,omitempty"`
}

// fanOut queues one message per active endpoint whose filter takes the
// event type; each is retried and dead-lettered on its own. With an
// Idempotency-Key, the submission's id is claimed under the route, and each
// endpoint's message under its own queue: a resubmission gets the first
// ids back, and one after a partial failure (store down half-way) queues
// only what is missing.
func (h *Handler) fanOut(w http.ResponseWriter, r *http.Request, s *submission, body []byte) error {
	eventType := ""
	if h.eventType != nil {
		var err error
		if eventType, err = h.eventType.Key(r, body, nil); err != nil {
			return h.reject(w, http.StatusBadRequest, resultBadRequest, "no event type", err)
		}
	}
	eps, err := h.backend.Endpoints(h.Name)
	if err != nil {
		return h.unavailable(w, err)
	}
	var active, disabled []queue.Endpoint
	for _, ep := range eps {
		switch {
		case !ep.Takes(eventType):
		case ep.Disabled:
			disabled = append(disabled, ep)
		default:
			active = append(active, ep)
		}
	}
	if len(active) == 0 && len(disabled) > 0 {
		// Before the Idempotency-Key is claimed: a 409 claims and queues
		// nothing, so the app resubmits with the same key once enabled.
		return h.reject(w, http.StatusConflict, resultDisabled, disabledMessage(disabled), nil)
	}
	ans := fanOutAnswer{ID: queue.NewID(s.now), Status: "queued", EventType: eventType, Deliveries: []fanOutDelivery{}}
	for _, ep := range disabled {
		ans.Skipped = append(ans.Skipped, ep.ID)
	}
	window := time.Duration(h.IdempotencyWindow)
	if s.idemKey != "" {
		holder, err := h.backend.Claim(s.key(h.routeQueue(), window), ans.ID)
		if err != nil && !errors.Is(err, queue.ErrDuplicate) {
			return h.unavailable(w, err)
		}
		if err != nil {
			ans.ID, ans.Status = holder, "duplicate"
		}
	}
	for _, ep := range active {
		m := s.message(ep.Queue(), "")
		m.EventType = eventType
		id, err := h.backend.Enqueue(m, s.key(ep.Queue(), window))
		if err != nil && !errors.Is(err, queue.ErrDuplicate) {
			return h.unavailable(w, err)
		}
		ans.Deliveries = append(ans.Deliveries, fanOutDelivery{ep.ID, id})
	}
	return h.answerFanOut(w, ans)
}

// disabledMessage names the disabled endpoints of a 409 and why each is
// disabled (reasons are Hookgate's own words, never a secret).
func disabledMessage(eps []queue.Endpoint) string {
	names := make([]string, len(eps))
	for i, ep := range eps {
		names[i] = ep.ID
		if ep.DisabledReason != "" {
			names[i] += " (" + ep.DisabledReason + ")"
		}
	}
	return "every endpoint that takes this event is disabled: " + strings.Join(names, ", ") + "; enable them through the admin API"
}

func (h *Handler) answerFanOut(w http.ResponseWriter, ans fanOutAnswer) error {
	code, result := http.StatusAccepted, resultAccepted
	switch {
	case ans.Status == "duplicate":
		code, result = http.StatusOK, resultDuplicate
	case len(ans.Deliveries) == 0:
		ans.Status, result = "no_endpoint", resultNoEndpoint
	}
	h.done(result, ans.ID, len(ans.Deliveries))
	return httpx.WriteJSON(w, code, ans)
}
