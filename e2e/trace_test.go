package e2e

import (
	"compress/gzip"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	coltracepb "go.opentelemetry.io/proto/otlp/collector/trace/v1"
	"google.golang.org/protobuf/proto"

	"github.com/hookgate/hookgate/internal/redistest"
)

// traceCaddyfile is a queued route behind Caddy's tracing handler.
const traceCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		{{.Storage}}
	}
}
http://{{.HTTP}} {
	route /hooks/traced {
		tracing {
			span webhook_in
		}
		webhook_inbound {
			name traced
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Upstream}} {
				retry 100ms
			}
		}
	}
	route /hooks/plain {
		webhook_inbound {
			name plain
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Upstream}}
		}
	}
}
`

// span is what the OTLP receiver keeps of an exported span.
type span struct {
	Name                    string
	TraceID, SpanID, Parent string
	Attrs                   map[string]string
}

// otlpReceiver is an OTLP/HTTP trace collector in process: it decodes the
// protobuf export requests that Caddy's tracing exporter posts.
type otlpReceiver struct {
	*httptest.Server
	mu    sync.Mutex
	spans []span
}

func newOTLPReceiver(t *testing.T) *otlpReceiver {
	o := &otlpReceiver{}
	o.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body io.Reader = r.Body
		if r.Header.Get("Content-Encoding") == "gzip" {
			zr, err := gzip.NewReader(r.Body)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			body = zr
		}
		b, _ := io.ReadAll(body)
		var req coltracepb.ExportTraceServiceRequest
		if r.URL.Path != "/v1/traces" || proto.Unmarshal(b, &req) != nil {
			http.Error(w, "bad export", http.StatusBadRequest)
			return
		}
		o.mu.Lock()
		for _, rs := range req.ResourceSpans {
			for _, ss := range rs.ScopeSpans {
				for _, s := range ss.Spans {
					attrs := map[string]string{}
					for _, kv := range s.Attributes {
						v := kv.Value.GetStringValue()
						if v == "" {
							v = strings.TrimSpace(strings.TrimPrefix(kv.Value.String(), "int_value:"))
						}
						attrs[kv.Key] = v
					}
					o.spans = append(o.spans, span{s.Name, hex.EncodeToString(s.TraceId),
						hex.EncodeToString(s.SpanId), hex.EncodeToString(s.ParentSpanId), attrs})
				}
			}
		}
		o.mu.Unlock()
		w.Header().Set("Content-Type", "application/x-protobuf")
		out, _ := proto.Marshal(&coltracepb.ExportTraceServiceResponse{})
		_, _ = w.Write(out)
	}))
	t.Cleanup(o.Close)
	return o
}

func (o *otlpReceiver) named(name string) []span {
	o.mu.Lock()
	defer o.mu.Unlock()
	var out []span
	for _, s := range o.spans {
		if s.Name == name {
			out = append(out, s)
		}
	}
	return out
}

// TestTraces: with Caddy's tracing on a route, each delivery attempt is a
// span of the request's trace, a child of the request's span, exported
// through Caddy's OTLP exporter with the queue, attempt, status and
// outcome; the upstream gets each attempt's traceparent. A route without
// tracing sends the headers as they came. On the embedded store and Redis.
func TestTraces(t *testing.T) {
	for _, store := range []string{"embedded", "redis"} {
		t.Run(store, func(t *testing.T) {
			storage := "storage embedded"
			if store == "redis" {
				storage = "storage redis " + redistest.Start(t).URL()
			}
			otlp := newOTLPReceiver(t)
			t.Setenv("OTEL_TRACES_EXPORTER", "otlp")
			t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
			t.Setenv("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", otlp.URL+"/v1/traces")
			t.Setenv("OTEL_BSP_SCHEDULE_DELAY", "50")
			up := newReceiver(t)
			up.setAnswer(func(n int, r *http.Request, w http.ResponseWriter) int {
				if r.URL.Path == "/hooks/traced" && n == 1 {
					return http.StatusServiceUnavailable
				}
				return http.StatusOK
			})
			c := startCaddy(t, traceCaddyfile, map[string]any{"Storage": storage, "Upstream": up.URL})

			const senderTrace, senderSpan = "4bf92f3577b34da6a3ce929d0e0e4736", "00f067aa0ba902b7"
			senders := "00-" + senderTrace + "-" + senderSpan + "-01"
			body := `{"id":"evt_traced"}`
			code, _ := c.post("/hooks/traced", body, map[string]string{
				"X-Webhook-Signature": hexHMAC(secret, body), "Traceparent": senders})
			require.Equal(t, http.StatusAccepted, code)
			waitFor(t, 10*time.Second, "two attempts", func() bool { return len(up.deliveries()) == 2 })

			waitFor(t, 10*time.Second, "the spans exported", func() bool {
				return len(otlp.named("webhook_in")) >= 1 && len(otlp.named("webhook delivery")) == 2
			})
			in := otlp.named("webhook_in")[0]
			assert.Equal(t, senderTrace, in.TraceID, "Caddy continues the sender's trace")
			assert.Equal(t, senderSpan, in.Parent)
			byAttempt := map[string]span{}
			for _, a := range otlp.named("webhook delivery") {
				byAttempt[a.Attrs["webhook.attempt"]] = a
			}
			require.Len(t, byAttempt, 2)
			for i, d := range up.deliveries() {
				a := byAttempt[strconv.Itoa(i+1)]
				assert.Equal(t, senderTrace, a.TraceID, "the same trace")
				assert.Equal(t, in.SpanID, a.Parent, "a child of the request's span")
				assert.Equal(t, "traced", a.Attrs["webhook.queue"])
				assert.Equal(t, "00-"+a.TraceID+"-"+a.SpanID+"-01", d.Header.Get("Traceparent"),
					"the upstream continues the attempt's span")
			}
			assert.Equal(t, "503", byAttempt["1"].Attrs["http.response.status_code"])
			assert.Equal(t, "retry", byAttempt["1"].Attrs["webhook.outcome"])
			assert.Equal(t, "200", byAttempt["2"].Attrs["http.response.status_code"])
			assert.Equal(t, "delivered", byAttempt["2"].Attrs["webhook.outcome"])

			// Without tracing on the route: nothing stored, no span, the
			// sender's traceparent passes through as today.
			body = `{"id":"evt_plain"}`
			code, _ = c.post("/hooks/plain", body, map[string]string{
				"X-Webhook-Signature": hexHMAC(secret, body), "Traceparent": senders})
			require.Equal(t, http.StatusAccepted, code)
			waitFor(t, 10*time.Second, "the plain delivery", func() bool { return len(up.deliveries()) == 3 })
			assert.Equal(t, senders, up.deliveries()[2].Header.Get("Traceparent"))
			time.Sleep(200 * time.Millisecond)
			assert.Len(t, otlp.named("webhook delivery"), 2)
		})
	}
}
