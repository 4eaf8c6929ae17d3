package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/caddyproc"
)

// Caddy is one running Caddy process with its own config, data dir and ports.
type Caddy struct {
	Bin       string
	Dir       string // temp dir: Caddyfile, XDG dirs, log
	AdminAddr string
	HTTPAddr  string

	proc *caddyproc.Process

	mu      sync.Mutex
	peakRSS int64 // bytes, max of the samples taken by SampleRSS
}

// StartCaddy writes caddyfile into a fresh dir under parent, starts bin on
// it with env (plus XDG_DATA_HOME and XDG_CONFIG_HOME in that dir), and
// waits until both the admin endpoint and the HTTP listener answer.
func StartCaddy(ctx context.Context, bin, dir, caddyfile, adminAddr, httpAddr string, env []string) (*Caddy, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	cfgPath := filepath.Join(dir, "Caddyfile")
	if err := os.WriteFile(cfgPath, []byte(caddyfile), 0o644); err != nil {
		return nil, err
	}
	c := &Caddy{Bin: bin, Dir: dir, AdminAddr: adminAddr, HTTPAddr: httpAddr}
	var err error
	c.proc, err = caddyproc.Start(ctx, caddyproc.Config{
		Bin: bin, Caddyfile: cfgPath, Env: caddyproc.Env(dir, env...), Dir: dir,
		Log: filepath.Join(dir, "caddy.log"), Admin: adminAddr, HTTP: httpAddr,
		Ready: 30 * time.Second,
	})
	if err != nil {
		return nil, fmt.Errorf("%w\n%s", err, c.LogTail(20))
	}
	return c, nil
}

// Pid returns the process id.
func (c *Caddy) Pid() int { return c.proc.Pid() }

// RSS returns the resident set size now (VmRSS), in bytes.
func (c *Caddy) RSS() (int64, error) { return readVmRSS(c.Pid()) }

// SampleRSS samples RSS every interval until ctx ends, keeping the peak.
func (c *Caddy) SampleRSS(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(interval)
	defer t.Stop()
	for {
		if v, err := c.RSS(); err == nil {
			c.mu.Lock()
			c.peakRSS = max(c.peakRSS, v)
			c.mu.Unlock()
		}
		select {
		case <-ctx.Done():
			return
		case <-c.proc.Exited():
			return
		case <-t.C:
		}
	}
}

// PeakRSS returns the largest RSS sample so far, in bytes.
func (c *Caddy) PeakRSS() int64 {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.peakRSS
}

// Alive reports whether the process is still running.
func (c *Caddy) Alive() bool { return c.proc.Alive() }

// Stop asks Caddy to shut down gracefully (SIGINT), and kills it if it is
// still running after 15 s.
func (c *Caddy) Stop() error {
	_ = c.proc.Stop(os.Interrupt, 15*time.Second)
	return nil
}

// LogTail returns the last n lines Caddy wrote.
func (c *Caddy) LogTail(n int) string {
	b, err := os.ReadFile(filepath.Join(c.Dir, "caddy.log"))
	if err != nil {
		return ""
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n")
}

// LogCount returns how many lines of Caddy's log contain s.
func (c *Caddy) LogCount(s string) int {
	b, err := os.ReadFile(filepath.Join(c.Dir, "caddy.log"))
	if err != nil {
		return 0
	}
	return bytes.Count(b, []byte(s))
}

// readVmRSS reads VmRSS from /proc/<pid>/status, in bytes.
func readVmRSS(pid int) (int64, error) { return readStatusKB(pid, "VmRSS") }

// RSSSplit returns the anonymous (heap, stacks) and file-backed (mmap'd
// files such as the bbolt database, which the kernel can drop) parts of RSS.
func (c *Caddy) RSSSplit() (anon, file int64) {
	anon, _ = readStatusKB(c.Pid(), "RssAnon")
	file, _ = readStatusKB(c.Pid(), "RssFile")
	return anon, file
}

// readStatusKB reads a "<field>: N kB" line of /proc/<pid>/status, in bytes.
func readStatusKB(pid int, field string) (int64, error) {
	f, err := os.Open("/proc/" + strconv.Itoa(pid) + "/status")
	if err != nil {
		return 0, err
	}
	defer f.Close()
	return parseStatusKB(f, field)
}

func parseVmRSS(f io.Reader) (int64, error) { return parseStatusKB(f, "VmRSS") }

func parseStatusKB(f io.Reader, field string) (int64, error) {
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		rest, ok := strings.CutPrefix(sc.Text(), field+":")
		if !ok {
			continue
		}
		fields := strings.Fields(rest)
		if len(fields) < 1 {
			break
		}
		kb, err := strconv.ParseInt(fields[0], 10, 64)
		if err != nil {
			return 0, err
		}
		return kb << 10, nil
	}
	return 0, errors.New("no " + field + " line")
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

// caddyModules returns the set of module IDs `caddy list-modules` lists.
func caddyModules(bin string) (map[string]bool, error) {
	out, err := exec.Command(bin, "list-modules").Output()
	if err != nil {
		return nil, fmt.Errorf("%s list-modules: %w", bin, err)
	}
	mods := map[string]bool{}
	for _, l := range strings.Split(string(out), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			mods[l] = true
		}
	}
	return mods, nil
}

// CPUTime returns the user+system CPU time the process has used.
func (c *Caddy) CPUTime() (time.Duration, error) { return procCPU(c.Pid()) }

// procCPU returns the user+system CPU time process pid has used.
func procCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return 0, err
	}
	return parseStatCPU(string(b))
}

// userHZ is the unit of the times in /proc/<pid>/stat (USER_HZ, 100 on Linux).
const userHZ = 100

// parseStatCPU reads utime+stime from the text of /proc/<pid>/stat.
func parseStatCPU(stat string) (time.Duration, error) {
	i := strings.LastIndexByte(stat, ')')
	if i < 0 {
		return 0, errors.New("malformed stat")
	}
	f := strings.Fields(stat[i+1:])
	// After the command: state(3) … utime(14) stime(15); f[0] is field 3.
	if len(f) < 13 {
		return 0, errors.New("short stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed stat times")
	}
	return time.Duration(ut+st) * time.Second / userHZ, nil
}
