package procstat

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProcStatBusy(t *testing.T) {
	// user nice system idle iowait irq softirq steal guest guest_nice
	busy, err := parseProcStatBusy("cpu  100 5 50 1000 30 2 3 7 0 0\ncpu0 1 2 3 4 5 6 7 8 9 10\n")
	require.NoError(t, err)
	assert.Equal(t, time.Duration(100+5+50+2+3+7)*10*time.Millisecond, busy, "idle and iowait left out")
	_, err = parseProcStatBusy("intr 1 2 3\n")
	assert.Error(t, err)
}

func TestCPUShare(t *testing.T) {
	t0 := time.Unix(100, 0)
	a := CPUSnap{At: t0, Caddy: time.Second, Self: time.Second, Busy: 10 * time.Second}
	b := CPUSnap{At: t0.Add(2 * time.Second), Caddy: 3 * time.Second, Self: 2 * time.Second, Busy: 14 * time.Second}
	s := ShareSince(a, b)
	assert.InDelta(t, 1.0, s.Caddy, 1e-9)
	assert.InDelta(t, 0.5, s.Harness, 1e-9)
	assert.InDelta(t, 0.5, s.Other, 1e-9)
	assert.Equal(t, CPUShare{}, ShareSince(b, b))
	b.Redis = time.Second
	assert.InDelta(t, 0.5, ShareSince(a, b).Redis, 1e-9)
	assert.InDelta(t, 0, ShareSince(a, b).Other, 1e-9, "redis-server is not another process")
}
