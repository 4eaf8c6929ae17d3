package main

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/benchscenario"
)

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
		case (g.Kind == benchscenario.RateRatioMin || g.Kind == benchscenario.P99RatioMax) && (r.Base == nil || r.Base.Skipped != "" || r.Base.Err != nil):
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
		if g.Kind == benchscenario.P99RatioMax {
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
