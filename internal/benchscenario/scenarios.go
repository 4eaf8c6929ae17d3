// Package benchscenario declares what hookbench measures: each scenario's
// Caddyfile route, storage, upstream and load, the goals it is judged by and
// the baseline it is compared with; the table itself (Scenarios), checking
// and selecting from it, and the Caddyfile a scenario renders to.
package benchscenario

import "time"

// UpstreamKind is what stands behind Caddy in a scenario.
type UpstreamKind int

const (
	NoUpstream   UpstreamKind = iota // Caddy answers by itself
	FastUpstream                     // the receiver answers at once
	SlowUpstream                     // the receiver answers after Scenario.Delay
	DownUpstream                     // a loopback port nothing listens on
	MTLSUpstream                     // the receiver over HTTPS, requiring a client certificate of a CA made at run time
)

// Metric is the throughput a scenario reports in its req/s column.
type Metric int

const (
	Acked     Metric = iota // 2xx answers per second at the client
	Delivered               // requests per second received by the upstream
)

// GoalKind is how a goal compares a result with a number.
type GoalKind int

const (
	RateRatioMin GoalKind = iota // throughput ≥ Value × the baseline's
	P99Max                       // p99 ≤ Value milliseconds
	P99RatioMax                  // p99 ≤ Value × the baseline's p99
	RSSMax                       // peak RSS ≤ Value MiB
	RateFlat                     // enqueue rate of the last tenths ≥ (1−Value) × the first's
	LastTenthMin                 // enqueue rate of the last tenth ≥ Value × the first tenth's
	CPURatioMax                  // Caddy's CPU per answer ≤ Value × the baseline's
)

// NeedsBaseline reports whether the goal compares with a baseline.
func (k GoalKind) NeedsBaseline() bool {
	return k == RateRatioMin || k == P99RatioMax || k == CPURatioMax
}

// Goal is one claim a scenario must meet.
type Goal struct {
	Kind  GoalKind
	Value float64
}

// StoreKind is the webhooks app's storage in a scenario.
type StoreKind int

const (
	NoStore       StoreKind = iota // no webhooks option: Caddy's defaults
	EmbeddedStore                  // storage embedded <scenario dir>/webhooks
	RedisStore                     // storage redis <url of a redis-server the harness starts>
)

// Modules the gateway scenarios need in the binary; a scenario whose
// module is missing is reported as not built yet.
const (
	WebhookModule  = "http.handlers.webhook_inbound"
	OutboundModule = "http.handlers.webhook_outbound"
	RedisModule    = "webhooks.storage.redis"
)

// Scenario is one row of the results table: a Caddyfile route, what stands
// behind it, how the load is applied and what it is compared with. Adding a
// scenario is adding an entry to Scenarios.
type Scenario struct {
	Name  string // short id, used by -run and Baseline
	Title string // table label; {n} stands for the request count of a count run

	// Route is the body of `route <Path> { … }`, a text/template over
	// RouteData. A line that is only {{template "verify" .}} becomes the HMAC
	// verify block.
	Route string
	// Store is the global `webhooks { storage … }` option.
	Store StoreKind
	// Needs lists modules the binary must have, and NeedsCmd programs that
	// must be on PATH; without them the scenario is skipped as not built.
	Needs    []string
	NeedsCmd []string

	Upstream UpstreamKind
	Delay    time.Duration // SlowUpstream's answer time

	Path   string // request path; default /hooks/contextfile
	Unsign bool   // send no signature header

	// Count > 0 sends that many requests (QuickCount in quick mode) instead
	// of loading for a duration; MaxTime bounds such a run.
	Count, QuickCount int
	MaxTime           time.Duration

	// Rate, if positive, offers that many requests per second in all (open
	// loop) instead of keeping every connection busy: for latency at a
	// stated load rather than at saturation.
	Rate float64

	Metric   Metric
	Baseline string // Name of an earlier scenario this one is compared with
	Goals    []Goal
}

// RouteData is what a Route template may use.
type RouteData struct {
	Upstream    string // host:port of the upstream (receiver or closed port)
	UpstreamURL string // http://host:port (https:// for MTLSUpstream)
	SecretEnv   string // name of the env var that holds the HMAC secret
	// PEM files of an MTLSUpstream: the private CA, and the client
	// certificate and key that Caddy presents.
	CA, ClientCert, ClientKey string
}

const verifyCall = `{{template "verify" .}}`

const verifyBlock = `verify hmac {
	header X-Webhook-Signature
	algorithm sha256
	encoding hex
	secret {env.{{.SecretEnv}}}
}`

// queuedRoute is the full inbound path: verify, dedupe, durable enqueue, ack.
const queuedRoute = `webhook_inbound {
	{{template "verify" .}}
	dedupe {json.id}
	upstream {{.UpstreamURL}} {
		timeout 30s
		concurrency 64
	}
}`

