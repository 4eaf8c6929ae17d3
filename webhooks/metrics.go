package webhooks

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgate/hookgate/delivery"
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
		Help: "Delivery attempts, by queue, outcome (delivered, retry, dead) and upstream status code (0: no answer, other: a code not listed in the README).",
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
	oldest:   prometheus.NewDesc("hookgate_queue_oldest_age_seconds", "Age of the oldest queued message, by queue (by time of receipt).", []string{"queue"}, nil),
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
	register(reg, collectors.received, collectors.attempts, collectors.latency, gauges)
	return collectors
}

// endpointsDisabled counts endpoint disablings, by route and reason (gone,
// failing, admin); endpointGauges tells how many are disabled now.
var endpointsDisabled = prometheus.NewCounterVec(prometheus.CounterOpts{
	Namespace: "hookgate", Name: "endpoints_disabled_total",
	Help: "Outbound endpoints disabled, by route and reason (gone: 410; failing: disable_after; admin).",
}, []string{"route", "reason"})

// endpointGauges reports the outbound endpoints disabled now, by route, at
// scrape time from the app's view of the stored endpoints: it stays exact
// whoever enables, disables or deletes them (this instance, the admin API
// or another instance on the same store), which a gauge moved at each
// change could not be across instances.
type endpointGauges struct{ disabled *prometheus.Desc }

var endpointGauge = endpointGauges{
	disabled: prometheus.NewDesc("hookgate_endpoints_disabled", "Outbound endpoints disabled now, by route.", []string{"route"}, nil),
}

func (g endpointGauges) Describe(ch chan<- *prometheus.Desc) { ch <- g.disabled }

func (g endpointGauges) Collect(ch chan<- prometheus.Metric) {
	a := current.Load()
	if a == nil {
		return
	}
	for route, n := range a.disabledByRoute() {
		ch <- prometheus.MustNewConstMetric(g.disabled, prometheus.GaugeValue, float64(n), route)
	}
}

// disabledByRoute counts the disabled endpoints of every route, 0 for the
// configured routes with none (so that an enabled endpoint brings the
// gauge back to 0 rather than removing it).
func (a *App) disabledByRoute() map[string]int {
	out := make(map[string]int, len(a.routes))
	for name := range a.routes {
		out[name] = 0
	}
	for _, e := range a.allEndpoints() {
		if e.Disabled {
			out[e.Route]++
		}
	}
	return out
}

// registerEndpointMetrics adds the endpoint metrics of configs with
// outbound routes.
func registerEndpointMetrics(reg *prometheus.Registry) {
	register(reg, endpointsDisabled, endpointGauge)
}

// register adds process-wide collectors to a config's registry, where they
// may already be (a config registers them once per handler).
func register(reg *prometheus.Registry, cs ...prometheus.Collector) {
	if reg == nil {
		return
	}
	for _, c := range cs {
		var already prometheus.AlreadyRegisteredError
		if err := reg.Register(c); err != nil && !errors.As(err, &already) {
			panic(err) // a programming error: two collectors with one name
		}
	}
}

// knownCodes are the statuses that label attempts as themselves: the ones a
// webhook receiver commonly answers. An upstream chooses its status, so any
// other is "other", or every code it invents would be a new time series.
var knownCodes = map[int]bool{
	0: true, 200: true, 201: true, 202: true, 204: true,
	301: true, 302: true, 307: true, 308: true,
	400: true, 401: true, 403: true, 404: true, 405: true, 408: true, 409: true, 410: true,
	413: true, 422: true, 425: true, 429: true,
	500: true, 502: true, 503: true, 504: true,
}

// codeLabel is the code label of an attempt that got status (0: no answer).
func codeLabel(status int) string {
	if knownCodes[status] {
		return strconv.Itoa(status)
	}
	return "other"
}

func (m *metrics) attempt(a delivery.Attempt) {
	m.attempts.WithLabelValues(a.Queue, string(a.Outcome), codeLabel(a.Status)).Inc()
	m.latency.WithLabelValues(a.Queue).Observe(a.Took.Seconds())
}
