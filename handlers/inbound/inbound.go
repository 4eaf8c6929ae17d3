// Package inbound is the webhook_inbound HTTP handler: it verifies a
// sender's signature over the raw body, drops duplicates, durably queues the
// webhook and acknowledges it at once; the webhooks app delivers it later.
// Without an upstream it verifies and dedupes only, then calls the next
// handler (for example reverse_proxy).
package inbound

import (
	"bytes"
	"cmp"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/delivery/spans"
	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/internal/limit"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets" // the named schemes Configs resolve
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Defaults of the handler.
const (
	DefaultMaxBody      = signature.DefaultMaxBody
	DefaultDedupeWindow = 72 * time.Hour
	DefaultTolerance    = signature.DefaultTolerance
	// retryAfterUnavailable is the Retry-After sent with a 503 when the
	// store cannot take the message.
	retryAfterUnavailable = "5"
	// passHold bounds how long verify-only mode holds a dedupe key while the
	// next handler runs (see passOn); retryAfterInProgress is the
	// Retry-After of the 409 that a duplicate gets meanwhile.
	passHold             = time.Minute
	retryAfterInProgress = "10"
)

// Handler is the webhook_inbound handler.
type Handler struct {
	// Name names the route: it scopes dedupe keys, names the queue and
	// labels metrics. Default: the queue is named after the upstream URL,
	// which also scopes the dedupe keys; a verify-only route without a name
	// scopes them by its scheme and dedupe template. Never by the request's
	// path, which one route takes in many spellings.
	Name string `json:"name,omitempty"`
	// Verify is the signature scheme the sender uses: the generic "hmac"
	// scheme or a preset (github, stripe, slack, …), whose defaults apply
	// to Tolerance and Dedupe when those are unset, and whose sender's
	// endpoint checks (Slack url_verification, Zoom url_validation, Meta
	// hub.challenge, …) are answered here and never queued nor forwarded.
	// The unsigned presets (ctxfy, superai) only set the dedupe key: guard
	// their routes another way (a token header matcher, basic auth, or the
	// remote_ip matcher). Omit it to verify nothing.
	Verify *signature.Config `json:"verify,omitempty"`
	// Tolerance bounds the age (and the skew into the future) of a signed
	// timestamp. Default: the preset's tolerance, else 5m.
	Tolerance caddy.Duration `json:"tolerance,omitempty"`
	// Dedupe is the dedupe key template, e.g. "{json.id}",
	// "{json.sourceId}:{json.status}", or "{signed_digest}" (the SHA-256 of
	// what the signature covers) where the sender's id header is unsigned.
	// A header the signature does not cover is warned about at provision.
	// A webhook whose key was seen within DedupeWindow is acknowledged with
	// 200 and not forwarded. Default: the preset's dedupe key (if any);
	// "off" turns it off. Empty without a preset: no deduplication.
	Dedupe string `json:"dedupe,omitempty"`
	// DedupeWindow is how long a dedupe key is remembered. Default: 72h.
	DedupeWindow caddy.Duration `json:"dedupe_window,omitempty"`
	// MaxBody is the largest body accepted, in bytes; larger ones get 413.
	// Default: the preset's (the largest payload its sender documents, e.g.
	// 25 MB for GitHub), else 1 MiB.
	MaxBody int64 `json:"max_body,omitempty"`
	// Upstream is where accepted webhooks are delivered, asynchronously,
	// with retries. Absent (and no Upstreams): verify-only, the request
	// goes on to the next handler; its dedupe key is held meanwhile (a
	// duplicate gets 409), kept for DedupeWindow if that handler succeeds,
	// released if it fails.
	Upstream *Upstream `json:"upstream,omitempty"`
	// Upstreams, in place of Upstream, fans webhooks out to several
	// upstreams, each with its own queue, policy and When: a webhook is
	// verified and deduplicated once, and its body stored once with one
	// delivery per upstream it matches, in one commit. The first upstream
	// keeps the route's queue; the others' queues are "<route>><name>".
	Upstreams []*Upstream `json:"upstreams,omitempty"`
	// Drop is a CEL expression (see package filter): a webhook it matches
	// is answered 200 {"status":"filtered"} and neither stored nor
	// forwarded, whatever the upstreams' When. A run-time error counts as
	// no match. Needs an upstream.
	Drop string `json:"drop,omitempty"`
	// OrderBy is a key template (like Dedupe) that orders delivery: of the
	// messages with one key, one is delivered at a time, in acceptance
	// order, and a message waiting for its retry holds back only its key.
	// A dead letter no longer holds its key back. Needs an upstream.
	// Default: no order; deliveries run in parallel up to concurrency.
	OrderBy string `json:"order_by,omitempty"`
	// AckWithin, when set, makes a first delivery attempt at once and
	// answers the sender with the upstream's own status, headers and body
	// if it comes within this budget (and is not to be retried); past the
	// budget, the sender gets 202 and the queue carries on. The message is
	// stored before the attempt either way. 0 (ack async, the default):
	// 202 at once. Needs an upstream.
	AckWithin caddy.Duration `json:"ack_within,omitempty"`
	// MaxRate bounds the requests this route takes, per Caddy instance;
	// beyond it they get 429 with Retry-After, before the body is read.
	// Off by default.
	MaxRate *limit.Rate `json:"max_rate,omitempty"`
	// BadSignatures blocks a client address (Caddy's client IP, which
	// honours trusted_proxies; an IPv6 address counts with its /64) after
	// too many requests that fail verification: it gets 429 for a while,
	// with no signature computed. A client that sent a verified request
	// within the block period is never blocked, so that bad signatures from
	// a provider's shared addresses cannot cut off its real webhooks.
	// Off by default.
	BadSignatures *limit.Strikes `json:"bad_signatures,omitempty"`
	// Inspect shows the bodies and headers of the route's messages on the
	// admin API (GET /webhooks/messages/{id}) and the dashboard, with the
	// credential headers redacted: Authorization, Cookie, the header the
	// scheme reads its signature or token from, and every header whose
	// name says signature, token, secret, key or auth. Off by default,
	// since bodies hold customer data: then no body is ever shown.
	Inspect bool `json:"inspect,omitempty"`

	backend     Backend
	verifier    signature.Verifier
	handshaker  signature.Handshaker // nil when the scheme has no endpoint checks
	needsDigest bool                 // a key template uses {signed_digest}
	failStatus  int                  // the answer to a failed verification
	key         *dedupe.Template
	order       *dedupe.Template // of OrderBy
	bucket      *limit.Bucket    // of MaxRate
	strikes     *limit.Counter   // of BadSignatures
	label       string           // names the queue, labels metrics and logs
	scope       string           // of dedupe keys: see Name
	log         *zap.Logger
	now         func() time.Time
	filterState
}

// Backend is what the handler needs of the webhooks app.
type Backend interface {
	RegisterQueue(name string, p *delivery.Policy, inspect *redact.Headers) error
	Enqueue(m *queue.Message, key queue.Key) (string, error)
	EnqueueAll(ms []*queue.Message, key queue.Key) (string, error)
	Claim(key queue.Key, id string) (string, error)
	Confirm(key queue.Key, id string) error
	Release(key queue.Key, id string) error
	DeliverNow(m *queue.Message, budget time.Duration) delivery.NowResult
	Received(route, result string)
	FilterError(route string)
	// Traced hands down the tracer provider of a traced request's span
	// (Caddy's tracing): see delivery.Dispatcher.SetTracerProvider.
	Traced(tp trace.TracerProvider)
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.webhook_inbound", New: func() caddy.Module { return new(Handler) }}
}

// Provision compiles the templates, resolves the secrets and registers the
// queue with the webhooks app.
func (h *Handler) Provision(ctx caddy.Context) error {
	app, err := ctx.App("webhooks")
	if err != nil {
		return fmt.Errorf("loading the webhooks app: %w", err)
	}
	for _, u := range append([]*Upstream{h.Upstream}, h.Upstreams...) {
		if u == nil {
			continue
		}
		if err := u.LoadTransport(ctx); err != nil {
			return err
		}
	}
	return h.provision(app.(Backend), ctx.Logger())
}

// provision is Provision with the webhooks app loaded: the seam the unit
// tests provision through, with a fake backend.
func (h *Handler) provision(b Backend, log *zap.Logger) error {
	h.backend, h.log, h.now = b, log, time.Now
	if h.MaxBody == 0 {
		h.MaxBody = DefaultMaxBody
		if p, ok := h.presetOf(); ok {
			h.MaxBody = p.MaxBody
		}
	}
	if h.DedupeWindow == 0 {
		h.DedupeWindow = caddy.Duration(DefaultDedupeWindow)
	}
	if err := h.provisionVerifier(); err != nil {
		return err
	}
	h.provisionLimits()
	if err := h.provisionKeys(); err != nil {
		return err
	}
	h.label, h.scope = h.Name, h.Name
	if err := h.provisionUpstreams(); err != nil {
		return err
	}
	if len(h.ups) == 0 && h.label == "" {
		h.label, h.scope = "verify_only", h.verifyOnlyScope()
	}
	return nil
}

// presetOf is the preset the route verifies with, if any.
func (h *Handler) presetOf() (signature.Preset, bool) {
	if h.Verify == nil {
		return signature.Preset{}, false
	}
	return h.Verify.Preset()
}

// verifyOnlyScope scopes the dedupe keys of a verify-only route without a
// name: by what it takes (scheme and key template), which stays the same
// across reloads and restarts, however a request spells the path.
func (h *Handler) verifyOnlyScope() string {
	scheme := "none"
	if h.Verify != nil {
		scheme = cmp.Or(h.Verify.Scheme, "hmac")
	}
	return "verify_only:" + scheme + ":" + h.Dedupe
}

// Validate checks the configuration.
func (h *Handler) Validate() error {
	switch {
	case h.MaxBody < 0:
		return fmt.Errorf("max_body must be positive")
	case h.DedupeWindow < 0:
		return fmt.Errorf("dedupe_window must be positive")
	case h.Tolerance < 0:
		return fmt.Errorf("tolerance must be positive")
	case h.AckWithin < 0:
		return fmt.Errorf("ack within: the budget must be positive")
	case h.AckWithin > 0 && !h.hasUpstream():
		return fmt.Errorf("ack within needs an upstream")
	case h.OrderBy != "" && !h.hasUpstream():
		return fmt.Errorf("order_by needs an upstream")
	case h.Drop != "" && !h.hasUpstream():
		return fmt.Errorf("drop needs an upstream")
	}
	for _, u := range append([]*Upstream{h.Upstream}, h.Upstreams...) {
		if h.Verify == nil && u != nil && u.Sign != nil {
			// Anyone can post to a route that verifies nothing: signing that
			// input with the upstream's secret would vouch for it.
			return fmt.Errorf("upstream sign would sign unauthenticated input: verify the sender, or write `verify none` to sign whatever reaches this route")
		}
	}
	if h.MaxRate != nil {
		if err := h.MaxRate.Validate(); err != nil {
			return fmt.Errorf("max_rate: %w", err)
		}
	}
	if h.BadSignatures != nil {
		if err := h.BadSignatures.Validate(); err != nil {
			return fmt.Errorf("bad_signatures: %w", err)
		}
	}
	if h.Verify != nil {
		return h.Verify.Validate()
	}
	return nil
}

// hasUpstream reports whether the route delivers (rather than verifies only).
func (h *Handler) hasUpstream() bool { return h.Upstream != nil || len(h.Upstreams) > 0 }

// The results a request can have; they label metrics and log lines.
const (
	resultAccepted     = "accepted"
	resultDuplicate    = "duplicate"
	resultUnauthorized = "unauthorized"
	resultStale        = "stale"
	resultBadRequest   = "bad_request"
	resultUnavailable  = "unavailable"
	resultHandshake    = "handshake"
	resultInProgress   = "in_progress"
	resultFiltered     = "filtered"
)

// ServeHTTP implements caddyhttp.MiddlewareHandler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler) error {
	if r.Method != http.MethodPost && h.handshaker == nil {
		return h.rejectMethod(w, r)
	}
	now := h.now()
	if limited, err := h.limit(w, r, now); limited {
		return err
	}
	body, err := httpx.ReadBody(w, r, h.MaxBody)
	if err != nil {
		code, result, msg := httpx.BodyError(err)
		return h.reject(w, code, result, msg, err)
	}
	signed, verr := h.verify(r, body, now)
	if verr == nil {
		h.vouch(r, now)
	}
	if done, err := h.handshake(w, r, body, verr == nil); done {
		return err
	}
	if r.Method != http.MethodPost {
		return h.rejectMethod(w, r)
	}
	if verr != nil {
		h.strike(r, now)
		return h.rejectUnverified(w, verr)
	}
	// Which upstreams take it is decided before its keys are built: a
	// webhook that none takes needs no key, and is not refused for want
	// of one.
	in := &dedupe.Input{R: r, Body: body, Signed: signed} // its JSON checked once for every template and filter
	ups := h.match(in)
	if len(h.ups) > 0 && len(ups) == 0 {
		return h.filteredOut(w)
	}
	key := queue.Key{Scope: h.scope, Expires: now.Add(time.Duration(h.DedupeWindow))}
	if h.key != nil {
		if key.Value, err = h.key.KeyOf(in); err != nil {
			return h.reject(w, http.StatusBadRequest, resultBadRequest, "no dedupe key", err)
		}
	}
	if len(h.ups) == 0 {
		return h.passOn(w, r, next, body, key, now)
	}
	orderKey, err := h.orderKey(in)
	if err != nil {
		return h.reject(w, http.StatusBadRequest, resultBadRequest, "no order key", err)
	}
	header := forwardHeader(r)
	traceParent := h.traceParent(r)
	ms := make([]*queue.Message, len(ups))
	for i, u := range ups {
		if i > 0 {
			header = header.Clone()
		}
		ms[i] = &queue.Message{
			ID: queue.NewID(now), Queue: u.queue, Method: r.Method,
			URL: u.Target(r.URL.RequestURI()), Header: header,
			Body: body, DedupeKey: key.Value, OrderKey: orderKey, ReceivedAt: now, NextAttempt: now,
			TraceParent: traceParent,
		}
	}
	if len(ms) == 1 {
		return h.enqueue(w, ms[0], &ups[0].Policy, key)
	}
	return h.enqueueAll(w, ms, key)
}

