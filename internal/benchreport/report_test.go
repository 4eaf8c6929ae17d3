package benchreport

import (
	"encoding/xml"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/benchscenario"
	"github.com/hookgate/hookgate/internal/loadgen"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeResult builds a finished result with the given rate and latencies.
func fakeResult(s *benchscenario.Scenario, rate float64, p50, p99 time.Duration, rssMiB int64) *Result {
	return &Result{
		S:        s,
		Load:     &loadgen.Result{Hist: loadgen.NewHist(), OK: uint64(rate * 10), Window: 10 * time.Second, Sent: 100},
		Rate:     rate,
		AckRate:  rate,
		P50:      p50,
		P99:      p99,
		P999:     2 * p99,
		PeakRSS:  rssMiB << 20,
		FinalRSS: rssMiB << 20,
	}
}

func testReport() *Report {
	respond := &benchscenario.Scenario{Name: "respond", Title: "baseline: Caddy `respond 202`"}
	inbound := &benchscenario.Scenario{Name: "inbound", Title: "inbound <full>", Baseline: "respond", Upstream: benchscenario.FastUpstream,
		Goals: []benchscenario.Goal{{Kind: benchscenario.RateRatioMin, Value: 0.6}, {Kind: benchscenario.P99Max, Value: 10}}}
	slow := &benchscenario.Scenario{Name: "inbound-slow", Title: "inbound, slow", Baseline: "inbound", Upstream: benchscenario.SlowUpstream,
		Goals: []benchscenario.Goal{{Kind: benchscenario.P99RatioMax, Value: 1.2}}}
	verify := &benchscenario.Scenario{Name: "verify-proxy", Title: "verify-only", Baseline: "respond", Needs: []string{benchscenario.WebhookModule},
		Goals: []benchscenario.Goal{{Kind: benchscenario.RateRatioMin, Value: 0.9}}}
	e2e := &benchscenario.Scenario{Name: "e2e", Title: "e2e", Metric: benchscenario.Delivered, Baseline: "respond", Goals: []benchscenario.Goal{{Kind: benchscenario.RateRatioMin, Value: 0.8}}}
	queue := &benchscenario.Scenario{Name: "queue", Title: "{n} queued & co", Count: 100_000, Upstream: benchscenario.DownUpstream,
		Goals: []benchscenario.Goal{{Kind: benchscenario.RSSMax, Value: 256}, {Kind: benchscenario.RateFlat, Value: 0.2}}}

	rs := []*Result{
		fakeResult(respond, 20000, 2*time.Millisecond, 8*time.Millisecond, 50),  // p99 under inbound's 10 ms goal
		fakeResult(inbound, 14000, 3*time.Millisecond, 12*time.Millisecond, 70), // ratio met, p99 not
		fakeResult(slow, 13000, 3*time.Millisecond, 13*time.Millisecond, 80),    // 1.08× p99: met
		{S: verify, Skipped: "binary lacks " + benchscenario.WebhookModule},
		{S: e2e, Err: errors.New("12 non-2xx answers (12×503)"), Load: &loadgen.Result{Hist: loadgen.NewHist()}},
		fakeResult(queue, 3000, time.Millisecond, 40*time.Millisecond, 300), // RSS over
	}
	rs[1].DelivRate = 13990
	rs[5].Slices = []float64{3000, 3100, 3050, 3000, 2990, 2980, 2800, 2200, 2000, 1900} // falls
	rs[5].Load.Sent = 100
	byName := map[string]*Result{}
	for _, r := range rs {
		if r.S.Baseline != "" {
			r.Base = byName[r.S.Baseline]
		}
		r.Evaluate()
		byName[r.S.Name] = r
	}
	return &Report{
		Machine:   Machine{CPUs: "2", Model: "Test CPU", Memory: "1.0 GiB", Kernel: "Linux 6", Go: "go1.26", Caddy: "v2.11.9 h1:abc"},
		Conns:     64,
		Warmup:    3 * time.Second,
		Duration:  20 * time.Second,
		When:      time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
		Results:   rs,
		ChartFile: "results.svg",
	}
}

func tableRows(t *testing.T, table string) map[string][]string {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(table), "\n")
	require.GreaterOrEqual(t, len(lines), 2)
	require.Equal(t, "| scenario | req/s | p50 | p99 | p99.9 | RSS | baseline | ratio | goal | met |", lines[0])
	rows := map[string][]string{}
	for _, l := range lines[2:] {
		cells := strings.Split(strings.Trim(l, "|"), " | ")
		require.Len(t, cells, 10, "row %q", l)
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		rows[cells[0]] = cells
	}
	return rows
}

