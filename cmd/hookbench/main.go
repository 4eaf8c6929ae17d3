// Command hookbench measures Hookgate against plain Caddy on this machine.
//
// It starts the real Caddy binary once per scenario on loopback with a bench
// Caddyfile, drives it with keep-alive HTTP/1.1 connections sending signed
// 1 KiB JSON webhooks, and compares every gateway scenario with a baseline
// measured in the same run. It prints a markdown table and writes it, with a
// description of the machine, to -out, and an SVG chart beside it.
//
//	go run ./cmd/hookbench -caddy bin/caddy              # full run, < 5 min
//	BENCH_QUICK=1 go run ./cmd/hookbench -caddy bin/caddy # ~30 s smoke run
//
// The exit status is 1 when a scenario could not run or got errors, and,
// with -strict, when a goal is not met.
package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"syscall"
	"time"

	"github.com/hookgate/hookgate/internal/benchreport"
	"github.com/hookgate/hookgate/internal/benchscenario"
	"github.com/hookgate/hookgate/internal/procstat"
)

// Options are the command-line settings of a run.
type Options struct {
	Caddy    string
	Quick    bool
	Out      string
	Duration time.Duration
	Warmup   time.Duration
	Conns    int
	Messages int
	Run      string
	Strict   bool
	Keep     bool
	Secret   string
	Profile  string
}

const secretEnv = "CONTEXTFILE_SECRET"

func main() {
	var o Options
	quickEnv := os.Getenv("BENCH_QUICK")
	flag.StringVar(&o.Caddy, "caddy", "bin/caddy", "Caddy binary to measure")
	flag.BoolVar(&o.Quick, "quick", quickEnv != "" && quickEnv != "0", "smoke run of about 30 s (also BENCH_QUICK=1): checks the harness, not speed")
	flag.StringVar(&o.Out, "out", "", "markdown results file; the SVG chart goes beside it (default bench/results.md, or a temp dir with -quick)")
	flag.DurationVar(&o.Duration, "duration", 0, "measured time per scenario (default 20s, 2s with -quick)")
	flag.DurationVar(&o.Warmup, "warmup", 0, "unmeasured load before each window (default 3s, 1s with -quick)")
	flag.IntVar(&o.Conns, "conns", 64, "keep-alive connections")
	flag.IntVar(&o.Messages, "messages", 0, "requests of the queue scenarios (default their table count)")
	flag.StringVar(&o.Run, "run", "", "regexp: run only the scenarios whose name matches (and their baselines)")
	flag.BoolVar(&o.Strict, "strict", false, "exit 1 when a goal is not met")
	flag.BoolVar(&o.Keep, "keep", false, "keep each scenario's temp dir (Caddyfile, data, caddy.log)")
	flag.StringVar(&o.Profile, "pprof", "", "dir: save a CPU and an allocation profile of Caddy over each scenario's measured window as <dir>/<scenario>.cpu.pprof and .allocs.pprof")
	flag.StringVar(&o.Secret, "secret", "bench-secret", "HMAC secret, passed to Caddy as "+secretEnv)
	flag.Parse()

	if o.Duration <= 0 {
		o.Duration = 20 * time.Second
		if o.Quick {
			o.Duration = 2 * time.Second
		}
	}
	if o.Warmup <= 0 {
		o.Warmup = 3 * time.Second
		if o.Quick {
			o.Warmup = time.Second
		}
	}
	if o.Out == "" {
		o.Out = "bench/results.md"
		if o.Quick {
			o.Out = filepath.Join(os.TempDir(), "hookbench-quick", "results.md")
		}
	}

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	_, code, err := run(ctx, o)
	if err != nil {
		fmt.Fprintln(os.Stderr, "hookbench:", err)
	}
	os.Exit(code)
}

