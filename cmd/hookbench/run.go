package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"
)

// Result is what one scenario measured, and how it compares with its goals.
type Result struct {
	S       *Scenario
	Base    *Result // the baseline's result, if any
	Skipped string  // why it did not run
	Err     error   // why it failed

	Load      *LoadResult
	Rate      float64 // per S.Metric, per second
	AckRate   float64 // 2xx answers per second at the client
	P50, P99  time.Duration
	P999      time.Duration
	PeakRSS   int64   // bytes, sampled every 100 ms
	FinalRSS  int64   // bytes, after the load
	Delivered int64   // received by the upstream in the window
	DelivRate float64 // Delivered per second
	Slices    []float64
	Count     int           // requests of a count run
	CPUPerReq time.Duration // Caddy's CPU time per 2xx answer in the window

	Checks []Check // one per goal
}

// Check is a goal's outcome.
type Check struct {
	Goal   Goal
	Actual float64 // the compared number: a ratio, ms or MiB
	Met    bool
	Why    string // set when it could not be evaluated
}

// runScenario starts what s needs, loads it, and tears everything down.
func runScenario(ctx context.Context, s *Scenario, o Options, bin, dir, runID string) *Result {
	r := &Result{S: s}
	fail := func(err error) *Result { r.Err = err; return r }

	var recv *Receiver
	upstream := ""
	switch s.Upstream {
	case FastUpstream, SlowUpstream:
		delay := time.Duration(0)
		if s.Upstream == SlowUpstream {
			delay = s.Delay
		}
		var err error
		if recv, err = StartReceiver(delay); err != nil {
			return fail(fmt.Errorf("receiver: %w", err))
		}
		defer recv.Close()
		upstream = recv.Addr()
	case DownUpstream:
		port, err := freePort()
		if err != nil {
			return fail(err)
		}
		upstream = fmt.Sprintf("127.0.0.1:%d", port)
	}

	adminPort, err := freePort()
	if err != nil {
		return fail(err)
	}
	httpPort, err := freePort()
	if err != nil {
		return fail(err)
	}
	path := s.Path
	if path == "" {
		path = "/hooks/contextfile"
	}
	p := CaddyfileParams{
		AdminAddr: fmt.Sprintf("127.0.0.1:%d", adminPort),
		HTTPPort:  httpPort,
		Path:      path,
		Route: RouteData{
			Upstream:    upstream,
			UpstreamURL: "http://" + upstream,
			SecretEnv:   secretEnv,
		},
	}
	if s.Storage {
		p.StorageDir = filepath.Join(dir, "webhooks")
	}
	cf, err := renderCaddyfile(s, p)
	if err != nil {
		return fail(err)
	}
	httpAddr := fmt.Sprintf("127.0.0.1:%d", httpPort)
	cad, err := StartCaddy(ctx, bin, dir, cf, p.AdminAddr, httpAddr, []string{secretEnv + "=" + o.Secret})
	if err != nil {
		return fail(err)
	}
	defer cad.Stop()

	sampCtx, stopSamp := context.WithCancel(ctx)
	var sampWG sync.WaitGroup
	sampWG.Add(1)
	go func() { defer sampWG.Done(); cad.SampleRSS(sampCtx, 100*time.Millisecond) }()

	spec := LoadSpec{
		Addr:     httpAddr,
		Path:     path,
		Conns:    o.Conns,
		Warmup:   o.Warmup,
		Duration: o.Duration,
		RunID:    runID,
	}
	if !s.Unsign {
		spec.Secret = []byte(o.Secret)
	}
	count := 0
	if s.Count > 0 {
		count = s.Count
		if o.Quick && s.QuickCount > 0 {
			count = s.QuickCount
		}
		if o.Messages > 0 {
			count = o.Messages
		}
		spec.Count = count
		r.Count = count
		spec.MaxTime = s.MaxTime
	}

	// Deliveries and Caddy's CPU time counted over the client's window.
	var d0, d1 int64
	var cpu0, cpu1 time.Duration
	var dmu sync.Mutex
	sample := func(d *int64, c *time.Duration) {
		dmu.Lock()
		defer dmu.Unlock()
		if recv != nil {
			*d = recv.Delivered()
		}
		*c, _ = cad.CPUTime()
	}
	if count == 0 {
		t0 := time.AfterFunc(o.Warmup, func() { sample(&d0, &cpu0) })
		t1 := time.AfterFunc(o.Warmup+o.Duration, func() { sample(&d1, &cpu1) })
		defer t0.Stop()
		defer t1.Stop()
	} else {
		sample(&d0, &cpu0)
	}
	lr, lerr := runLoad(ctx, spec)
	if count > 0 {
		sample(&d1, &cpu1)
	}
	if fr, err := cad.RSS(); err == nil {
		r.FinalRSS = fr
	}
	stopSamp()
	sampWG.Wait()
	r.PeakRSS = max(cad.PeakRSS(), r.FinalRSS)
	r.Load = lr
	if lerr != nil {
		return fail(lerr)
	}
	if !cad.Alive() {
		return fail(fmt.Errorf("caddy exited during the load\n%s", cad.LogTail(20)))
	}

	r.AckRate = lr.Rate()
	r.P50 = lr.Hist.Quantile(50)
	r.P99 = lr.Hist.Quantile(99)
	r.P999 = lr.Hist.Quantile(99.9)
	dmu.Lock()
	if recv != nil && count == 0 {
		r.Delivered = d1 - d0
		r.DelivRate = float64(r.Delivered) / o.Duration.Seconds()
	}
	if lr.OK > 0 && cpu1 > cpu0 {
		r.CPUPerReq = (cpu1 - cpu0) / time.Duration(lr.OK)
	}
	dmu.Unlock()
	r.Rate = r.AckRate
	if s.Metric == Delivered {
		r.Rate = r.DelivRate
	}
	if count > 0 && lr.Sent == count {
		r.Slices = lr.SliceRates(count)
	}

	var problems []string
	if lr.OK == 0 {
		problems = append(problems, "no 2xx answer")
	}
	if lr.Non2xx > 0 {
		problems = append(problems, fmt.Sprintf("%d non-2xx answers (%s)", lr.Non2xx, statusList(lr.Statuses)))
	}
	if lr.Errors > 0 {
		problems = append(problems, fmt.Sprintf("%d transport errors (last: %s)", lr.Errors, lr.LastErr))
	}
	if count > 0 && lr.Sent < count {
		problems = append(problems, fmt.Sprintf("only %d of %d requests answered within %s", lr.Sent, count, s.MaxTime))
	}
	if s.Metric == Delivered && r.Delivered == 0 {
		problems = append(problems, "nothing delivered to the upstream")
	}
	if len(problems) > 0 {
		r.Err = errors.New(strings.Join(problems, "; "))
		if o.Keep {
			fmt.Fprintf(os.Stderr, "\n%s\n", cad.LogTail(10))
		}
	}
	return r
}

