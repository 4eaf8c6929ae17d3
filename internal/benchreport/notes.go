package benchreport

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/benchscenario"
)

// noisyCores is how much CPU other processes may use during a scenario's
// window before its row is flagged as noisy.
const noisyCores = 0.25

// noisy returns the names of the scenarios measured while other processes
// kept the machine busy.
func (rep *Report) noisy() []string {
	var out []string
	for _, r := range rep.Results {
		if r.Skipped == "" && r.CPU.Other > noisyCores {
			out = append(out, "`"+r.S.Name+"`")
		}
	}
	return out
}

// Notes renders per-scenario details that do not fit the table.
func (rep *Report) Notes() string {
	var b strings.Builder
	for _, r := range rep.Results {
		lines := r.notes()
		if len(lines) == 0 {
			continue
		}
		fmt.Fprintf(&b, "- **%s** (`%s`): %s\n", r.Title(), r.S.Name, strings.Join(lines, "; "))
	}
	return b.String()
}

func (r *Result) notes() []string {
	var lines []string
	if r.Skipped != "" {
		lines = append(lines, "skipped: "+r.Skipped)
	}
	if r.Err != nil {
		lines = append(lines, "error: "+strings.ReplaceAll(r.Err.Error(), "\n", " "))
	}
	if r.Load != nil && r.Skipped == "" {
		lines = append(lines, r.cpuNotes()...)
		lines = append(lines, r.loadNotes()...)
	}
	return append(lines, r.goalNotes()...)
}

// cpuNotes says what the window cost in CPU, and who else used it.
func (r *Result) cpuNotes() []string {
	var lines []string
	if r.CPUPerReq > 0 {
		l := fmt.Sprintf("Caddy CPU %.0f µs per answer", us(r.CPUPerReq))
		if b := r.Base; b != nil && b.Err == nil && b.Skipped == "" && b.CPUPerReq > 0 {
			l += fmt.Sprintf(" (%.1f× `%s`)", float64(r.CPUPerReq)/float64(b.CPUPerReq), b.S.Name)
		}
		lines = append(lines, l)
	}
	if c := r.CPU; c.Caddy+c.Harness > 0 {
		l := fmt.Sprintf("cores busy: Caddy %.2f, ", c.Caddy)
		if c.Redis > 0 {
			l += fmt.Sprintf("redis-server %.2f, ", c.Redis)
		}
		l += fmt.Sprintf("hookbench %.2f, other processes %.2f", c.Harness, c.Other)
		if c.Other > noisyCores {
			l = "**noisy** " + l
		}
		lines = append(lines, l)
	}
	return lines
}

// loadNotes adds deliveries, and for count runs the rate per tenth and RSS.
func (r *Result) loadNotes() []string {
	var lines []string
	if (r.S.Upstream == benchscenario.FastUpstream || r.S.Upstream == benchscenario.SlowUpstream) && r.S.Count == 0 {
		lines = append(lines, fmt.Sprintf("acked %s/s, upstream received %s/s in the same window",
			fmtRate(r.AckRate), fmtRate(r.DelivRate)))
	}
	if r.S.Count == 0 {
		return lines
	}
	lines = append(lines, fmt.Sprintf("%s requests answered in %.1f s (%s/s); RSS peak %.0f MiB, after the load %.0f MiB (%.0f anonymous, %.0f mapped files)",
		fmtRate(float64(r.Load.Sent)), r.Load.Window.Seconds(), fmtRate(r.AckRate),
		mib(r.PeakRSS), mib(r.FinalRSS), mib(r.FinalAnon), mib(r.FinalFile)))
	if len(r.Slices) > 0 {
		var ss []string
		for _, v := range r.Slices {
			ss = append(ss, fmtRate(v))
		}
		lines = append(lines, "enqueue rate per tenth (req/s): "+strings.Join(ss, ", "))
	}
	return lines
}

// goalNotes flags an absolute latency goal the plain-Caddy baseline itself
// misses: that says more about the load than about the gateway.
func (r *Result) goalNotes() []string {
	var lines []string
	for _, c := range r.Checks {
		if c.Goal.Kind == benchscenario.P99Max && r.S.Rate == 0 && r.Base != nil && r.Base.Err == nil && r.Base.Skipped == "" && ms(r.Base.P99) > c.Goal.Value {
			lines = append(lines, fmt.Sprintf("the baseline `%s` itself has p99 %s > %g ms at this load: the closed loop keeps the cores saturated, so p99 here measures queueing as much as the gateway",
				r.Base.S.Name, fmtDur(r.Base.P99), c.Goal.Value))
		}
	}
	return lines
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }
