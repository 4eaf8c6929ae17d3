package spans

import (
	"context"
	"errors"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"go.opentelemetry.io/otel/codes"
	sdktrace "go.opentelemetry.io/otel/sdk/trace"
	"go.opentelemetry.io/otel/sdk/trace/tracetest"
)

const parent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

func TestProviders(t *testing.T) {
	learned, fixed := tracetest.NewSpanRecorder(), tracetest.NewSpanRecorder()
	var p Providers
	p.Learn(sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(learned)))
	_, s := p.Start(context.Background(), parent, "q", "msg_1", 1)
	End(s, 0, "", false, nil)
	assert.Len(t, learned.Ended(), 1, "the learned provider")

	p.Fixed = sdktrace.NewTracerProvider(sdktrace.WithSpanProcessor(fixed))
	p.Learn(sdktrace.NewTracerProvider())
	_, s = p.Start(context.Background(), parent, "q", "msg_1", 2)
	End(s, 0, "retry", true, errors.New("connection refused"))
	assert.Len(t, fixed.Ended(), 1, "a fixed provider wins")
	got := fixed.Ended()[0]
	assert.Equal(t, codes.Error, got.Status().Code)
	assert.Equal(t, "connection refused", got.Status().Description)
}

func TestNoTrace(t *testing.T) {
	var p Providers
	for _, tp := range []string{"", "garbage", "00-00000000000000000000000000000000-00f067aa0ba902b7-01"} {
		ctx, s := p.Start(context.Background(), tp, "q", "msg_1", 1)
		assert.Nil(t, s, tp)
		h := http.Header{}
		Inject(ctx, h)
		assert.Empty(t, h, tp)
		End(s, 200, "delivered", false, nil) // no span: nothing to do
	}
	// Without a provider (otel's global no-op), the upstream still
	// continues the stored trace.
	ctx, _ := p.Start(context.Background(), parent, "q", "msg_1", 1)
	h := http.Header{}
	Inject(ctx, h)
	assert.Contains(t, h.Get("Traceparent"), "4bf92f3577b34da6a3ce929d0e0e4736")
}
