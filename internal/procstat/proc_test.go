package procstat

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestProcParsing(t *testing.T) {
	rss, err := parseStatusKB(strings.NewReader("Name:\tcaddy\nVmPeak:\t  900 kB\nVmRSS:\t   51234 kB\nThreads: 9\n"), "VmRSS")
	require.NoError(t, err)
	assert.Equal(t, int64(51234)<<10, rss)
	_, err = parseStatusKB(strings.NewReader("Name: x\n"), "VmRSS")
	assert.Error(t, err)

	// Fields 14 and 15 are utime and stime in clock ticks; the name may hold spaces and parens.
	stat := "1234 (cad dy) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 9 0 100 1000 200"
	cpu, err := parseStatCPU(stat)
	require.NoError(t, err)
	assert.Equal(t, 3*time.Second, cpu)
	_, err = parseStatCPU("garbage")
	assert.Error(t, err)
}
