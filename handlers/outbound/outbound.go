// Package outbound is the webhook_outbound HTTP handler: an app that emits
// webhooks POSTs the payload to a Caddy route and forgets it. The handler
// checks the destination against the SSRF rules, persists one message per
// destination and answers 202 with its id; the webhooks app delivers it,
// signing every attempt afresh, with retries, a dead-letter queue and
// per-endpoint disabling.
package outbound

import (
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/internal/limit"
	"github.com/hookgate/hookgate/internal/netguard"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets" // the named schemes Configs resolve
	"github.com/hookgate/hookgate/webhooks"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Defaults of the handler.
const (
	DefaultName              = "outbound"
	DefaultMaxBody           = 1 << 20
	DefaultIdempotencyWindow = 24 * time.Hour
	DefaultScheme            = "standard_webhooks"
	// maxIdempotencyKey bounds the app's Idempotency-Key.
	maxIdempotencyKey = 255
)

// Handler is the webhook_outbound handler. It has one of three shapes: a
// fixed destination (To), a destination per request (DestinationHeader),
// or endpoints that subscribe to event types (fan-out; Endpoints and those
// created through the admin API).
type Handler struct {
	// Name names the route: it names its queues and labels its metrics;
	// endpoints created through the admin API name it. Default: "outbound".
	Name string `json:"name,omitempty"`
	// To is the one destination of every submission (https unless
	// AllowHTTP). Its endpoint's id is the route's Name.
	To string `json:"to,omitempty"`
	// DestinationHeader names the request header that carries the
	// destination URL, checked at submission (its resolved addresses too)
	// and again at connect time.
	DestinationHeader string `json:"destination_header,omitempty"`
	// EventType is a template (as dedupe keys: {json.type},
	// {header.X-Event-Type}) that gives a submission's event type, which
	// endpoints filter on. Needed when an endpoint filters events.
	EventType string `json:"event_type,omitempty"`
	// Endpoints subscribe to this route's events; more can be created
	// through the admin API (/webhooks/endpoints).
	Endpoints []*Endpoint `json:"endpoints,omitempty"`
	// Sign signs every delivery attempt, afresh: a scheme or preset with
	// its secrets ({env.X}, {file./path}). Endpoints without their own sign
	// use it; those created through the admin API sign with its scheme and
	// their own secret. Default scheme: standard_webhooks.
	Sign *signature.Config `json:"sign,omitempty"`
	// Delivery is the retry schedule, timeout, concurrency, rate, transport
	// and auth of each endpoint (its url and sign are not used: see To and
	// Sign). The transport and the auth's token are shared by the route's
	// endpoints; the SSRF guard checks every address the transport dials.
	Delivery *delivery.Policy `json:"delivery,omitempty"`
	// DisableAfter disables an endpoint after that many consecutive failed
	// attempts (a 410 Gone disables it at once). Its queued messages wait
	// until it is enabled through the admin API. 0: never.
	DisableAfter int `json:"disable_after,omitempty"`
	// AllowHTTP accepts http:// destinations. Default: https only.
	AllowHTTP bool `json:"allow_http,omitempty"`
	// AllowPrivate lists CIDR prefixes reachable although they are
	// loopback, private, link-local, CGNAT, … (blocked by default).
	AllowPrivate []string `json:"allow_private,omitempty"`
	// MaxBody is the largest payload accepted, in bytes; larger ones get
	// 413. Default: 1 MiB.
	MaxBody int64 `json:"max_body,omitempty"`
	// IdempotencyWindow is how long an Idempotency-Key of the app is
	// remembered: a resubmission within it gets the first answer's ids
	// and queues nothing. Default: 24h.
	IdempotencyWindow caddy.Duration `json:"idempotency_window,omitempty"`
	// Inspect shows the bodies and headers of the route's messages on the
	// admin API and the dashboard, credential headers redacted (as
	// webhook_inbound's inspect). Off by default: no body is ever shown.
	Inspect bool `json:"inspect,omitempty"`

	backend   Backend
	load      caddy.Context // loads Delivery's transport
	guard     *netguard.Rules
	eventType *dedupe.Template
	config    map[string]*Endpoint // the config's endpoints, by id
	log       *zap.Logger
	now       func() time.Time
}

// Endpoint is an endpoint of the config.
type Endpoint struct {
	// ID names the endpoint, uniquely across routes.
	ID string `json:"id"`
	// URL is where its messages go.
	URL string `json:"url"`
	// Events are the event types it takes: exact names or "prefix.*".
	// Empty: every event.
	Events []string `json:"events,omitempty"`
	// Sign overrides the route's Sign for this endpoint.
	Sign *signature.Config `json:"sign,omitempty"`
	// Rate bounds this endpoint's delivery attempts (per Caddy instance),
	// in place of the route's Delivery.Rate: a slow customer gets its own
	// pace without slowing the others. Default: the route's.
	Rate *limit.Rate `json:"rate,omitempty"`
}

// Backend is what the handler needs of the webhooks app.
type Backend interface {
	RegisterQueue(name string, p *delivery.Policy, inspect *redact.Headers) error
	RegisterOutbound(r *webhooks.OutboundRoute) error
	Endpoints(route string) ([]queue.Endpoint, error)
	Enqueue(m *queue.Message, key queue.Key) (string, error)
	Claim(key queue.Key, id string) (string, error)
	Received(route, result string)
	// Traced hands down the tracer provider of a traced request's span
	// (Caddy's tracing): see delivery.Dispatcher.SetTracerProvider.
	Traced(tp trace.TracerProvider)
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.webhook_outbound", New: func() caddy.Module { return new(Handler) }}
}

// Provision fills in defaults, checks the destinations and declares the
// route and its queues to the webhooks app.
func (h *Handler) Provision(ctx caddy.Context) error {
	app, err := ctx.App("webhooks")
	if err != nil {
		return fmt.Errorf("loading the webhooks app: %w", err)
	}
	h.load = ctx
	return h.provision(app.(Backend), ctx.Logger())
}

func (h *Handler) provision(b Backend, log *zap.Logger) error {
	h.backend, h.log, h.now = b, log, time.Now
	if h.Name == "" {
		h.Name = DefaultName
	}
	if h.MaxBody == 0 {
		h.MaxBody = DefaultMaxBody
	}
	if h.IdempotencyWindow == 0 {
		h.IdempotencyWindow = caddy.Duration(DefaultIdempotencyWindow)
	}
	if h.Delivery == nil {
		h.Delivery = new(delivery.Policy)
	}
	allowed, err := netguard.ParsePrefixes(h.AllowPrivate)
	if err != nil {
		return err
	}
	h.guard = &netguard.Rules{AllowHTTP: h.AllowHTTP, AllowPrivate: allowed}
	if h.Delivery.TransportRaw != nil || h.Delivery.Auth != nil {
		// Loaded once, guarded: every endpoint's policy (a copy) shares it.
		h.Delivery.Guard = h.guard
		if err := h.Delivery.LoadTransport(h.load); err != nil {
			return err
		}
	}
	if h.EventType != "" {
		if h.eventType, err = dedupe.Parse(h.EventType); err != nil {
			return fmt.Errorf("event_type: %w", err)
		}
		if h.eventType.UsesSigned() {
			return fmt.Errorf("event_type: %s needs a verified sender; submissions are not signed", dedupe.SignedDigest)
		}
	}
	return h.register()
}

// Validate checks the configuration.
func (h *Handler) Validate() error {
	modes := 0
	for _, set := range []bool{h.To != "", h.DestinationHeader != "", len(h.Endpoints) > 0} {
		if set {
			modes++
		}
	}
	switch {
	case modes > 1:
		return errors.New("webhook_outbound: to, destination_header and endpoints exclude each other")
	case h.MaxBody < 0, h.IdempotencyWindow < 0, h.DisableAfter < 0:
		return errors.New("webhook_outbound: max_body, idempotency_window and disable_after must be positive")
	case h.DisableAfter > 0 && h.DestinationHeader != "":
		return errors.New("webhook_outbound: disable_after needs endpoints (to or endpoint), not destination_header")
	case h.Delivery != nil && (h.Delivery.URL != "" || h.Delivery.Sign != nil):
		return errors.New("webhook_outbound: delivery takes neither url nor sign: use to and sign")
	}
	return nil
}

// The results a submission can have; they label metrics and log lines.
const (
	resultAccepted        = "accepted"
	resultDuplicate       = "duplicate"
	resultNoEndpoint      = "no_endpoint"
	resultBadRequest      = "bad_request"
	resultUnsupportedType = "unsupported_media_type"
	resultCrossSite       = "cross_site"
	resultBlocked         = "blocked_destination"
	resultDisabled        = "endpoint_disabled"
	resultUnavailable     = "unavailable"
)

// ServeHTTP implements caddyhttp.MiddlewareHandler. Outbound is terminal:
// next is never called.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		return h.reject(w, http.StatusMethodNotAllowed, resultBadRequest, "method "+r.Method+" not allowed", nil)
	}
	if refused, err := h.refuseBrowser(w, r); refused {
		return err
	}
	body, err := httpx.ReadBody(w, r, h.MaxBody)
	if err != nil {
		code, result, msg := httpx.BodyError(err)
		return h.reject(w, code, result, msg, err)
	}
	s, err := h.submission(r, body)
	if err != nil {
		return h.reject(w, http.StatusBadRequest, resultBadRequest, err.Error(), nil)
	}
	switch {
	case h.DestinationHeader != "":
		return h.submitHeader(w, r, s)
	case h.To != "":
		return h.submitTo(w, s)
	}
	return h.fanOut(w, r, s, body)
}

// reject answers a submission that is not accepted, logs why and counts it.
func (h *Handler) reject(w http.ResponseWriter, code int, result, msg string, cause error) error {
	return httpx.Reject(w, h.log, h.backend.Received, h.Name, code, result, msg, cause)
}

// done counts and logs an accepted (or duplicate) submission.
func (h *Handler) done(result, id string, n int) {
	h.backend.Received(h.Name, result)
	if ce := h.log.Check(zap.InfoLevel, "outbound webhook "+result); ce != nil {
		ce.Write(zap.String("route", h.Name), zap.String("id", id), zap.Int("deliveries", n))
	}
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddy.Validator             = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