func TestTableRendering(t *testing.T) {
	rows := tableRows(t, testReport().Table())
	require.Len(t, rows, 6)

	base := rows["baseline: Caddy `respond 202`"]
	assert.Equal(t, []string{"baseline: Caddy `respond 202`", "20,000", "2.00 ms", "8.00 ms", "16.0 ms", "50 MiB", "—", "—", "—", "—"}, base)

	in := rows["inbound <full>"]
	assert.Equal(t, "14,000", in[1])
	assert.Equal(t, "respond", in[6])
	assert.Equal(t, "0.70× req/s", in[7])
	assert.Equal(t, "≥ 0.6× req/s, p99 ≤ 10 ms", in[8])
	assert.Equal(t, "**no** (p99 12.00 ms)", in[9])

	slow := rows["inbound, slow"]
	assert.Equal(t, "1.08× p99", slow[7], "the slow-upstream ratio is of p99")
	assert.Equal(t, "yes", slow[9])

	v := rows["verify-only"]
	assert.Equal(t, "—", v[1])
	assert.Equal(t, "skipped", v[9])

	e := rows["e2e"]
	assert.Equal(t, "**error**", e[9])
	assert.Equal(t, "—", e[7], "no ratio for a failed run")

	q := rows["100,000 queued & co"]
	assert.Equal(t, "—", q[6])
	assert.Equal(t, "300 MiB", q[5])
	assert.Contains(t, q[9], "**no**")
	assert.Contains(t, q[9], "300 MiB")
	assert.Contains(t, q[9], "0.67×", "mean of last three tenths (2033) over the first three (3050)")
}

func TestGoalsAndMet(t *testing.T) {
	rep := testReport()
	met := map[string]bool{}
	for _, r := range rep.Results {
		met[r.S.Name] = r.Met()
	}
	assert.Equal(t, map[string]bool{
		"respond": true, "inbound": false, "inbound-slow": true,
		"verify-proxy": false, "e2e": false, "queue": false,
	}, met)

	in := rep.Results[1]
	require.Len(t, in.Checks, 2)
	assert.True(t, in.Checks[0].Met)
	assert.InDelta(t, 0.7, in.Checks[0].Actual, 1e-9)
	assert.False(t, in.Checks[1].Met)

	// A goal whose baseline failed cannot be met.
	r := fakeResult(&benchscenario.Scenario{Name: "x", Baseline: "e2e", Goals: []benchscenario.Goal{{Kind: benchscenario.RateRatioMin, Value: 0.5}}}, 1, 1, 1, 1)
	r.Base = rep.Results[4]
	r.Evaluate()
	assert.False(t, r.Met())
	assert.Equal(t, "no baseline", r.Checks[0].Why)
}

func TestMarkdownHasMachineTableAndNotes(t *testing.T) {
	md := testReport().Markdown()
	for _, want := range []string{
		"# Hookgate benchmark results",
		"- CPU: Test CPU, 2 cores (`nproc`)",
		"- Memory: 1.0 GiB",
		"- Kernel: Linux 6",
		"- Go: go1.26",
		"- Caddy: v2.11.9 h1:abc",
		"64 keep-alive HTTP/1.1 connections",
		"![throughput and p99 per scenario](results.svg)",
		"acked 14,000/s, upstream received 13,990/s",
		"enqueue rate per tenth (req/s): 3,000, 3,100",
		"skipped: binary lacks " + benchscenario.WebhookModule,
		"error: 12 non-2xx answers",
		"## Method",
	} {
		assert.Contains(t, md, want)
	}
	assert.NotContains(t, md, "Quick smoke run")
	assert.NotContains(t, md, "itself has p99")

	// A baseline that misses an absolute p99 goal on its own gets a caveat.
	slowBase := testReport()
	slowBase.Results[0].P99 = 11 * time.Millisecond
	assert.Contains(t, slowBase.Markdown(), "the baseline `respond` itself has p99 11.0 ms > 10 ms")

	rep := testReport()
	rep.Quick = true
	assert.Contains(t, rep.Markdown(), "Quick smoke run")
}

