package main

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/caddyproc"
	"github.com/hookgate/hookgate/internal/procstat"
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
func (c *Caddy) RSS() (int64, error) { return procstat.RSS(c.Pid()) }

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

// RSSSplit returns the anonymous (heap, stacks) and file-backed (mmap'd
// files such as the bbolt database, which the kernel can drop) parts of RSS.
func (c *Caddy) RSSSplit() (anon, file int64) {
	return procstat.RSSSplit(c.Pid())
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
func (c *Caddy) CPUTime() (time.Duration, error) { return procstat.CPUTime(c.Pid()) }
