package outbound

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func (f *fakeBackend) Traced(tp trace.TracerProvider) { f.tracer = tp }

// TestSubmissionTraceParent: with Caddy's tracing (a span in the request's
// context, here a child of the app's traceparent as Caddy extracts it),
// the message keeps the span's traceparent; without, nothing.
func TestSubmissionTraceParent(t *testing.T) {
	h, f := provisioned(t, &Handler{Name: "emit", To: "https://customer.example.com/hooks", Sign: testSign})
	const app = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	tp := sdktrace.NewTracerProvider()
	ctx := propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": app})
	ctx, span := tp.Tracer("caddy").Start(ctx, "handler")
	defer span.End()

	r := httptest.NewRequest(http.MethodPost, "/emit", strings.NewReader(`{"a":1}`)).WithContext(ctx)
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Traceparent", app)
	w := httptest.NewRecorder()
	require.NoError(t, h.ServeHTTP(w, r, nil))
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	require.Len(t, f.msgs, 1)
	want := fmt.Sprintf("00-%s-%s-01", span.SpanContext().TraceID(), span.SpanContext().SpanID())
	assert.Equal(t, want, f.msgs[0].TraceParent)
	assert.Contains(t, want, "4bf92f3577b34da6a3ce929d0e0e4736", "the app's trace")
	assert.Equal(t, tp, f.tracer)

	code, _ := submit(t, h, `{"a":2}`, map[string]string{"Traceparent": app})
	require.Equal(t, http.StatusAccepted, code)
	assert.Empty(t, f.msgs[1].TraceParent, "no tracing: nothing stored")
}
