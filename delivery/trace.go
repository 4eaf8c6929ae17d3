package delivery

import (
	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/delivery/spans"
)

// SetTracerProvider makes tp the provider of the spans of traced messages'
// attempts (see package spans), unless Options.TracerProvider set one: the
// handlers learn Caddy's from the span of a traced request.
func (d *Dispatcher) SetTracerProvider(tp trace.TracerProvider) { d.spans.Learn(tp) }

// endSpan ends the span of an attempt with its result.
func endSpan(span trace.Span, status int, outcome Outcome, err error) {
	spans.End(span, status, string(outcome), outcome != "" && outcome != Delivered, err)
}
