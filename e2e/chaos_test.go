package e2e

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/hookgate/hookgate/internal/chaos"
)

// chaosScenario is a run of the fault suite: a backend and the faults
// injected at random, one at a time, while the sender runs.
type chaosScenario struct {
	name    string
	backend string // embedded, redis or outbound
	faults  []fault
}

var upstreamFaults = []fault{faultDown, faultSlow, fault500, fault429, faultCut}

// chaosScenarios: under HOOKGATE_CHAOS=full (make chaos), each fault alone
// and then all of a backend's mixed, for load each; otherwise (make test) a
// short version: the mixed runs only.
func chaosScenarios(full bool) []chaosScenario {
	embedded := append([]fault{faultKill, faultReload, faultDiskFull}, upstreamFaults...)
	redis := append([]fault{faultKill, faultReload, faultRestart, faultRedisKill, faultRedisDown, faultPartition}, upstreamFaults...)
	outbound := append([]fault{faultKill, faultReload, faultDiskFull}, upstreamFaults...)
	var out []chaosScenario
	if full {
		for _, f := range embedded {
			out = append(out, chaosScenario{"embedded/" + f.name, "embedded", []fault{f}})
		}
		for _, f := range []fault{faultKill, faultRestart, faultRedisKill, faultRedisDown, faultPartition} {
			out = append(out, chaosScenario{"redis/" + f.name, "redis", []fault{f}})
		}
		out = append(out, chaosScenario{"outbound/kill-9", "outbound", []fault{faultKill}})
	}
	return append(out,
		chaosScenario{"embedded/mixed", "embedded", embedded},
		chaosScenario{"redis/mixed", "redis", redis},
		chaosScenario{"outbound/mixed", "outbound", outbound})
}

// TestChaos is the fault suite: for each scenario, a sender posts a ledger
// of numbered webhooks while faults are injected, and the receiver's ledger
// must hold every acknowledged one (lost = 0) and no refused one.
func TestChaos(t *testing.T) {
	full := os.Getenv("HOOKGATE_CHAOS") == "full"
	load := 6 * time.Second
	if full {
		load = 10 * time.Second // per fault alone; mixed runs get three times that
	}
	if d, err := time.ParseDuration(os.Getenv("HOOKGATE_CHAOS_LOAD")); err == nil {
		load = d
	}
	var reports []chaos.Report
	for _, sc := range chaosScenarios(full) {
		l := load
		if full && len(sc.faults) > 1 {
			l = 3 * load
		}
		t.Run(sc.name, func(t *testing.T) { reports = append(reports, runChaos(t, sc, l)) })
	}
	table := chaosTable(reports)
	fmt.Print(table)
	if path := os.Getenv("HOOKGATE_CHAOS_REPORT"); path != "" && !t.Failed() {
		writeChaosReport(t, path, table)
	}
}

