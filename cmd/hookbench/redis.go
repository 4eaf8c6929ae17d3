package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"
)

// Redis is a redis-server the harness runs for the Redis storage scenario,
// on loopback, with an append-only file fsync'd on every write: the setting
// under which a Redis-backed 2xx is as durable as an embedded one.
type Redis struct {
	Addr   string
	cmd    *exec.Cmd
	exited chan struct{}
}

// StartRedis starts redis-server with its files in dir and waits for PONG.
func StartRedis(ctx context.Context, dir string) (*Redis, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	log, err := os.Create(filepath.Join(dir, "redis.log"))
	if err != nil {
		return nil, err
	}
	defer log.Close()
	cmd := exec.Command("redis-server", "--port", strconv.Itoa(port), "--bind", "127.0.0.1",
		"--dir", dir, "--save", "", "--appendonly", "yes", "--appendfsync", "always")
	cmd.Stdout, cmd.Stderr = log, log
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start redis-server: %w", err)
	}
	r := &Redis{Addr: fmt.Sprintf("127.0.0.1:%d", port), cmd: cmd, exited: make(chan struct{})}
	go func() { cmd.Wait(); close(r.exited) }()
	if err := r.waitPong(ctx, 10*time.Second); err != nil {
		r.Stop()
		return nil, err
	}
	return r, nil
}

// URL is the address in the form the storage option takes.
func (r *Redis) URL() string { return "redis://" + r.Addr + "/0" }

func (r *Redis) waitPong(ctx context.Context, limit time.Duration) error {
	deadline := time.Now().Add(limit)
	for time.Now().Before(deadline) {
		select {
		case <-r.exited:
			return fmt.Errorf("redis-server exited during start-up")
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if ping(r.Addr) == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("redis-server not ready after %s on %s", limit, r.Addr)
}

func ping(addr string) error {
	nc, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return err
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(time.Second))
	if _, err := nc.Write([]byte("PING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(nc).ReadString('\n')
	if err != nil {
		return err
	}
	if line != "+PONG\r\n" {
		return fmt.Errorf("redis answered %q", line)
	}
	return nil
}

// Stop terminates redis-server and waits for it.
func (r *Redis) Stop() {
	r.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-r.exited:
	case <-time.After(10 * time.Second):
		r.cmd.Process.Kill()
		<-r.exited
	}
}
