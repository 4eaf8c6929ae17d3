package webhooks

import "go.opentelemetry.io/otel/trace"

// Traced hands the tracer provider of a traced request's span (Caddy's
// tracing module keeps its provider to itself) to the dispatcher, for the
// spans of the deliveries: see delivery.Dispatcher.SetTracerProvider.
func (a *App) Traced(tp trace.TracerProvider) {
	if a.shared != nil {
		a.shared.traced(tp)
	}
}

func (e *openStore) traced(tp trace.TracerProvider) {
	e.mu.Lock()
	d := e.dispatcher
	e.mu.Unlock()
	if d != nil {
		d.SetTracerProvider(tp)
	}
}
