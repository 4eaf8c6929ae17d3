package main

import (
	"context"
	"encoding/xml"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/benchreport"
	"github.com/hookgate/hookgate/internal/benchscenario"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestQuickRunAgainstTheRealBinary runs every scenario in quick mode, with
// a light load, against the binary `make test` builds. It checks that the
// harness works end to end (Caddy starts, every built scenario gets only 2xx
// answers, deliveries arrive, files are written), never how fast anything is.
func TestQuickRunAgainstTheRealBinary(t *testing.T) {
	bin := os.Getenv("HOOKGATE_CADDY")
	if bin == "" {
		t.Skip("HOOKGATE_CADDY is not set (make test sets it)")
	}
	out := filepath.Join(t.TempDir(), "results.md")
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	rep, code, err := run(ctx, Options{
		Caddy: bin, Quick: true, Out: out, Secret: "test-secret",
		Conns: 8, Warmup: 300 * time.Millisecond, Duration: time.Second, Messages: 2000,
	})
	require.NoError(t, err)
	require.Len(t, rep.Results, len(benchscenario.Scenarios))
	for _, r := range rep.Results {
		if r.Skipped != "" {
			t.Logf("%s: %s", r.S.Name, r.Skipped)
			continue
		}
		require.NoError(t, r.Err, r.S.Name)
		assert.Positive(t, r.Load.OK, r.S.Name)
		assert.Positive(t, r.PeakRSS, r.S.Name)
		assert.Len(t, r.Checks, len(r.S.Goals), r.S.Name)
		if r.S.Metric == benchscenario.Delivered {
			assert.Positive(t, r.Delivered, r.S.Name)
		}
		if r.S.Count > 0 {
			assert.Equal(t, 2000, r.Load.Sent, r.S.Name)
			assert.Len(t, r.Slices, 10, r.S.Name)
		}
	}
	assert.Equal(t, 0, code, "no scenario failed")
	assertReportFiles(t, out, rep)
}

func assertReportFiles(t *testing.T, out string, rep *benchreport.Report) {
	t.Helper()
	md, err := os.ReadFile(out)
	require.NoError(t, err)
	assert.Contains(t, string(md), "Quick smoke run")
	assert.Contains(t, string(md), "- Caddy: v2.")
	for _, r := range rep.Results {
		assert.Contains(t, string(md), "| "+r.Title()+" |")
	}
	svg, err := os.ReadFile(strings.TrimSuffix(out, ".md") + ".svg")
	require.NoError(t, err)
	dec := xml.NewDecoder(strings.NewReader(string(svg)))
	for {
		_, err := dec.Token()
		if err == io.EOF {
			break
		}
		require.NoError(t, err, "the chart is well-formed XML")
	}
}