func runChaos(t *testing.T, sc chaosScenario, load time.Duration) chaos.Report {
	r := newRig(t, sc.backend)
	faults := slices.DeleteFunc(slices.Clone(sc.faults), func(f fault) bool { return f.name == faultDiskFull.name && r.tmpfs == "" })
	if len(faults) == 0 {
		t.Skip("no tmpfs: disk-full cannot be injected (needs root and mount)")
	}
	ledger := chaos.NewLedger()
	sender := &chaos.Sender{Ledger: ledger, Workers: 4, Pause: 5 * time.Millisecond, Pad: 400, Request: r.request}
	ctx, cancel := context.WithTimeout(context.Background(), load)
	defer cancel()
	sent := make(chan struct{})
	go func() { defer close(sent); sender.Run(ctx, strings.ReplaceAll(sc.name, "/", "-")) }()

	counts := map[string]int{}
	for sleep(ctx, jitter(200*time.Millisecond, 600*time.Millisecond)) {
		f := faults[rand.N(len(faults))]
		heal := f.inject(r)
		counts[f.name]++
		if heal != nil {
			time.Sleep(jitter(300*time.Millisecond, 1500*time.Millisecond))
			heal()
		}
	}
	<-sent // every message has its final answer (or ran out of attempts)

	drainDeadline := time.Now().Add(90 * time.Second)
	for !allDelivered(ledger, r.rc.Delivered()) && time.Now().Before(drainDeadline) {
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(time.Second) // late duplicates count too
	rep := chaos.Check(sc.name, ledger, r.rc.Delivered(), counts)
	t.Log(rep)
	assert.True(t, rep.OK(), "lost %v… phantom %v… stray %v…", head(rep.Lost), head(rep.Phantom), head(rep.Stray))
	assert.NotZero(t, rep.Acked, "nothing was acknowledged: the run proves nothing")
	queue := "chaos"
	if sc.backend == "outbound" {
		queue = "outbound:emit"
	}
	assert.Zero(t, r.c.stats().Queues[queue].Dead, "a dead letter: retries must outlast every fault")
	return rep
}

// sleep waits d or until ctx ends, and reports whether ctx is still live.
func sleep(ctx context.Context, d time.Duration) bool {
	select {
	case <-ctx.Done():
		return false
	case <-time.After(d):
		return true
	}
}

func allDelivered(l *chaos.Ledger, delivered map[int]int) bool {
	for _, n := range l.AckedSet() {
		if delivered[n] == 0 {
			return false
		}
	}
	return true
}

func head(s []int) []int { return s[:min(len(s), 20)] }

// chaosTable is the figures of reports as a Markdown table with a total.
func chaosTable(reports []chaos.Report) string {
	var b strings.Builder
	b.WriteString("| run | messages | acked 2xx | refused | no answer | deliveries | faults | lost | phantom | duplicates |\n")
	b.WriteString("|---|---:|---:|---:|---:|---:|---|---:|---:|---:|\n")
	var tot chaos.Report
	faults := 0
	for _, r := range reports {
		fmt.Fprintf(&b, "| %s | %d | %d | %d | %d | %d | %s | %d | %d | %d |\n", r.Name, r.Messages, r.Acked, r.Refused,
			r.Unknown, r.Deliveries, chaos.FormatCounts(r.Faults), len(r.Lost), len(r.Phantom), r.Duplicates)
		tot.Messages += r.Messages
		tot.Acked += r.Acked
		tot.Refused += r.Refused
		tot.Unknown += r.Unknown
		tot.Deliveries += r.Deliveries
		tot.Duplicates += r.Duplicates
		tot.Lost = append(tot.Lost, r.Lost...)
		tot.Phantom = append(tot.Phantom, r.Phantom...)
		for _, n := range r.Faults {
			faults += n
		}
	}
	fmt.Fprintf(&b, "| **total** | %d | %d | %d | %d | %d | %d | **%d** | %d | %d |\n", tot.Messages, tot.Acked, tot.Refused,
		tot.Unknown, tot.Deliveries, faults, len(tot.Lost), len(tot.Phantom), tot.Duplicates)
	return b.String()
}

// writeChaosReport replaces the figures between the markers of the report
// file (docs/reliability.md) with table.
func writeChaosReport(t *testing.T, path, table string) {
	const begin, end = "<!-- chaos:begin -->\n", "<!-- chaos:end -->"
	b, err := os.ReadFile(path)
	if err != nil {
		t.Errorf("chaos report: %v", err)
		return
	}
	s := string(b)
	i, j := strings.Index(s, begin), strings.Index(s, end)
	if i < 0 || j < i {
		t.Errorf("chaos report: %s has no %q … %q markers", path, begin, end)
		return
	}
	stamp := fmt.Sprintf("Run of %s (`make chaos`):\n\n", time.Now().UTC().Format("2006-01-02 15:04 MST"))
	s = s[:i+len(begin)] + stamp + table + s[j:]
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Errorf("chaos report: %v", err)
	}
}
