package main

import (
	"bytes"
	"fmt"
	"strings"
	"text/template"
	"time"
)

// UpstreamKind is what stands behind Caddy in a scenario.
type UpstreamKind int

const (
	NoUpstream   UpstreamKind = iota // Caddy answers by itself
	FastUpstream                     // the receiver answers at once
	SlowUpstream                     // the receiver answers after Scenario.Delay
	DownUpstream                     // a loopback port nothing listens on
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
)

// Goal is one claim a scenario must meet.
type Goal struct {
	Kind  GoalKind
	Value float64
}

// WebhookModule is the handler the gateway scenarios need in the binary.
const WebhookModule = "http.handlers.webhook_inbound"

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
	// Storage adds the global `webhooks { storage embedded <dir> }` option.
	Storage bool
	// Needs lists modules the binary must have; without them the scenario
	// is skipped.
	Needs []string

	Upstream UpstreamKind
	Delay    time.Duration // SlowUpstream's answer time

	Path   string // request path; default /hooks/contextfile
	Unsign bool   // send no signature header

	// Count > 0 sends that many requests (QuickCount in quick mode) instead
	// of loading for a duration; MaxTime bounds such a run.
	Count, QuickCount int
	MaxTime           time.Duration

	Metric   Metric
	Baseline string // Name of an earlier scenario this one is compared with
	Goals    []Goal
}

// RouteData is what a Route template may use.
type RouteData struct {
	Upstream    string // host:port of the upstream (receiver or closed port)
	UpstreamURL string // http://host:port
	SecretEnv   string // name of the env var that holds the HMAC secret
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

// Scenarios is the benchmark, in run order: a baseline comes before the
// scenarios compared with it.
var Scenarios = []Scenario{
	{
		Name:  "respond",
		Title: "baseline: Caddy `respond 202`",
		Route: `respond 202`,
	},
	{
		Name:     "inbound",
		Title:    "inbound: HMAC + dedupe + durable enqueue + 202",
		Route:    queuedRoute,
		Storage:  true,
		Needs:    []string{WebhookModule},
		Upstream: FastUpstream,
		Baseline: "respond",
		Goals:    []Goal{{RateRatioMin, 0.6}, {P99Max, 10}},
	},
	{
		Name:     "inbound-slow",
		Title:    "inbound, upstream takes 2 s per request",
		Route:    queuedRoute,
		Storage:  true,
		Needs:    []string{WebhookModule},
		Upstream: SlowUpstream,
		Delay:    2 * time.Second,
		Baseline: "inbound",
		Goals:    []Goal{{P99RatioMax, 1.2}},
	},
	{
		Name:     "proxy",
		Title:    "baseline: plain `reverse_proxy`",
		Route:    `reverse_proxy {{.Upstream}}`,
		Upstream: FastUpstream,
	},
	{
		Name:  "verify-proxy",
		Title: "inbound verify-only + `reverse_proxy`",
		Route: `webhook_inbound {
	{{template "verify" .}}
	dedupe {json.id}
}
reverse_proxy {{.Upstream}}`,
		Needs:    []string{WebhookModule},
		Upstream: FastUpstream,
		Baseline: "proxy",
		Goals:    []Goal{{RateRatioMin, 0.9}},
	},
	{
		Name:     "e2e",
		Title:    "end to end: delivered to the upstream /s",
		Route:    queuedRoute,
		Storage:  true,
		Needs:    []string{WebhookModule},
		Upstream: FastUpstream,
		Metric:   Delivered,
		Baseline: "proxy",
		Goals:    []Goal{{RateRatioMin, 0.8}},
	},
	{
		Name:  "queue-100k",
		Title: "{n} queued, upstream down",
		// One attempt each at once (refused), the next an hour later: the
		// messages stay queued for the whole run.
		Route: `webhook_inbound {
	{{template "verify" .}}
	dedupe {json.id}
	upstream {{.UpstreamURL}} {
		timeout 30s
		retry 1h
		concurrency 64
	}
}`,
		Storage:    true,
		Needs:      []string{WebhookModule},
		Upstream:   DownUpstream,
		Count:      100_000,
		QuickCount: 10_000,
		MaxTime:    90 * time.Second,
		Goals:      []Goal{{RSSMax, 256}, {RateFlat, 0.2}},
	},
}

// CaddyfileParams is what a Caddyfile is rendered from.
type CaddyfileParams struct {
	AdminAddr  string
	HTTPPort   int
	StorageDir string // "" leaves the webhooks option out
	Path       string
	Route      RouteData
}

// renderCaddyfile builds the whole Caddyfile for s.
func renderCaddyfile(s *Scenario, p CaddyfileParams) (string, error) {
	t, err := template.New("route").Parse(expandVerify(s.Route))
	if err != nil {
		return "", fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	var route bytes.Buffer
	if err := t.Execute(&route, p.Route); err != nil {
		return "", fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	var b strings.Builder
	b.WriteString("{\n\tadmin " + p.AdminAddr + "\n")
	if p.StorageDir != "" {
		b.WriteString("\twebhooks {\n\t\tstorage embedded " + p.StorageDir + "\n\t}\n")
	}
	b.WriteString("}\n\n")
	fmt.Fprintf(&b, ":%d {\n\tbind 127.0.0.1\n\troute %s {\n", p.HTTPPort, p.Path)
	b.WriteString(indent(route.String(), "\t\t"))
	b.WriteString("\t}\n}\n")
	return b.String(), nil
}

// expandVerify replaces each line that is only {{template "verify" .}} with
// verifyBlock, indented as that line was.
func expandVerify(route string) string {
	lines := strings.Split(route, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == verifyCall {
			pre := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			lines[i] = strings.TrimRight(indent(verifyBlock, pre), "\n")
		}
	}
	return strings.Join(lines, "\n")
}

// indent prefixes every non-empty line of s with pre and ends it with a newline.
func indent(s, pre string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			b.WriteString(pre)
		}
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}

// checkScenarios verifies names are unique and each baseline comes earlier.
func checkScenarios(list []Scenario) error {
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s.Name] {
			return fmt.Errorf("scenario %q listed twice", s.Name)
		}
		if s.Baseline != "" && !seen[s.Baseline] {
			return fmt.Errorf("scenario %q: baseline %q must come before it", s.Name, s.Baseline)
		}
		if len(s.Goals) > 0 && s.Baseline == "" {
			for _, g := range s.Goals {
				if g.Kind == RateRatioMin || g.Kind == P99RatioMax {
					return fmt.Errorf("scenario %q: a ratio goal needs a baseline", s.Name)
				}
			}
		}
		seen[s.Name] = true
	}
	return nil
}
