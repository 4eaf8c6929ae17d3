// Package benchreport judges and reports what hookbench measured: a
// scenario's Result, checked against its goals and its baseline's result
// (Evaluate), and the results file, a markdown table with the machine, the
// per-scenario details and the method, and an SVG chart beside it.
package benchreport

import (
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/benchscenario"
	"github.com/hookgate/hookgate/internal/loadgen"
	"github.com/hookgate/hookgate/internal/procstat"
)

// Result is what one scenario measured, and how it compares with its goals.
type Result struct {
	S       *benchscenario.Scenario
	Base    *Result // the baseline's result, if any
	Skipped string  // why it did not run
	Err     error   // why it failed

	Load      *loadgen.Result
	Rate      float64 // per S.Metric, per second
	AckRate   float64 // 2xx answers per second at the client
	P50, P99  time.Duration
	P999      time.Duration
	PeakRSS   int64   // bytes, sampled every 100 ms
	FinalRSS  int64   // bytes, after the load
	FinalAnon int64   // bytes of FinalRSS that are anonymous (heap, stacks)
	FinalFile int64   // bytes of FinalRSS that are mapped files (the bbolt file)
	Delivered int64   // received by the upstream in the window
	DelivRate float64 // Delivered per second
	Slices    []float64
	Count     int               // requests of a count run
	CPUPerReq time.Duration     // Caddy's CPU time per 2xx answer in the window
	CPU       procstat.CPUShare // cores used in the window by Caddy, hookbench, the rest

	Checks []Check // one per goal
}

// Check is a goal's outcome.
type Check struct {
	Goal   benchscenario.Goal
	Actual float64 // the compared number: a ratio, ms or MiB
	Met    bool
	Why    string // set when it could not be evaluated
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
		case g.Kind.NeedsBaseline() && (r.Base == nil || r.Base.Skipped != "" || r.Base.Err != nil):
			c.Why = "no baseline"
		default:
			switch g.Kind {
			case benchscenario.RateRatioMin:
				if r.Base.Rate > 0 {
					c.Actual = r.Rate / r.Base.Rate
				}
				c.Met = c.Actual >= g.Value
			case benchscenario.P99Max:
				c.Actual = ms(r.P99)
				c.Met = c.Actual <= g.Value
			case benchscenario.P99RatioMax:
				if r.Base.P99 > 0 {
					c.Actual = float64(r.P99) / float64(r.Base.P99)
				}
				c.Met = r.Base.P99 > 0 && c.Actual <= g.Value
			case benchscenario.RSSMax:
				c.Actual = mib(r.PeakRSS)
				c.Met = c.Actual <= g.Value
			case benchscenario.RateFlat:
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
			case benchscenario.LastTenthMin:
				if len(r.Slices) < 10 {
					c.Why = "incomplete run"
					break
				}
				if r.Slices[0] > 0 {
					c.Actual = r.Slices[len(r.Slices)-1] / r.Slices[0]
				}
				c.Met = c.Actual >= g.Value
			case benchscenario.CPURatioMax:
				if r.Base.CPUPerReq > 0 {
					c.Actual = float64(r.CPUPerReq) / float64(r.Base.CPUPerReq)
				}
				c.Met = r.Base.CPUPerReq > 0 && r.CPUPerReq > 0 && c.Actual <= g.Value
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
// a ratio of ("req/s", "p99" or "CPU": that of its first ratio goal, else
// req/s), or ok=false without a usable baseline.
func (r *Result) Ratio() (v float64, of string, ok bool) {
	b := r.Base
	if b == nil || b.Skipped != "" || b.Err != nil || r.Skipped != "" || r.Err != nil {
		return 0, "", false
	}
	for _, g := range r.S.Goals {
		if g.Kind == benchscenario.RateRatioMin {
			break
		}
		if g.Kind == benchscenario.P99RatioMax {
			if b.P99 == 0 {
				return 0, "", false
			}
			return float64(r.P99) / float64(b.P99), "p99", true
		}
		if g.Kind == benchscenario.CPURatioMax {
			if b.CPUPerReq == 0 {
				return 0, "", false
			}
			return float64(r.CPUPerReq) / float64(b.CPUPerReq), "CPU", true
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

// Problems says what makes the run invalid, or nil.
func (r *Result) Problems() error {
	lr := r.Load
	var out []string
	if lr.OK == 0 {
		out = append(out, "no 2xx answer")
	}
	if lr.Non2xx > 0 {
		out = append(out, fmt.Sprintf("%d non-2xx answers (%s)", lr.Non2xx, statusList(lr.Statuses)))
	}
	if lr.Errors > 0 {
		out = append(out, fmt.Sprintf("%d transport errors (last: %s)", lr.Errors, lr.LastErr))
	}
	if r.Count > 0 && lr.Sent < r.Count {
		out = append(out, fmt.Sprintf("only %d of %d requests answered within %s", lr.Sent, r.Count, r.S.MaxTime))
	}
	if r.S.Metric == benchscenario.Delivered && r.Delivered == 0 {
		out = append(out, "nothing delivered to the upstream")
	}
	if len(out) == 0 {
		return nil
	}
	return errors.New(strings.Join(out, "; "))
}