// heldRoute is queuedRoute with its upstream down: the first attempts are
// refused (the next an hour later), then the queue's breaker holds the rest
// untried, so nothing is delivered in the window: the ack path alone.
const heldRoute = `webhook_inbound {
	{{template "verify" .}}
	dedupe {json.id}
	upstream {{.UpstreamURL}} {
		timeout 30s
		retry 1h
		concurrency 64
	}
}`

// keptRoute is queuedRoute keeping what it delivers for a day: each
// delivery rewrites its message as delivered, with its attempt, instead of
// removing it.
const keptRoute = `webhook_inbound {
	{{template "verify" .}}
	dedupe {json.id}
	upstream {{.UpstreamURL}} {
		timeout 30s
		concurrency 64
		keep_delivered 24h
	}
}`

// fanoutRoute is queuedRoute fanned out to three upstreams (the same
// receiver under three names, so the upstream's cost is the only change):
// one verify, one dedupe claim, one body and three deliveries in one commit.
const fanoutRoute = `webhook_inbound {
	name bench
	{{template "verify" .}}
	dedupe {json.id}
	upstream {{.UpstreamURL}} {
		name billing
		timeout 30s
		concurrency 64
	}
	upstream {{.UpstreamURL}} {
		name analytics
		when {json.id} != ""
		timeout 30s
		concurrency 64
	}
	upstream {{.UpstreamURL}} {
		name audit
		timeout 30s
		concurrency 64
	}
}`

// proxyRoute is reverse_proxy with as many idle keep-alive connections as
// the load has in flight (Caddy keeps 32 per host by default): behind the
// dedupe claim's group commit, requests reach the proxy in bursts of up to
// 64, and with 32 idle connections every burst dialled anew. Both proxy
// scenarios use it, so the comparison stays like for like.
const proxyRoute = `reverse_proxy {{.Upstream}} {
	transport http {
		keepalive_idle_conns_per_host 64
	}
}`

// outboundRoute submits to a loopback http destination, which the SSRF
// guard refuses by default: allow_http and allow_private open it. Its
// delivery options are queuedRoute's, so the two directions compare.
const outboundRoute = `webhook_outbound {
	to {{.UpstreamURL}}/hook
	allow_http
	allow_private 127.0.0.0/8
	timeout 30s
	concurrency 64
	sign hmac {
		header X-Webhook-Signature
		algorithm sha256
		encoding hex
		secret {env.{{.SecretEnv}}}
	}
}`

// mtlsRoute is queuedRoute delivering over HTTPS with a client
// certificate (transport tls_client_auth, the private CA in
// tls_trust_pool), HTTP/1.1 and as many idle connections as plain
// delivery keeps (its concurrency), so that only TLS differs from e2e.
const mtlsRoute = `webhook_inbound {
	{{template "verify" .}}
	dedupe {json.id}
	upstream {{.UpstreamURL}} {
		timeout 30s
		concurrency 64
		transport http {
			tls_client_auth {{.ClientCert}} {{.ClientKey}}
			tls_trust_pool file {{.CA}}
			versions 1.1
			keepalive_idle_conns_per_host 64
		}
	}
}`

