package webhooks

import (
	"errors"
	"strconv"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgate/hookgate/queue"
)

// metrics are process-wide collectors, registered into the registry of
// every config that loads the app (as caddy-ratelimit does), so that their
// counts survive reloads.
type metrics struct {
	received *prometheus.CounterVec
	attempts *prometheus.CounterVec
	latency  *prometheus.HistogramVec
}

var collectors = &metrics{
	received: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "hookgate", Name: "received_total",
		Help: "Webhook requests received, by route and result.",
	}, []string{"route", "result"}),
	attempts: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "hookgate", Name: "delivery_attempts_total",
		Help: "Delivery attempts, by queue, outcome (delivered, retry, dead) and upstream status code (0: no answer).",
	}, []string{"queue", "outcome", "code"}),
	latency: prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Namespace: "hookgate", Name: "delivery_duration_seconds",
		Help:    "Duration of delivery attempts, by queue.",
		Buckets: prometheus.ExponentialBuckets(0.005, 2.5, 10),
	}, []string{"queue"}),
}

func registerMetrics(reg *prometheus.Registry) *metrics {
	if reg != nil {
		for _, c := range []prometheus.Collector{collectors.received, collectors.attempts, collectors.latency} {
			var already prometheus.AlreadyRegisteredError
			if err := reg.Register(c); err != nil && !errors.As(err, &already) {
				panic(err) // a programming error: two collectors with one name
			}
		}
	}
	return collectors
}

func (m *metrics) attempt(a queue.Attempt) {
	m.attempts.WithLabelValues(a.Queue, a.Outcome, strconv.Itoa(a.Status)).Inc()
	m.latency.WithLabelValues(a.Queue).Observe(a.Took.Seconds())
}
