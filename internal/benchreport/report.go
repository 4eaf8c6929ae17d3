package benchreport

import (
	"fmt"
	"math"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/benchscenario"
)

// Machine describes where the numbers were measured.
type Machine struct {
	CPUs   string // nproc
	Model  string // model name from /proc/cpuinfo
	Memory string // MemTotal
	Kernel string
	Go     string
	Caddy  string // first line of `caddy version`
}

// Report is everything the results file shows.
type Report struct {
	Machine   Machine
	Quick     bool
	Conns     int
	Warmup    time.Duration
	Duration  time.Duration
	When      time.Time
	Results   []*Result
	ChartFile string // SVG file name, relative to the markdown file

	LoadBefore, LoadAfter string // /proc/loadavg's 1, 5, 15 min averages
}

// DescribeMachine gathers the machine description.
func DescribeMachine(caddyBin string) Machine {
	m := Machine{
		CPUs:   firstLine(cmdOut("nproc"), strconv.Itoa(runtime.NumCPU())),
		Model:  "unknown",
		Memory: "unknown",
		Kernel: firstLine(cmdOut("uname", "-srm"), readTrim("/proc/sys/kernel/osrelease")),
		Go:     firstLine(cmdOut("go", "version"), runtime.Version()),
		Caddy:  caddyVersion(caddyBin),
	}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		m.Model = cpuModel(string(b))
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		m.Memory = memTotal(string(b))
	}
	return m
}

// caddyVersion returns the first line of `caddy version`.
func caddyVersion(bin string) string {
	out, err := exec.Command(bin, "version").Output()
	if err != nil {
		return "unknown (" + err.Error() + ")"
	}
	line, _, _ := strings.Cut(strings.TrimSpace(string(out)), "\n")
	return line
}