func TestSVGIsWellFormed(t *testing.T) {
	svg := testReport().SVG()
	dec := xml.NewDecoder(strings.NewReader(svg))
	rects, texts := 0, 0
	var content strings.Builder
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err)
		switch el := tok.(type) {
		case xml.StartElement:
			switch el.Name.Local {
			case "rect":
				rects++
			case "text":
				texts++
			}
		case xml.CharData:
			content.Write(el)
		}
	}
	// Background, three zebra stripes, two bars for each of the four runs that finished.
	assert.Equal(t, 1+3+2*4, rects)
	assert.Greater(t, texts, 10)
	text := content.String()
	assert.Contains(t, text, "100,000 queued & co", "titles are escaped and filled in")
	assert.Contains(t, text, "skipped")
	assert.Contains(t, text, "error")
	assert.Contains(t, text, "20,000")
	assert.Contains(t, text, "12.0 ms")
	assert.NotContains(t, text, "`")
}

func TestFormatting(t *testing.T) {
	assert.Equal(t, "0", fmtRate(0))
	assert.Equal(t, "999", fmtRate(999.4))
	assert.Equal(t, "1,000", fmtRate(999.6))
	assert.Equal(t, "1,234,567", fmtRate(1234567))
	assert.Equal(t, "—", fmtDur(0))
	assert.Equal(t, "0.42 ms", fmtDur(420*time.Microsecond))
	assert.Equal(t, "12.3 ms", fmtDur(12345*time.Microsecond))
	assert.Equal(t, "2001 ms", fmtDur(2001*time.Millisecond))
	assert.Equal(t, "12.5 s", fmtDur(12500*time.Millisecond))
}

func TestMachineParsing(t *testing.T) {
	assert.Equal(t, "AMD EPYC 7B13", cpuModel("processor\t: 0\nvendor_id\t: AuthenticAMD\nmodel name\t: AMD EPYC 7B13\n"))
	assert.Equal(t, "unknown", cpuModel("processor: 0\n"))
	assert.Equal(t, "23.5 GiB", memTotal("MemTotal:       24684544 kB\nMemFree: 1 kB\n"))
	assert.Equal(t, "unknown", memTotal("MemTotal:\n"))
}

func TestMetTextOfSkipped(t *testing.T) {
	notBuilt := &Result{S: &benchscenario.Scenario{Name: "b"}, Skipped: "not built yet (binary lacks x)"}
	assert.Equal(t, "not built yet", notBuilt.metText())
	assert.Equal(t, "skipped", (&Result{Skipped: "redis-server is not installed"}).metText())
}

// TestCPUAndLastTenthGoals: a CPU goal compares CPU per answer with the
// baseline's and makes CPU the row's headline ratio; a last-tenth goal
// compares the last tenth's rate with the first's.
func TestCPUAndLastTenthGoals(t *testing.T) {
	base := fakeResult(&benchscenario.Scenario{Name: "inbound"}, 7000, time.Millisecond, 20*time.Millisecond, 100)
	base.CPUPerReq = 200 * time.Microsecond
	paced := fakeResult(&benchscenario.Scenario{Name: "paced", Baseline: "inbound", Rate: 1000,
		Goals: []benchscenario.Goal{{Kind: benchscenario.P99Max, Value: 5}, {Kind: benchscenario.CPURatioMax, Value: 1.3}}},
		1000, time.Millisecond, 4*time.Millisecond, 80)
	paced.CPUPerReq, paced.Base = 800*time.Microsecond, base
	paced.Evaluate()
	require.Len(t, paced.Checks, 2)
	assert.True(t, paced.Checks[0].Met, "p99 4 ms ≤ 5 ms")
	assert.False(t, paced.Checks[1].Met)
	assert.InDelta(t, 4.0, paced.Checks[1].Actual, 1e-9)
	v, of, ok := paced.Ratio()
	require.True(t, ok)
	assert.Equal(t, "CPU", of)
	assert.InDelta(t, 4.0, v, 1e-9)
	assert.Contains(t, paced.metText(), "CPU 4.00×")

	flat := fakeResult(&benchscenario.Scenario{Name: "dedupe", Count: 1000,
		Goals: []benchscenario.Goal{{Kind: benchscenario.LastTenthMin, Value: 0.9}}}, 5000, time.Millisecond, 20*time.Millisecond, 500)
	flat.Slices = []float64{5000, 1, 1, 1, 1, 1, 1, 1, 1, 4600}
	flat.Evaluate()
	assert.True(t, flat.Checks[0].Met, "4,600 is 0.92× 5,000, whatever the tenths between")
	flat.Slices[9] = 4400
	flat.Evaluate()
	assert.False(t, flat.Checks[0].Met)
	flat.Slices = flat.Slices[:6]
	flat.Evaluate()
	assert.Equal(t, "incomplete run", flat.Checks[0].Why)
}
