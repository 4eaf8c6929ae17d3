package inbound

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/trace"
)

func (f *fakeBackend) Traced(tp trace.TracerProvider) { f.tracer = tp }

// serveTraced serves body with, when tp is not nil, a span of tp in the
// request's context, as Caddy's tracing handler leaves it; it returns the
// span's traceparent.
func serveTraced(t *testing.T, h *Handler, tp trace.TracerProvider, body string, hdr http.Header) string {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	for k, v := range hdr {
		r.Header[k] = v
	}
	var want string
	if tp != nil {
		ctx, span := tp.Tracer("caddy").Start(context.Background(), "handler")
		defer span.End()
		sc := span.SpanContext()
		want = fmt.Sprintf("00-%s-%s-01", sc.TraceID(), sc.SpanID())
		r = r.WithContext(ctx)
	}
	w := httptest.NewRecorder()
	require.NoError(t, h.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })))
	require.Equal(t, http.StatusAccepted, w.Code, w.Body.String())
	return want
}

// TestTraceParentStored: with Caddy's tracing, the message keeps the
// traceparent of the request's span, and the app learns its provider;
// without, nothing is stored.
func TestTraceParentStored(t *testing.T) {
	tp := sdktrace.NewTracerProvider()
	h := &Handler{}
	fb := setup(t, h)
	want := serveTraced(t, h, tp, `{"id":"evt_1"}`, nil)
	require.Len(t, fb.enqueued, 1)
	assert.Equal(t, want, fb.enqueued[0].TraceParent)
	assert.Equal(t, tp, fb.tracer)

	h = &Handler{}
	fb = setup(t, h)
	serveTraced(t, h, nil, `{"id":"evt_2"}`, http.Header{"Traceparent": {"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"}})
	require.Len(t, fb.enqueued, 1)
	assert.Empty(t, fb.enqueued[0].TraceParent, "a sender's traceparent alone is not tracing")
	assert.Nil(t, fb.tracer)
}

// TestFanoutTraceParent: every delivery of a fanned-out webhook is in the
// request's trace.
func TestFanoutTraceParent(t *testing.T) {
	h := &Handler{}
	fb := fanout(t, h)
	want := serveTraced(t, h, sdktrace.NewTracerProvider(), `{"action":"opened"}`, http.Header{"X-Github-Event": {"issues"}})
	require.Len(t, fb.groups, 1)
	require.Len(t, fb.groups[0], 2)
	for _, m := range fb.groups[0] {
		assert.Equal(t, want, m.TraceParent, m.Queue)
	}
}