func statusList(m map[int]uint64) string {
	keys := make([]int, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Ints(keys)
	var parts []string
	for _, k := range keys {
		parts = append(parts, fmt.Sprintf("%d×%d", m[k], k))
	}
	return strings.Join(parts, ", ")
}

// Evaluate fills r.Checks from the goals and the baseline.
func (r *Result) Evaluate() {
	r.Checks = nil
	for _, g := range r.S.Goals {
		c := Check{Goal: g}
		switch {
		case r.Skipped != "":
			c.Why = "skipped"
		case r.Err != nil:
			c.Why = "error"
		case (g.Kind == RateRatioMin || g.Kind == P99RatioMax) && (r.Base == nil || r.Base.Skipped != "" || r.Base.Err != nil):
			c.Why = "no baseline"
		default:
			switch g.Kind {
			case RateRatioMin:
				if r.Base.Rate > 0 {
					c.Actual = r.Rate / r.Base.Rate
				}
				c.Met = c.Actual >= g.Value
			case P99Max:
				c.Actual = ms(r.P99)
				c.Met = c.Actual <= g.Value
			case P99RatioMax:
				if r.Base.P99 > 0 {
					c.Actual = float64(r.P99) / float64(r.Base.P99)
				}
				c.Met = r.Base.P99 > 0 && c.Actual <= g.Value
			case RSSMax:
				c.Actual = mib(r.PeakRSS)
				c.Met = c.Actual <= g.Value
			case RateFlat:
				if len(r.Slices) < 6 {
					c.Why = "incomplete run"
					break
				}
				first := mean(r.Slices[:3])
				last := mean(r.Slices[len(r.Slices)-3:])
				if first > 0 {
					c.Actual = last / first
				}
				c.Met = c.Actual >= 1-g.Value
			}
		}
		r.Checks = append(r.Checks, c)
	}
}

// Met reports whether the scenario ran and met every goal.
func (r *Result) Met() bool {
	if r.Skipped != "" || r.Err != nil {
		return false
	}
	for _, c := range r.Checks {
		if !c.Met {
			return false
		}
	}
	return true
}

// Ratio returns the scenario's headline ratio to its baseline and what it is
// a ratio of ("req/s" or "p99"), or ok=false without a usable baseline.
func (r *Result) Ratio() (v float64, of string, ok bool) {
	b := r.Base
	if b == nil || b.Skipped != "" || b.Err != nil || r.Skipped != "" || r.Err != nil {
		return 0, "", false
	}
	for _, g := range r.S.Goals {
		if g.Kind == P99RatioMax {
			if b.P99 == 0 {
				return 0, "", false
			}
			return float64(r.P99) / float64(b.P99), "p99", true
		}
	}
	if b.Rate == 0 {
		return 0, "", false
	}
	return r.Rate / b.Rate, "req/s", true
}

// Title is the scenario's label with its request count filled in.
func (r *Result) Title() string {
	n := r.Count
	if n == 0 {
		n = r.S.Count
	}
	return strings.ReplaceAll(r.S.Title, "{n}", fmtRate(float64(n)))
}

// Summary is a one-line progress report.
func (r *Result) Summary() string {
	if r.Skipped != "" {
		return "skipped: " + r.Skipped
	}
	var b strings.Builder
	if r.Load != nil {
		fmt.Fprintf(&b, "%8.0f req/s  p50 %s  p99 %s  p99.9 %s  RSS %.0f MiB",
			r.Rate, fmtDur(r.P50), fmtDur(r.P99), fmtDur(r.P999), mib(r.PeakRSS))
		if r.DelivRate > 0 {
			fmt.Fprintf(&b, "  delivered %.0f/s", r.DelivRate)
		}
	}
	if r.Err != nil {
		fmt.Fprintf(&b, "  ERROR: %v", r.Err)
	}
	return b.String()
}

func mean(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s / float64(len(xs))
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
func mib(b int64) float64        { return float64(b) / (1 << 20) }
