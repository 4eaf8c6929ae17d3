package outbound

import (
	"context"
	"errors"
	"fmt"
	"mime"
	"net/http"
	"strings"
	"time"

	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/delivery/spans"
	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/queue"
)

// resolveTimeout bounds the DNS lookup of a destination at submission.
const resolveTimeout = 5 * time.Second

// refuseBrowser answers, and reports true for, a submission a browser may
// have sent from another site: one that says so (Sec-Fetch-Site:
// cross-site, 403), or one without a JSON content type (415). A page can
// POST text/plain or a form to any URL without a preflight; a JSON
// content type needs one, which this route does not answer, and the app
// sends JSON anyway. The check runs before the body is read.
func (h *Handler) refuseBrowser(w http.ResponseWriter, r *http.Request) (bool, error) {
	if r.Header.Get("Sec-Fetch-Site") == "cross-site" {
		return true, h.reject(w, http.StatusForbidden, resultCrossSite, "cross-site submissions are refused", nil)
	}
	if !jsonContentType(r.Header.Get("Content-Type")) {
		return true, h.reject(w, http.StatusUnsupportedMediaType, resultUnsupportedType,
			"the Content-Type must be application/json or a +json type", nil)
	}
	return false, nil
}

// jsonContentType reports whether v is application/json or a +json type
// (application/vnd.acme+json), parameters allowed.
func jsonContentType(v string) bool {
	t, _, err := mime.ParseMediaType(v)
	return err == nil && (t == "application/json" || strings.HasSuffix(t, "+json"))
}

// submission is what one request asks to send.
type submission struct {
	body        []byte
	contentType string
	idemKey     string // the app's Idempotency-Key, "" if none
	now         time.Time
	traceParent string // of the request's span, with Caddy's tracing
}

func (h *Handler) submission(r *http.Request, body []byte) (*submission, error) {
	s := &submission{body: body, contentType: r.Header.Get("Content-Type"), idemKey: r.Header.Get("Idempotency-Key"), now: h.now()}
	if len(s.idemKey) > maxIdempotencyKey {
		return nil, fmt.Errorf("the Idempotency-Key is longer than %d bytes", maxIdempotencyKey)
	}
	// With Caddy's tracing, the request's span (a child of the app's own
	// traceparent, if it sent one) is the parent of the deliveries' spans.
	var provider trace.TracerProvider
	if s.traceParent, provider = spans.Parent(r.Context()); provider != nil {
		h.backend.Traced(provider)
	}
	return s, nil
}

// key is the dedupe record of the submission's Idempotency-Key in scope.
func (s *submission) key(scope string, window time.Duration) queue.Key {
	return queue.Key{Scope: scope, Value: s.idemKey, Expires: s.now.Add(window)}
}

// message is one delivery of the submission through queueName. The
// customer's endpoint gets the app's body, byte for byte, and its
// Content-Type; no other header of the app's request (they may carry the
// app's own credentials). url "" means the endpoint's URL at send time, so
// that a URL changed through the admin API applies to queued messages.
func (s *submission) message(queueName, url string) *queue.Message {
	header := http.Header{}
	if s.contentType != "" {
		header.Set("Content-Type", s.contentType)
	}
	return &queue.Message{
		ID: queue.NewID(s.now), Queue: queueName, Method: http.MethodPost, URL: url,
		Header: header, Body: s.body, ReceivedAt: s.now, NextAttempt: s.now,
		TraceParent: s.traceParent,
	}
}

// submitHeader sends to the destination the request names, once its
// resolved addresses pass the SSRF rules.
func (h *Handler) submitHeader(w http.ResponseWriter, r *http.Request, s *submission) error {
	dest := r.Header.Get(h.DestinationHeader)
	if dest == "" {
		return h.reject(w, http.StatusBadRequest, resultBadRequest, "no destination in "+h.DestinationHeader, nil)
	}
	ctx, cancel := context.WithTimeout(r.Context(), resolveTimeout)
	defer cancel()
	if err := h.guard.CheckURL(ctx, dest); err != nil {
		return h.reject(w, http.StatusUnprocessableEntity, resultBlocked, err.Error(), nil)
	}
	q := h.routeQueue()
	return h.submitOne(w, s, s.message(q, dest), q)
}

// submitTo sends to the route's one endpoint, unless it is disabled.
func (h *Handler) submitTo(w http.ResponseWriter, s *submission) error {
	eps, err := h.backend.Endpoints(h.Name)
	if err != nil || len(eps) != 1 {
		return h.unavailable(w, err)
	}
	if eps[0].Disabled {
		return h.reject(w, http.StatusConflict, resultDisabled, "the endpoint is disabled ("+eps[0].DisabledReason+"): enable it through the admin API", nil)
	}
	q := eps[0].Queue()
	return h.submitOne(w, s, s.message(q, ""), q)
}

// submitOne persists one message, its Idempotency-Key claimed with it.
func (h *Handler) submitOne(w http.ResponseWriter, s *submission, m *queue.Message, scope string) error {
	id, err := h.backend.Enqueue(m, s.key(scope, time.Duration(h.IdempotencyWindow)))
	switch {
	case errors.Is(err, queue.ErrDuplicate):
		h.done(resultDuplicate, id, 0)
		return httpx.WriteStatus(w, http.StatusOK, id, "duplicate")
	case err != nil:
		return h.unavailable(w, err)
	}
	h.done(resultAccepted, id, 1)
	return httpx.WriteStatus(w, http.StatusAccepted, id, "queued")
}

func (h *Handler) unavailable(w http.ResponseWriter, err error) error {
	w.Header().Set("Retry-After", "5")
	return h.reject(w, http.StatusServiceUnavailable, resultUnavailable, "storage unavailable", err)
}