// answer writes the outcome of persisting a message or claiming its key.
func (h *Handler) answer(w http.ResponseWriter, id string, key queue.Key, err error, code int, status string) error {
	switch {
	case errors.Is(err, queue.ErrDuplicate):
		h.done(resultDuplicate, id, key.Value)
		return httpx.WriteStatus(w, http.StatusOK, id, "duplicate")
	case err != nil:
		w.Header().Set("Retry-After", retryAfterUnavailable)
		return h.reject(w, http.StatusServiceUnavailable, resultUnavailable, "storage unavailable", err)
	}
	h.done(resultAccepted, id, key.Value)
	if code == 0 {
		return nil
	}
	return httpx.WriteStatus(w, code, id, status)
}

// passOn is verify-only mode: hold the key while the next handler runs,
// then claim it for the dedupe window if that handler succeeded, or release
// it so the sender's retry passes. The hold lasts passHold: should Caddy die
// meanwhile, a retry is answered 409 until the hold lapses and then passes,
// never taken for a duplicate of a webhook the app may not have received.
func (h *Handler) passOn(w http.ResponseWriter, r *http.Request, next caddyhttp.Handler, body []byte, key queue.Key, now time.Time) error {
	id := queue.NewID(now)
	if !key.Empty() {
		hold := key
		if hold.Expires.After(now.Add(passHold)) {
			hold.Expires = now.Add(passHold)
		}
		holder, err := h.backend.Claim(hold, queue.Hold(id))
		if held, inProgress := queue.HeldBy(holder); inProgress && errors.Is(err, queue.ErrDuplicate) {
			w.Header().Set("Retry-After", retryAfterInProgress)
			return h.reject(w, http.StatusConflict, resultInProgress, "the same webhook is being handed on ("+held+")", nil)
		}
		if err != nil {
			return h.answer(w, holder, key, err, 0, "")
		}
	}
	h.done(resultAccepted, id, key.Value)
	r.Body, r.ContentLength = io.NopCloser(bytes.NewReader(body)), int64(len(body))
	rec := caddyhttp.NewResponseRecorder(w, nil, nil)
	err := next.ServeHTTP(rec, r)
	if key.Empty() {
		return err
	}
	if err != nil || rec.Status() >= 500 {
		if rerr := h.backend.Release(key, queue.Hold(id)); rerr != nil {
			h.log.Error("releasing dedupe key", zap.String("id", id), zap.Error(rerr))
		}
	} else if cerr := h.backend.Confirm(key, id); cerr != nil {
		// The hold lapses by itself: a later duplicate may pass.
		h.log.Warn("keeping dedupe key", zap.String("id", id), zap.Error(cerr))
	}
	return err
}

