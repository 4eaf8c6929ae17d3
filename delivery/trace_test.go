package delivery

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/codes"
	"go.opentelemetry.io/otel/propagation"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
	"go.opentelemetry.io/otel/trace"

	"github.com/hookgate/hookgate/delivery/spans"
	"github.com/hookgate/hookgate/queue"
)

// tracedUpstream answers 503 to the first attempt and 200 after, and keeps
// the traceparent of each.
type tracedUpstream struct {
	*httptest.Server
	mu      sync.Mutex
	parents []string
	n       atomic.Int32
}

func newTracedUpstream(t *testing.T) *tracedUpstream {
	u := &tracedUpstream{}
	u.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		u.mu.Lock()
		u.parents = append(u.parents, r.Header.Get("Traceparent"))
		u.mu.Unlock()
		if u.n.Add(1) == 1 {
			w.WriteHeader(http.StatusServiceUnavailable)
		}
	}))
	t.Cleanup(u.Close)
	return u
}

func (u *tracedUpstream) got() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	return append([]string(nil), u.parents...)
}

// deliverTraced delivers m through a dispatcher whose handlers learned tp
// (if not nil), until the upstream has answered twice.
func deliverTraced(t *testing.T, tp trace.TracerProvider, m *queue.Message, up *tracedUpstream) {
	t.Helper()
	p := &Policy{URL: up.URL, Retry: []caddy.Duration{caddy.Duration(10 * time.Millisecond)}, MaxAttempts: 5}
	require.NoError(t, p.Provision())
	s := newMemStore(t)
	d := NewDispatcher(s, Options{})
	t.Cleanup(d.Close)
	d.SetTracerProvider(tp)
	d.Apply(map[string]*Policy{"q": p})
	_, err := s.Enqueue(m, queue.Key{})
	require.NoError(t, err)
	d.Wake("q")
	require.Eventually(t, func() bool {
		_, err := s.Get(m.ID)
		return err != nil
	}, 5*time.Second, 5*time.Millisecond, "the message is delivered on its second attempt")
}

func newMessage(header http.Header) *queue.Message {
	now := time.Now()
	return &queue.Message{ID: queue.NewID(now), Queue: "q", Method: http.MethodPost, Header: header,
		Body: []byte(`{}`), ReceivedAt: now, NextAttempt: now}
}

// TestAttemptSpans: a message stored with the traceparent of its request's
// span gets one span per attempt, each a child of that span in its trace,
// with the queue, attempt number, status and outcome; the upstream gets the
// traceparent of the attempt's span.
func TestAttemptSpans(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	ctx, request := tp.Tracer("caddy").Start(context.Background(), "POST /hooks")
	parent, learned := spans.Parent(ctx)
	request.End()
	require.NotEmpty(t, parent)
	require.Equal(t, tp, learned, "the provider comes with the request's span")

	up := newTracedUpstream(t)
	// What Caddy's tracing put in the request's headers is replaced by the
	// attempt's own traceparent.
	m := newMessage(http.Header{"Traceparent": {parent}})
	m.TraceParent = parent
	deliverTraced(t, learned, m, up)

	var attempts []sdktrace.ReadOnlySpan
	for _, s := range rec.Ended() {
		if s.Name() == spans.Name {
			attempts = append(attempts, s)
		}
	}
	require.Len(t, attempts, 2)
	sent := up.got()
	require.Len(t, sent, 2)
	for i, s := range attempts {
		assert.Equal(t, request.SpanContext().TraceID(), s.SpanContext().TraceID(), "the same trace")
		assert.Equal(t, request.SpanContext().SpanID(), s.Parent().SpanID(), "a child of the request's span")
		assert.Equal(t, trace.SpanKindClient, s.SpanKind())
		attrs := attribute.NewSet(s.Attributes()...)
		v, _ := attrs.Value(spans.AttrQueue)
		assert.Equal(t, "q", v.AsString())
		v, _ = attrs.Value(spans.AttrAttempt)
		assert.Equal(t, int64(i+1), v.AsInt64())
		v, _ = attrs.Value(spans.AttrID)
		assert.Equal(t, m.ID, v.AsString())
		assert.Equal(t, "00-"+s.SpanContext().TraceID().String()+"-"+s.SpanContext().SpanID().String()+"-01", sent[i],
			"the upstream continues the attempt's span")
	}
	attrs := attribute.NewSet(attempts[0].Attributes()...)
	v, _ := attrs.Value(spans.AttrStatus)
	assert.Equal(t, int64(503), v.AsInt64())
	v, _ = attrs.Value(spans.AttrOutcome)
	assert.Equal(t, string(Retry), v.AsString())
	assert.Equal(t, codes.Error, attempts[0].Status().Code)
	attrs = attribute.NewSet(attempts[1].Attributes()...)
	v, _ = attrs.Value(spans.AttrStatus)
	assert.Equal(t, int64(200), v.AsInt64())
	v, _ = attrs.Value(spans.AttrOutcome)
	assert.Equal(t, string(Delivered), v.AsString())
	assert.NotEqual(t, codes.Error, attempts[1].Status().Code)
}

// TestUntracedMessage: without a stored traceparent nothing changes: no
// span, and the headers go as they came (a sender's own traceparent too).
func TestUntracedMessage(t *testing.T) {
	rec := tracetest.NewSpanRecorder()
	tp := sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(rec))
	up := newTracedUpstream(t)
	const senders = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"
	deliverTraced(t, tp, newMessage(http.Header{"Traceparent": {senders}}), up)
	assert.Empty(t, rec.Ended())
	assert.Equal(t, []string{senders, senders}, up.got())

	p, learned := spans.Parent(context.Background())
	assert.Empty(t, p)
	assert.Nil(t, learned)
}

// TestTracedWithoutProvider: a traced message delivered before any traced
// request taught the dispatcher a provider (after a restart) still
// continues its trace upstream.
func TestTracedWithoutProvider(t *testing.T) {
	up := newTracedUpstream(t)
	m := newMessage(nil)
	m.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	deliverTraced(t, nil, m, up)
	for _, got := range up.got() {
		sc := trace.SpanContextFromContext(propagation.TraceContext{}.Extract(context.Background(), propagation.MapCarrier{"traceparent": got}))
		assert.Equal(t, "4bf92f3577b34da6a3ce929d0e0e4736", sc.TraceID().String())
	}
}
