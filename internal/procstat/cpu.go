// Package procstat reads what hookbench measures of processes and of the
// machine from /proc (Linux): a process's RSS and its anonymous and
// file-backed parts, a process's CPU time, this process's own, the
// machine's busy time and load average, and how many cores each party kept
// busy over a window.
package procstat

import (
	"errors"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// CPUSnap is a point-in-time reading of CPU time: Caddy's, redis-server's
// (when a scenario runs one), this process's (load generator and receiver)
// and the whole machine's busy time.
type CPUSnap struct {
	At    time.Time
	Caddy time.Duration
	Redis time.Duration
	Self  time.Duration
	Busy  time.Duration // all CPUs, not idle nor iowait
}

// CPUShare is how many cores each party kept busy over a window. Other is
// everything else on the machine: a large value means the run was noisy.
type CPUShare struct {
	Caddy, Redis, Harness, Other float64
}

// TakeCPUSnap reads the clocks of Caddy's and redis-server's processes
// (pid 0: none), this process and the machine; a reading that fails stays
// zero.
func TakeCPUSnap(caddyPid, redisPid int) CPUSnap {
	s := CPUSnap{At: time.Now()}
	if caddyPid != 0 {
		s.Caddy, _ = CPUTime(caddyPid)
	}
	if redisPid != 0 {
		s.Redis, _ = CPUTime(redisPid)
	}
	s.Self = selfCPU()
	if b, err := os.ReadFile("/proc/stat"); err == nil {
		s.Busy, _ = parseProcStatBusy(string(b))
	}
	return s
}

// ShareSince returns the cores used between a and b.
func ShareSince(a, b CPUSnap) CPUShare {
	wall := b.At.Sub(a.At).Seconds()
	if wall <= 0 {
		return CPUShare{}
	}
	caddy := (b.Caddy - a.Caddy).Seconds() / wall
	redis := (b.Redis - a.Redis).Seconds() / wall
	self := (b.Self - a.Self).Seconds() / wall
	busy := (b.Busy - a.Busy).Seconds() / wall
	return CPUShare{Caddy: caddy, Redis: redis, Harness: self, Other: max(0, busy-caddy-redis-self)}
}

func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// parseProcStatBusy sums the busy times of the "cpu" line of /proc/stat:
// user nice system idle iowait irq softirq steal, less idle and iowait
// (steal counts as busy: another guest had the core).
func parseProcStatBusy(stat string) (time.Duration, error) {
	line, _, _ := strings.Cut(stat, "\n")
	f := strings.Fields(line)
	if len(f) < 8 || f[0] != "cpu" {
		return 0, errors.New("no cpu line in /proc/stat")
	}
	var busy int64
	for i, v := range f[1:min(len(f), 9)] {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return 0, err
		}
		if i != 3 && i != 4 { // idle, iowait
			busy += n
		}
	}
	return time.Duration(busy) * time.Second / userHZ, nil
}

// LoadAvg returns the 1, 5 and 15 minute load averages as /proc/loadavg
// prints them, or "" if unreadable.
func LoadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return ""
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return ""
	}
	return strings.Join(f[:3], " ")
}
