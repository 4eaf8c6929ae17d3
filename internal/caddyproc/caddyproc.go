// Package caddyproc runs a Caddy binary as a child process on a Caddyfile:
// started with its own home and XDG directories, its output appended to a
// log file, ready once its admin endpoint and its site answer, stopped by a
// signal with a grace period. The e2e tests and hookbench both use it.
package caddyproc

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"time"
)

// Config says which Caddy to run, on what, and how to tell it is ready.
type Config struct {
	Bin       string        // the caddy binary
	Caddyfile string        // path of the Caddyfile it runs
	Env       []string      // its whole environment; see Env
	Dir       string        // its working directory; "": the caller's
	Log       string        // file its stdout and stderr are appended to
	Admin     string        // host:port of its admin endpoint
	HTTP      string        // host:port of its site
	Ready     time.Duration // how long it may take to answer on both
}

// Env is this process's environment with HOME, XDG_DATA_HOME and
// XDG_CONFIG_HOME in home (so that Caddy's storage and autosaved config
// stay there), then extra.
func Env(home string, extra ...string) []string {
	env := append(os.Environ(),
		"HOME="+home,
		"XDG_DATA_HOME="+filepath.Join(home, "data"),
		"XDG_CONFIG_HOME="+filepath.Join(home, "config"),
	)
	return append(env, extra...)
}

// Process is one running (or exited) Caddy.
type Process struct {
	cmd     *exec.Cmd
	exited  chan struct{}
	waitErr error // set before exited is closed
}

// Start runs `caddy run` on c.Caddyfile and waits until the admin endpoint
// answers GET /config/ with 200 and the site accepts a connection, for at
// most c.Ready or until ctx ends. If it is not ready, Start stops it and
// returns why (the log says more).
func Start(ctx context.Context, c Config) (*Process, error) {
	logf, err := os.OpenFile(c.Log, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(c.Bin, "run", "--config", c.Caddyfile, "--adapter", "caddyfile")
	cmd.Dir = c.Dir
	cmd.Env = c.Env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", c.Bin, err)
	}
	p := &Process{cmd: cmd, exited: make(chan struct{})}
	go func() {
		p.waitErr = cmd.Wait()
		logf.Close()
		close(p.exited)
	}()
	if err := p.waitReady(ctx, c); err != nil {
		_ = p.Stop(os.Interrupt, 15*time.Second)
		return nil, err
	}
	return p, nil
}

// waitReady polls the admin endpoint, then the site.
func (p *Process) waitReady(ctx context.Context, c Config) error {
	deadline := time.Now().Add(c.Ready)
	client := &http.Client{Timeout: time.Second}
	adminOK := false
	for time.Now().Before(deadline) {
		select {
		case <-p.exited:
			return fmt.Errorf("caddy exited during start-up: %v", p.waitErr)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if !adminOK {
			resp, err := client.Get("http://" + c.Admin + "/config/")
			if err == nil {
				resp.Body.Close()
				adminOK = resp.StatusCode == http.StatusOK
			}
		}
		if adminOK {
			nc, err := net.DialTimeout("tcp", c.HTTP, time.Second)
			if err == nil {
				nc.Close()
				return nil
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("caddy not ready after %s (admin %s, http %s)", c.Ready, c.Admin, c.HTTP)
}

// Pid is the process id.
func (p *Process) Pid() int { return p.cmd.Process.Pid }

// Exited is closed once the process has exited.
func (p *Process) Exited() <-chan struct{} { return p.exited }

// Alive reports whether the process is still running.
func (p *Process) Alive() bool {
	select {
	case <-p.exited:
		return false
	default:
		return true
	}
}

// Stop sends sig (os.Interrupt or SIGTERM: a graceful shutdown; SIGKILL:
// a crash) unless the process has exited already, and waits for the exit.
// After grace it kills the process, waits, and says it had to.
func (p *Process) Stop(sig os.Signal, grace time.Duration) error {
	if !p.Alive() {
		return nil
	}
	_ = p.cmd.Process.Signal(sig)
	select {
	case <-p.exited:
		return nil
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.exited
		return fmt.Errorf("caddy did not exit within %s of %v: killed", grace, sig)
	}
}
