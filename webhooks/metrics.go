package webhooks

import (
	"errors"
	"strconv"
	"time"

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

// queueGauges reports each queue's depth at scrape time, from the store of
// the running app, so the figures are the store's, shared by every
// instance on one Redis.
type queueGauges struct{ queued, inFlight, dead, oldest *prometheus.Desc }

var gauges = queueGauges{
	queued:   prometheus.NewDesc("hookgate_queue_messages", "Messages waiting for delivery (in flight included), by queue.", []string{"queue"}, nil),
	inFlight: prometheus.NewDesc("hookgate_queue_in_flight", "Messages being delivered, by queue.", []string{"queue"}, nil),
	dead:     prometheus.NewDesc("hookgate_dead_letters", "Messages in the dead-letter queue, by queue.", []string{"queue"}, nil),
	oldest:   prometheus.NewDesc("hookgate_queue_oldest_age_seconds", "Age of the oldest queued message, by queue (embedded store).", []string{"queue"}, nil),
}

func (g queueGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- g.queued
	ch <- g.inFlight
	ch <- g.dead
	ch <- g.oldest
}

func (g queueGauges) Collect(ch chan<- prometheus.Metric) {
	a := current.Load()
	if a == nil {
		return
	}
	s, err := a.store()
	if err != nil {
		return
	}
	stats, err := s.Stats()
	if err != nil {
		return
	}
	now := time.Now()
	for q, st := range stats {
		ch <- prometheus.MustNewConstMetric(g.queued, prometheus.GaugeValue, float64(st.Queued), q)
		ch <- prometheus.MustNewConstMetric(g.inFlight, prometheus.GaugeValue, float64(st.Leased), q)
		ch <- prometheus.MustNewConstMetric(g.dead, prometheus.GaugeValue, float64(st.Dead), q)
		if !st.Oldest.IsZero() {
			ch <- prometheus.MustNewConstMetric(g.oldest, prometheus.GaugeValue, now.Sub(st.Oldest).Seconds(), q)
		}
	}
}

func registerMetrics(reg *prometheus.Registry) *metrics {
	if reg != nil {
		for _, c := range []prometheus.Collector{collectors.received, collectors.attempts, collectors.latency, gauges} {
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
