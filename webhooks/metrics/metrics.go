// Package metrics holds the Prometheus metrics of the webhooks app: the
// counters of requests received and of delivery attempts, and the gauges
// of queue depth and disabled endpoints, read at scrape time from a Source
// the app hands in. The collectors are process-wide, registered into the
// registry of every config that loads the app (as caddy-ratelimit does),
// so that their counts survive reloads.
package metrics

import (
	"errors"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
)

// Source is what the gauges read at scrape time: the running app's view.
type Source interface {
	// QueueStats returns the store's figures by queue; an error (no app
	// running, the store unavailable) reports none.
	QueueStats() (map[string]queue.Stats, error)
	// DisabledByRoute counts the disabled endpoints of every route (nil:
	// no app running).
	DisabledByRoute() map[string]int
}

// Metrics are the counters the app moves.
type Metrics struct {
	received *prometheus.CounterVec
	attempts *prometheus.CounterVec
	latency  *prometheus.HistogramVec
	filters  *prometheus.CounterVec
}

var collectors = &Metrics{
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
	filters: prometheus.NewCounterVec(prometheus.CounterOpts{
		Namespace: "hookgate", Name: "filter_errors_total",
		Help: "Evaluations of a route's drop or an upstream's when that failed at run time (taken as no match), by route.",
	}, []string{"route"}),
}

// queueGauges reports each queue's depth at scrape time, from the store of
// the running app, so the figures are the store's, shared by every
// instance on one Redis.
type queueGauges struct{ src Source }

var (
	queuedDesc   = prometheus.NewDesc("hookgate_queue_messages", "Messages waiting for delivery (in flight included), by queue.", []string{"queue"}, nil)
	inFlightDesc = prometheus.NewDesc("hookgate_queue_in_flight", "Messages being delivered, by queue.", []string{"queue"}, nil)
	deadDesc     = prometheus.NewDesc("hookgate_dead_letters", "Messages in the dead-letter queue, by queue.", []string{"queue"}, nil)
	oldestDesc   = prometheus.NewDesc("hookgate_queue_oldest_age_seconds", "Age of the oldest queued message, by queue (by time of receipt).", []string{"queue"}, nil)
)

func (queueGauges) Describe(ch chan<- *prometheus.Desc) {
	ch <- queuedDesc
	ch <- inFlightDesc
	ch <- deadDesc
	ch <- oldestDesc
}

func (g queueGauges) Collect(ch chan<- prometheus.Metric) {
	stats, err := g.src.QueueStats()
	if err != nil {
		return
	}
	now := time.Now()
	for q, st := range stats {
		ch <- prometheus.MustNewConstMetric(queuedDesc, prometheus.GaugeValue, float64(st.Queued), q)
		ch <- prometheus.MustNewConstMetric(inFlightDesc, prometheus.GaugeValue, float64(st.Leased), q)
		ch <- prometheus.MustNewConstMetric(deadDesc, prometheus.GaugeValue, float64(st.Dead), q)
		if !st.Oldest.IsZero() {
			ch <- prometheus.MustNewConstMetric(oldestDesc, prometheus.GaugeValue, now.Sub(st.Oldest).Seconds(), q)
		}
	}
}

// Register adds the counters and the queue gauges, which read src, to a
// config's registry (nil: none) and returns the counters.
func Register(reg *prometheus.Registry, src Source) *Metrics {
	register(reg, collectors.received, collectors.attempts, collectors.latency, collectors.filters, queueGauges{src})
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
type endpointGauges struct{ src Source }

var disabledDesc = prometheus.NewDesc("hookgate_endpoints_disabled", "Outbound endpoints disabled now, by route.", []string{"route"}, nil)

func (endpointGauges) Describe(ch chan<- *prometheus.Desc) { ch <- disabledDesc }

func (g endpointGauges) Collect(ch chan<- prometheus.Metric) {
	for route, n := range g.src.DisabledByRoute() {
		ch <- prometheus.MustNewConstMetric(disabledDesc, prometheus.GaugeValue, float64(n), route)
	}
}

// RegisterEndpoints adds the endpoint metrics of configs with outbound
// routes; the gauge reads src.
func RegisterEndpoints(reg *prometheus.Registry, src Source) {
	register(reg, endpointsDisabled, endpointGauges{src})
}

// EndpointDisabled counts the disabling of an endpoint of route, for
// reason (gone, failing, admin).
func EndpointDisabled(route, reason string) {
	endpointsDisabled.WithLabelValues(route, reason).Inc()
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

// Received counts a request to route by its result.
func (m *Metrics) Received(route, result string) {
	m.received.WithLabelValues(route, result).Inc()
}

// FilterError counts a filter expression of route that failed at run time.
func (m *Metrics) FilterError(route string) {
	m.filters.WithLabelValues(route).Inc()
}

// Attempt counts a delivery attempt and its duration.
func (m *Metrics) Attempt(a delivery.Attempt) {
	m.attempts.WithLabelValues(a.Queue, string(a.Outcome), codeLabel(a.Status)).Inc()
	m.latency.WithLabelValues(a.Queue).Observe(a.Took.Seconds())
}
