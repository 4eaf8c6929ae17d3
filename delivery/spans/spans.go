// Package spans makes the OpenTelemetry spans of delivery attempts. When
// Caddy's tracing handler ran before the handler that took a message in,
// the message keeps the W3C traceparent of the request's span
// (queue.Message.TraceParent, from Parent), and each delivery attempt is
// a span of that trace, a child of the request's span, whose traceparent
// the upstream gets (Inject). A message without one is delivered as
// before: no span, and its headers are sent as they came.
package spans

import (
	"context"
	"net/http"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"
)

// Name is the name of an attempt's span.
const Name = "webhook delivery"

// The attributes of an attempt's span.
const (
	AttrQueue   = attribute.Key("webhook.queue")
	AttrID      = attribute.Key("webhook.id")
	AttrAttempt = attribute.Key("webhook.attempt")
	AttrOutcome = attribute.Key("webhook.outcome")
	AttrStatus  = attribute.Key("http.response.status_code")
)

const tracerName = "github.com/hookgate/hookgate/delivery"

// w3c reads and writes traceparent (and tracestate) headers.
var w3c propagation.TraceContext

// Parent returns the W3C traceparent of the span in ctx (Caddy's tracing
// handler puts the request's there) and the provider that made it, or ""
// and nil when ctx has no valid span: tracing is off.
func Parent(ctx context.Context) (string, trace.TracerProvider) {
	span := trace.SpanFromContext(ctx)
	if !span.SpanContext().IsValid() {
		return "", nil
	}
	c := propagation.MapCarrier{}
	w3c.Inject(ctx, c)
	return c["traceparent"], span.TracerProvider()
}

// Providers is the tracer provider of the attempts' spans: Fixed if set,
// else the last one learned, else otel's global one (which discards them
// unless the program set one).
type Providers struct {
	Fixed   trace.TracerProvider
	learned atomic.Pointer[box]
}

type box struct{ tp trace.TracerProvider }

// Learn makes tp the provider of the spans, unless Fixed is set. Caddy's
// tracing module keeps its provider to itself; the handlers learn it from
// the span of a traced request (Parent) and hand it down.
func (p *Providers) Learn(tp trace.TracerProvider) {
	if tp == nil {
		return
	}
	if cur := p.learned.Load(); cur != nil && cur.tp == tp {
		return
	}
	p.learned.Store(&box{tp})
}

func (p *Providers) provider() trace.TracerProvider {
	if p.Fixed != nil {
		return p.Fixed
	}
	if b := p.learned.Load(); b != nil {
		return b.tp
	}
	return otel.GetTracerProvider()
}

// Start starts the span of attempt number attempt of message id in queue,
// a child of the span traceparent names, and returns ctx with that span;
// or ctx and nil when traceparent is empty or invalid.
func (p *Providers) Start(ctx context.Context, traceparent, queue, id string, attempt int) (context.Context, trace.Span) {
	if traceparent == "" {
		return ctx, nil
	}
	parent := w3c.Extract(ctx, propagation.MapCarrier{"traceparent": traceparent})
	if !trace.SpanContextFromContext(parent).IsValid() {
		return ctx, nil
	}
	return p.provider().Tracer(tracerName).Start(parent, Name, trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(AttrQueue.String(queue), AttrID.String(id), AttrAttempt.Int(attempt)))
}

// Inject sets the traceparent of the span in ctx in h, if ctx has one:
// the upstream continues the trace.
func Inject(ctx context.Context, h http.Header) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		w3c.Inject(ctx, propagation.HeaderCarrier(h))
	}
}

// End ends an attempt's span (nil: none) with the upstream's status (0:
// no answer), the attempt's outcome ("": cut short by shutdown), whether
// it failed, and its error.
func End(span trace.Span, status int, outcome string, failed bool, err error) {
	if span == nil {
		return
	}
	if status != 0 {
		span.SetAttributes(AttrStatus.Int(status))
	}
	if outcome != "" {
		span.SetAttributes(AttrOutcome.String(outcome))
	}
	switch {
	case err != nil:
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	case failed:
		span.SetStatus(codes.Error, outcome)
	}
	span.End()
}