// run executes the selected scenarios, writes the report and returns it
// with the exit status: 1 if a scenario that could run failed (or, with
// Strict, missed a goal), 2 if the run could not start. A scenario whose
// feature is not built yet is reported, not failed.
func run(ctx context.Context, o Options) (*benchreport.Report, int, error) {
	sel, bin, err := prepare(o)
	if err != nil {
		return nil, 2, err
	}
	missing, err := missingFeatures(bin, sel)
	if err != nil {
		return nil, 2, err
	}
	root, err := os.MkdirTemp("", "hookbench-")
	if err != nil {
		return nil, 2, err
	}
	if !o.Keep {
		defer os.RemoveAll(root)
	}
	mode := "full"
	if o.Quick {
		mode = "quick (smoke run: checks the harness, not speed)"
	}
	load := procstat.LoadAvg()
	fmt.Fprintf(os.Stderr, "hookbench: %s run, %d scenarios, %d conns, warm-up %s + %s each, caddy %s, load average %s\n",
		mode, len(sel), o.Conns, o.Warmup, o.Duration, bin, load)
	rep := &benchreport.Report{Quick: o.Quick, Conns: o.Conns, Warmup: o.Warmup, Duration: o.Duration,
		When: time.Now().UTC(), LoadBefore: load}
	rep.Results = runAll(ctx, o, sel, missing, bin, root)
	if ctx.Err() != nil {
		return rep, 130, ctx.Err()
	}
	rep.LoadAfter = procstat.LoadAvg()
	rep.Machine = benchreport.DescribeMachine(bin)
	if err := writeReport(rep, o.Out); err != nil {
		return rep, 1, err
	}
	if o.Keep {
		fmt.Fprintf(os.Stderr, "hookbench: kept scenario dirs under %s\n", root)
	}
	return rep, exitCode(rep.Results, o.Strict), nil
}

// prepare selects the scenarios and finds the binary.
func prepare(o Options) ([]*benchscenario.Scenario, string, error) {
	if err := benchscenario.Check(benchscenario.Scenarios); err != nil {
		return nil, "", err
	}
	sel, err := benchscenario.Select(benchscenario.Scenarios, o.Run)
	if err != nil {
		return nil, "", err
	}
	bin, err := filepath.Abs(o.Caddy)
	if err != nil {
		return nil, "", err
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, "", fmt.Errorf("caddy binary: %w (build it with `make build`)", err)
	}
	return sel, bin, nil
}

// missingFeatures maps each scenario that cannot run here to the module
// its binary lacks or the program this machine lacks.
func missingFeatures(bin string, sel []*benchscenario.Scenario) (map[string]string, error) {
	mods, err := caddyModules(bin)
	if err != nil {
		return nil, err
	}
	out := map[string]string{}
	for _, s := range sel {
		for _, c := range s.NeedsCmd {
			if _, err := exec.LookPath(c); err != nil {
				out[s.Name] = c + " is not installed"
			}
		}
		for _, m := range s.Needs {
			if !mods[m] {
				out[s.Name] = "not built yet (binary lacks " + m + ")"
			}
		}
	}
	return out, nil
}

// runAll runs the scenarios in order, wiring each to its baseline's result.
func runAll(ctx context.Context, o Options, sel []*benchscenario.Scenario, missing map[string]string, bin, root string) []*benchreport.Result {
	runID := randomID()
	results := make([]*benchreport.Result, 0, len(sel))
	byName := map[string]*benchreport.Result{}
	for _, s := range sel {
		if ctx.Err() != nil {
			break
		}
		r := &benchreport.Result{S: s, Skipped: missing[s.Name]}
		fmt.Fprintf(os.Stderr, "hookbench: %-14s ", s.Name)
		if r.Skipped == "" {
			r = runScenario(ctx, s, o, bin, filepath.Join(root, s.Name), runID)
		}
		fmt.Fprintln(os.Stderr, r.Summary())
		if s.Baseline != "" {
			r.Base = byName[s.Baseline]
		}
		r.Evaluate()
		results = append(results, r)
		byName[s.Name] = r
	}
	return results
}

// writeReport prints the table and writes the markdown file and the SVG
// chart beside it.
func writeReport(rep *benchreport.Report, out string) error {
	fmt.Println(rep.Table())
	svgPath := strings.TrimSuffix(out, filepath.Ext(out)) + ".svg"
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(svgPath, []byte(rep.SVG()), 0o644); err != nil {
		return err
	}
	rep.ChartFile = filepath.Base(svgPath)
	if err := os.WriteFile(out, []byte(rep.Markdown()), 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "hookbench: wrote %s and %s\n", out, svgPath)
	return nil
}

func exitCode(results []*benchreport.Result, strict bool) int {
	code := 0
	for _, r := range results {
		switch {
		case r.Skipped != "":
		case r.Err != nil:
			code = 1
		case strict && !r.Met():
			code = 1
		}
	}
	return code
}

func randomID() string {
	var b [4]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
