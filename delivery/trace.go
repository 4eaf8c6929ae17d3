package delivery

import (
	"context"
	"net/http"
	"sync/atomic"

	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/queue"
)

// Traces. When Caddy's tracing handler ran before the handler that took a
// message in, the message keeps the W3C traceparent of the request's span
// (queue.Message.TraceParent), and each delivery attempt is a span of that
// trace, a child of the request's span, whose traceparent the upstream
// gets. A message without one is delivered as before: no span, and its
// headers are sent as they came.

// SpanName is the name of an attempt's span.
const SpanName = "webhook delivery"

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

// TraceParent returns the W3C traceparent of the span in ctx (Caddy's
// tracing handler puts the request's there) and the provider that made it,
// or "" and nil when ctx has no valid span: tracing is off.
func TraceParent(ctx context.Context) (string, trace.TracerProvider) {
	span := trace.SpanFromContext(ctx)
	if !span.SpanContext().IsValid() {
		return "", nil
	}
	c := propagation.MapCarrier{}
	w3c.Inject(ctx, c)
	return c["traceparent"], span.TracerProvider()
}

// tracers holds the tracer provider of the attempts' spans.
type tracers struct {
	fixed   trace.TracerProvider // Options.TracerProvider
	learned atomic.Pointer[providerBox]
}

type providerBox struct{ tp trace.TracerProvider }

// SetTracerProvider makes tp the provider of the attempts' spans, unless
// Options.TracerProvider set one. Caddy's tracing module keeps its provider
// to itself; the handlers learn it from the span of a traced request
// (TraceParent) and hand it down. Until then, the spans go to otel's
// global provider (which discards them unless a program set one), and
// the upstream still gets the stored trace.
func (d *Dispatcher) SetTracerProvider(tp trace.TracerProvider) {
	if tp == nil {
		return
	}
	if cur := d.tracers.learned.Load(); cur != nil && cur.tp == tp {
		return
	}
	d.tracers.learned.Store(&providerBox{tp})
}

func (t *tracers) provider() trace.TracerProvider {
	if t.fixed != nil {
		return t.fixed
	}
	if b := t.learned.Load(); b != nil {
		return b.tp
	}
	return otel.GetTracerProvider()
}

// startSpan starts the span of attempt number m.Attempts of m in queueName,
// a child of the span m.TraceParent names, and returns the context of the
// attempt: ctx with that span, or ctx and nil when m has no trace.
func (d *Dispatcher) startSpan(ctx context.Context, m *queue.Message, queueName string) (context.Context, trace.Span) {
	if m.TraceParent == "" {
		return ctx, nil
	}
	parent := w3c.Extract(ctx, propagation.MapCarrier{"traceparent": m.TraceParent})
	if !trace.SpanContextFromContext(parent).IsValid() {
		return ctx, nil
	}
	return d.tracers.provider().Tracer(tracerName).Start(parent, SpanName,
		trace.WithSpanKind(trace.SpanKindClient),
		trace.WithAttributes(AttrQueue.String(queueName), AttrID.String(m.ID), AttrAttempt.Int(m.Attempts)))
}

// injectTrace sets the traceparent of the attempt's span in h, if ctx has
// one: the upstream continues the trace.
func injectTrace(ctx context.Context, h http.Header) {
	if trace.SpanContextFromContext(ctx).IsValid() {
		w3c.Inject(ctx, propagation.HeaderCarrier(h))
	}
}

// endSpan ends an attempt's span with its result. An empty outcome is an
// attempt cut short by shutdown.
func endSpan(span trace.Span, status int, outcome Outcome, err error) {
	if span == nil {
		return
	}
	if status != 0 {
		span.SetAttributes(AttrStatus.Int(status))
	}
	if outcome != "" {
		span.SetAttributes(AttrOutcome.String(string(outcome)))
	}
	switch {
	case err != nil:
		span.RecordError(err)
		span.SetStatus(codes.Error, err.Error())
	case outcome != Delivered:
		span.SetStatus(codes.Error, string(outcome))
	}
	span.End()
}