// decisionMessages are the log messages of the decisions made at high
// rates, built once rather than per request.
var decisionMessages = map[string]string{
	resultAccepted:  "webhook " + resultAccepted,
	resultDuplicate: "webhook " + resultDuplicate,
	resultFiltered:  "webhook " + resultFiltered,
}

func (h *Handler) done(result, id, key string) {
	h.backend.Received(h.label, result)
	msg, ok := decisionMessages[result]
	if !ok {
		msg = "webhook " + result
	}
	if ce := h.log.Check(zap.InfoLevel, msg); ce != nil {
		ce.Write(zap.String("route", h.label), zap.String("result", result), zap.String("id", id), zap.String("dedupe_key", key))
	}
}

func (h *Handler) rejectMethod(w http.ResponseWriter, r *http.Request) error {
	w.Header().Set("Allow", http.MethodPost)
	return h.reject(w, http.StatusMethodNotAllowed, resultBadRequest, "method "+r.Method+" not allowed", nil)
}

// reject answers a request that is not accepted, logs why and counts it.
func (h *Handler) reject(w http.ResponseWriter, code int, result, msg string, cause error) error {
	return httpx.Reject(w, h.log, h.backend.Received, h.label, code, result, msg, cause)
}

// forwardHeader is what the upstream receives of the request's header: its
// end-to-end fields and the X-Forwarded-* fields reverse_proxy would add.
func forwardHeader(r *http.Request) http.Header {
	h := delivery.EndToEnd(r.Header)
	// Like reverse_proxy without trusted_proxies: a client's own
	// X-Forwarded-* values are replaced, not trusted.
	if ip, _, err := net.SplitHostPort(r.RemoteAddr); err == nil {
		h.Set("X-Forwarded-For", ip)
	}
	proto := "http"
	if r.TLS != nil {
		proto = "https"
	}
	h.Set("X-Forwarded-Proto", proto)
	h.Set("X-Forwarded-Host", r.Host)
	return h
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)

// traceParent is the W3C traceparent of r's span when Caddy's tracing
// handler ran before this one, "" otherwise; the provider that made the
// span goes to the app, for the spans of the deliveries.
func (h *Handler) traceParent(r *http.Request) string {
	tp, provider := spans.Parent(r.Context())
	if provider != nil {
		h.backend.Traced(provider)
	}
	return tp
}