// Scenarios is the benchmark, in run order: a baseline comes before the
// scenarios compared with it.
var Scenarios = []Scenario{
	{
		Name:  "respond",
		Title: "baseline: Caddy `respond 202`",
		Route: `respond 202`,
	},
	{
		// The ack's own cost: nothing is delivered in the window.
		Name:     "ingest",
		Title:    "ingest only: HMAC + dedupe + durable enqueue + 202, nothing delivered",
		Route:    heldRoute,
		Store:    EmbeddedStore,
		Needs:    []string{WebhookModule},
		Upstream: DownUpstream,
		Baseline: "respond",
		Goals:    []Goal{{RateRatioMin, 0.6}, {CPURatioMax, 2}},
	},
	{
		// The same while a fast upstream receives every message on the same
		// cores: the baseline of the rows below, judged as e2e.
		Name:     "inbound",
		Title:    "inbound: HMAC + dedupe + durable enqueue + 202, delivering",
		Route:    queuedRoute,
		Store:    EmbeddedStore,
		Needs:    []string{WebhookModule},
		Upstream: FastUpstream,
		Baseline: "respond",
	},
	{
		// Against the one-upstream row, with deliveries running: the
		// receiver gets three requests per ack and the store records three
		// deliveries, on the same cores, so this is the whole cost.
		Name:     "fanout",
		Title:    "inbound fanned out to 3 upstreams (one commit, 3 deliveries) + 202",
		Route:    fanoutRoute,
		Store:    EmbeddedStore,
		Needs:    []string{WebhookModule},
		Upstream: FastUpstream,
		Baseline: "inbound",
		Goals:    []Goal{{RateRatioMin, 0.5}},
	},
	{
		// Against the same row without keep_delivered, deliveries running:
		// the ack rate when every delivered message is kept.
		Name:     "keep-delivered",
		Title:    "inbound with `keep_delivered 24h` (deliveries kept, not removed) + 202",
		Route:    keptRoute,
		Store:    EmbeddedStore,
		Needs:    []string{WebhookModule},
		Upstream: FastUpstream,
		Baseline: "inbound",
		Goals:    []Goal{{RateRatioMin, 0.9}},
	},
	{
		// The p99 goal, judged where it means something: the closed loop
		// above saturates both cores, where p99 is queueing (respond 202
		// itself is above 10 ms there). Its CPU per answer against the
		// saturated row's says whether commits stop being shared.
		Name:     "inbound-paced",
		Title:    "inbound at 1,000 req/s (open loop): ack latency",
		Route:    queuedRoute,
		Store:    EmbeddedStore,
		Needs:    []string{WebhookModule},
		Upstream: FastUpstream,
		Rate:     1000,
		Baseline: "inbound",
		Goals:    []Goal{{P99Max, 5}, {CPURatioMax, 1.3}},
	},
	{
		Name:     "inbound-slow",
		Title:    "inbound, upstream takes 2 s per request",
		Route:    queuedRoute,
		Store:    EmbeddedStore,
		Needs:    []string{WebhookModule},
		Upstream: SlowUpstream,
		Delay:    2 * time.Second,
		Baseline: "inbound",
		Goals:    []Goal{{P99RatioMax, 1.2}},
	},
	{
		// The ack path's cost alone: the upstreams take 2 s, so few
		// deliveries run, and the commit of one body and three deliveries
		// is compared with inbound-slow's of one message.
		Name:     "fanout-slow",
		Title:    "inbound fanned out to 3 upstreams, each taking 2 s: the ack path",
		Route:    fanoutRoute,
		Store:    EmbeddedStore,
		Needs:    []string{WebhookModule},
		Upstream: SlowUpstream,
		Delay:    2 * time.Second,
		Baseline: "inbound-slow",
		Goals:    []Goal{{RateRatioMin, 0.8}},
	},
	{
		Name:     "redis",
		Title:    "inbound, Redis storage (appendfsync always)",
		Route:    queuedRoute,
		Store:    RedisStore,
		Needs:    []string{WebhookModule, RedisModule},
		NeedsCmd: []string{"redis-server"},
		Upstream: FastUpstream,
		Baseline: "inbound",
		Goals:    []Goal{{RateRatioMin, 0.8}},
	},
	{
		Name:     "proxy",
		Title:    "baseline: plain `reverse_proxy`",
		Route:    proxyRoute,
		Upstream: FastUpstream,
	},
	{
		Name:  "verify-proxy",
		Title: "inbound verify-only + `reverse_proxy`",
		Route: `webhook_inbound {
	{{template "verify" .}}
	dedupe {json.id}
}
` + proxyRoute,
		Needs:    []string{WebhookModule},
		Upstream: FastUpstream,
		Baseline: "proxy",
		Goals:    []Goal{{RateRatioMin, 0.85}},
	},
	{
		Name:     "e2e",
		Title:    "end to end: delivered to the upstream /s",
		Route:    queuedRoute,
		Store:    EmbeddedStore,
		Needs:    []string{WebhookModule},
		Upstream: FastUpstream,
		Metric:   Delivered,
		Baseline: "proxy",
		Goals:    []Goal{{RateRatioMin, 0.8}},
	},
	{
		Name:     "e2e-mtls",
		Title:    "end to end over HTTPS with mTLS (private CA): delivered /s",
		Route:    mtlsRoute,
		Store:    EmbeddedStore,
		Needs:    []string{WebhookModule},
		Upstream: MTLSUpstream,
		Metric:   Delivered,
		Baseline: "e2e",
		Goals:    []Goal{{RateRatioMin, 0.9}},
	},
	{
		Name:     "outbound",
		Title:    "outbound: submit + sign + deliver, delivered /s",
		Route:    outboundRoute,
		Store:    EmbeddedStore,
		Needs:    []string{OutboundModule},
		Upstream: FastUpstream,
		Path:     "/emit",
		Unsign:   true,
		Metric:   Delivered,
		Baseline: "proxy",
		Goals:    []Goal{{RateRatioMin, 0.8}},
	},
	{
		Name:       "queue-100k",
		Title:      "{n} queued, upstream down",
		Route:      heldRoute,
		Store:      EmbeddedStore,
		Needs:      []string{WebhookModule},
		Upstream:   DownUpstream,
		Count:      100_000,
		QuickCount: 10_000,
		MaxTime:    90 * time.Second,
		Goals:      []Goal{{RSSMax, 256}, {RateFlat, 0.2}},
	},
	{
		// Dedupe records pile up (a day's window) while their messages are
		// delivered and removed: does a claim slow down as the records grow?
		Name:       "dedupe-1m",
		Title:      "{n} dedupe records: ack rate as they pile up, delivering",
		Route:      queuedRoute,
		Store:      EmbeddedStore,
		Needs:      []string{WebhookModule},
		Upstream:   FastUpstream,
		Count:      1_000_000,
		QuickCount: 10_000,
		MaxTime:    6 * time.Minute,
		Goals:      []Goal{{LastTenthMin, 0.9}},
	},
}