func cpuModel(cpuinfo string) string {
	for _, l := range strings.Split(cpuinfo, "\n") {
		k, v, ok := strings.Cut(l, ":")
		if ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

func memTotal(meminfo string) string {
	for _, l := range strings.Split(meminfo, "\n") {
		if rest, ok := strings.CutPrefix(l, "MemTotal:"); ok {
			if f := strings.Fields(rest); len(f) > 0 {
				if kb, err := strconv.ParseInt(f[0], 10, 64); err == nil {
					return fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
				}
			}
		}
	}
	return "unknown"
}

func cmdOut(name string, args ...string) string {
	out, err := exec.Command(name, args...).Output()
	if err != nil {
		return ""
	}
	return string(out)
}

func readTrim(path string) string {
	b, _ := os.ReadFile(path)
	return strings.TrimSpace(string(b))
}

func firstLine(s, fallback string) string {
	l, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	if l == "" {
		return fallback
	}
	return l
}

// fmtDur prints a latency in milliseconds with about three significant digits.
func fmtDur(d time.Duration) string {
	v := ms(d)
	switch {
	case d == 0:
		return "—"
	case v >= 10000:
		return fmt.Sprintf("%.1f s", v/1000)
	case v >= 100:
		return fmt.Sprintf("%.0f ms", v)
	case v >= 10:
		return fmt.Sprintf("%.1f ms", v)
	default:
		return fmt.Sprintf("%.2f ms", v)
	}
}

// fmtRate prints a rate with thousands separators.
func fmtRate(v float64) string {
	n := int64(math.Round(v))
	s := strconv.FormatInt(n, 10)
	var b strings.Builder
	for i, c := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	return b.String()
}

// goalText renders a goal for the table.
func goalText(g benchscenario.Goal) string {
	switch g.Kind {
	case benchscenario.RateRatioMin:
		return fmt.Sprintf("≥ %g× req/s", g.Value)
	case benchscenario.P99Max:
		return fmt.Sprintf("p99 ≤ %g ms", g.Value)
	case benchscenario.P99RatioMax:
		return fmt.Sprintf("p99 ≤ %g× (within %g %%)", g.Value, math.Round((g.Value-1)*100))
	case benchscenario.RSSMax:
		return fmt.Sprintf("RSS ≤ %g MiB", g.Value)
	case benchscenario.RateFlat:
		return fmt.Sprintf("rate flat (last 3 tenths ≥ %g× first 3)", 1-g.Value)
	case benchscenario.LastTenthMin:
		return fmt.Sprintf("last tenth ≥ %g× first", g.Value)
	case benchscenario.CPURatioMax:
		return fmt.Sprintf("CPU/answer ≤ %g×", g.Value)
	}
	return "?"
}

// actualText renders the measured side of a check.
func actualText(c Check) string {
	switch c.Goal.Kind {
	case benchscenario.RateRatioMin, benchscenario.RateFlat, benchscenario.LastTenthMin:
		return fmt.Sprintf("%.2f×", c.Actual)
	case benchscenario.P99RatioMax:
		return fmt.Sprintf("p99 %.2f×", c.Actual)
	case benchscenario.CPURatioMax:
		return fmt.Sprintf("CPU %.2f×", c.Actual)
	case benchscenario.P99Max:
		return fmt.Sprintf("p99 %.2f ms", c.Actual)
	case benchscenario.RSSMax:
		return fmt.Sprintf("%.0f MiB", c.Actual)
	}
	return "?"
}

// metText is the table's "met" cell.
func (r *Result) metText() string {
	switch {
	case r.Skipped != "":
		return r.skipText()
	case r.Err != nil:
		return "**error**"
	case len(r.Checks) == 0:
		return "—"
	}
	var failed []string
	for _, c := range r.Checks {
		if c.Why != "" {
			failed = append(failed, goalText(c.Goal)+": "+c.Why)
		} else if !c.Met {
			failed = append(failed, actualText(c))
		}
	}
	if len(failed) == 0 {
		return "yes"
	}
	return "**no** (" + strings.Join(failed, "; ") + ")"
}

// skipText is the short form of why a scenario did not run.
func (r *Result) skipText() string {
	if strings.HasPrefix(r.Skipped, "not built yet") {
		return "not built yet"
	}
	return "skipped"
}

// Table renders the results as one markdown table.
func (rep *Report) Table() string {
	var b strings.Builder
	b.WriteString("| scenario | req/s | p50 | p99 | p99.9 | RSS | baseline | ratio | goal | met |\n")
	b.WriteString("|---|--:|--:|--:|--:|--:|---|--:|---|---|\n")
	for _, r := range rep.Results {
		row := []string{r.Title(), "—", "—", "—", "—", "—", "—", "—", "—", r.metText()}
		if r.Skipped == "" && r.Load != nil {
			row[1] = fmtRate(r.Rate)
			if r.S.Metric == benchscenario.Delivered {
				row[1] += " delivered"
			}
			row[2], row[3], row[4] = fmtDur(r.P50), fmtDur(r.P99), fmtDur(r.P999)
			if r.PeakRSS > 0 {
				row[5] = fmt.Sprintf("%.0f MiB", mib(r.PeakRSS))
			}
		}
		if r.S.Baseline != "" {
			row[6] = r.S.Baseline
			if v, of, ok := r.Ratio(); ok {
				row[7] = fmt.Sprintf("%.2f× %s", v, of)
			}
		}
		if len(r.S.Goals) > 0 {
			var gs []string
			for _, g := range r.S.Goals {
				gs = append(gs, goalText(g))
			}
			row[8] = strings.Join(gs, ", ")
		}
		b.WriteString("| " + strings.Join(row, " | ") + " |\n")
	}
	return b.String()
}

// Markdown renders the whole results file.
func (rep *Report) Markdown() string {
	var b strings.Builder
	b.WriteString("# Hookgate benchmark results\n\n")
	if rep.Quick {
		b.WriteString("> **Quick smoke run**: it checks that the harness works; its numbers judge nothing.\n\n")
	}
	if n := rep.noisy(); len(n) > 0 {
		fmt.Fprintf(&b, "> **Noisy run**: other processes kept more than %.2g cores busy during %s; "+
			"compare those rows with care, or run again on a quiet machine.\n\n", noisyCores, strings.Join(n, ", "))
	}
	fmt.Fprintf(&b, "Measured by `cmd/hookbench` on %s. Every figure is meaningful only as a ratio to the "+
		"baseline measured in the same run on the same machine; the absolute numbers describe this machine.\n\n",
		rep.When.Format("2006-01-02 15:04 UTC"))
	b.WriteString("## Machine\n\n")
	m := rep.Machine
	fmt.Fprintf(&b, "- CPU: %s, %s cores (`nproc`)\n", m.Model, m.CPUs)
	fmt.Fprintf(&b, "- Memory: %s\n", m.Memory)
	fmt.Fprintf(&b, "- Kernel: %s\n", m.Kernel)
	fmt.Fprintf(&b, "- Go: %s\n", m.Go)
	fmt.Fprintf(&b, "- Caddy: %s\n", m.Caddy)
	if rep.LoadBefore != "" {
		fmt.Fprintf(&b, "- Load average (1, 5, 15 min): %s before the run, %s after\n", rep.LoadBefore, rep.LoadAfter)
	}
	b.WriteString("\n")
	b.WriteString("## Results\n\n")
	fmt.Fprintf(&b, "%d keep-alive HTTP/1.1 connections, 1 KiB signed JSON bodies, %s warm-up then %s measured per scenario.\n\n",
		rep.Conns, rep.Warmup, rep.Duration)
	b.WriteString(rep.Table())
	if rep.ChartFile != "" {
		fmt.Fprintf(&b, "\n![throughput and p99 per scenario](%s)\n", rep.ChartFile)
	}
	if n := rep.Notes(); n != "" {
		b.WriteString("\n### Details\n\n")
		b.WriteString(n)
	}
	b.WriteString(method)
	return b.String()
}

const method = `
## Method

- Each scenario starts the real Caddy binary (` + "`caddy run`" + `) with its own Caddyfile, data and
  config directories and free loopback ports; access logs are off, Caddy's default log stays on.
  The baseline a scenario is compared with runs in the same invocation, just before it.
- The load generator keeps N HTTP/1.1 connections open, each with one request in flight
  (closed loop); every body is 1 KiB of JSON with a unique ` + "`id`" + `, signed with hex
  HMAC-SHA256 in ` + "`X-Webhook-Signature`" + `. Only answers that complete inside the measured
  window count. Latency runs from writing the request to reading the whole answer, recorded
  in a log-bucketed histogram (128 sub-buckets per power of two: < 1 % error).
- The generator and the upstream receiver run in one process on the same cores as Caddy, so
  every scenario pays for them alike; ratios, not absolute figures, are the claim.
- **req/s** counts 2xx answers per second, except *delivered*, which counts requests the
  upstream received in the window. **RSS** is Caddy's peak VmRSS, sampled every 100 ms; it
  counts the pages of the bbolt file Caddy has mapped, which the details split out.
- **Cores busy** (details): Caddy's CPU time, hookbench's own and everything else's over the
  window, from /proc. A row where other processes used more than 0.25 cores is flagged noisy:
  this machine is shared, and the load generator competes with Caddy for the same cores.
  *Caddy CPU per answer*, and its ratio to the baseline's, is the figure least moved by noise.
- *Upstream takes 2 s*: the receiver answers each delivery after 2 s; the goal compares the
  ack p99 with the fast-upstream run. *Upstream down*: deliveries go to a closed port; the
  enqueue rate of each tenth of the messages shows whether it falls as the queue grows.
- Any non-2xx answer or transport error marks the scenario as an error.
`

// SVG renders a bar chart: req/s and p99 per scenario, side by side.
func (rep *Report) SVG() string {
	const (
		width  = 980
		labelW = 360
		panelW = 270
		gap    = 40
		rowH   = 28
		top    = 70
		barH   = 16
	)
	rows := rep.Results
	height := top + rowH*len(rows) + 40
	var maxRate, maxP99 float64
	for _, r := range rows {
		if r.Skipped == "" && r.Err == nil && r.Load != nil {
			maxRate = max(maxRate, r.Rate)
			maxP99 = max(maxP99, ms(r.P99))
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, `<svg xmlns="http://www.w3.org/2000/svg" width="%d" height="%d" viewBox="0 0 %d %d" font-family="sans-serif" font-size="12">`+"\n",
		width, height, width, height)
	fmt.Fprintf(&b, `<rect width="%d" height="%d" fill="#ffffff"/>`+"\n", width, height)
	title := "Hookgate vs plain Caddy, same run"
	if rep.Quick {
		title += " (quick smoke run: not a measurement)"
	} else if len(rep.noisy()) > 0 {
		title += " (noisy machine: see results.md)"
	}
	fmt.Fprintf(&b, `<text x="10" y="22" font-size="16" font-weight="bold">%s</text>`+"\n", xmlEsc(title))
	fmt.Fprintf(&b, `<text x="10" y="40" fill="#555">%s</text>`+"\n",
		xmlEsc(fmt.Sprintf("%s, %s cores; Caddy %s; %d conns", rep.Machine.Model, rep.Machine.CPUs, firstField(rep.Machine.Caddy), rep.Conns)))
	x1 := labelW
	x2 := labelW + panelW + gap
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">req/s (higher is better)</text>`+"\n", x1, top-10)
	fmt.Fprintf(&b, `<text x="%d" y="%d" font-weight="bold">p99 latency, ms (lower is better)</text>`+"\n", x2, top-10)
	for i, r := range rows {
		y := top + i*rowH
		cy := y + barH - 3
		if i%2 == 1 {
			fmt.Fprintf(&b, `<rect x="0" y="%d" width="%d" height="%d" fill="#f4f4f4"/>`+"\n", y-5, width, rowH)
		}
		fmt.Fprintf(&b, `<text x="10" y="%d">%s</text>`+"\n", cy, xmlEsc(truncate(strings.ReplaceAll(r.Title(), "`", ""), 52)))
		if r.Skipped != "" || r.Err != nil || r.Load == nil {
			why := "error"
			if r.Skipped != "" {
				why = r.skipText()
			}
			fmt.Fprintf(&b, `<text x="%d" y="%d" fill="#a00">%s</text>`+"\n", x1, cy, why)
			continue
		}
		color := "#3b73b9"
		if r.S.Baseline == "" && len(r.S.Goals) == 0 {
			color = "#9a9a9a" // a baseline
		}
		w := barWidth(r.Rate, maxRate, panelW-70)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="%s"/>`+"\n", x1, y, w, barH, color)
		label := fmtRate(r.Rate)
		if r.S.Metric == benchscenario.Delivered {
			label += " delivered"
		}
		if v, of, ok := r.Ratio(); ok && of == "req/s" {
			label += fmt.Sprintf(" (%.2f×)", v)
		}
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", x1+w+4, cy, xmlEsc(label))
		w = barWidth(ms(r.P99), maxP99, panelW-70)
		fmt.Fprintf(&b, `<rect x="%d" y="%d" width="%d" height="%d" fill="#e08a2c"/>`+"\n", x2, y, w, barH)
		fmt.Fprintf(&b, `<text x="%d" y="%d">%s</text>`+"\n", x2+w+4, cy, xmlEsc(fmtDur(r.P99)))
	}
	fmt.Fprintf(&b, `<text x="10" y="%d" fill="#555">grey: plain Caddy baselines; blue: Hookgate scenarios; p99 is the ack latency seen by the sender.</text>`+"\n", height-14)
	b.WriteString("</svg>\n")
	return b.String()
}

func barWidth(v, maxV float64, full int) int {
	if maxV <= 0 || v <= 0 {
		return 0
	}
	return max(1, int(math.Round(v/maxV*float64(full))))
}

func truncate(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}

func xmlEsc(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", `"`, "&quot;").Replace(s)
}

func firstField(s string) string {
	if f := strings.Fields(s); len(f) > 0 {
		return f[0]
	}
	return s
}
