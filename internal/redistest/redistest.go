// Package redistest runs real redis-server processes on free loopback
// ports for tests. Without redis-server the tests that need it are skipped,
// except under CI=true, where a missing Redis is a failure. Launch runs one
// outside a test (hookbench's Redis scenario).
package redistest

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// Hint says how to get redis-server.
const Hint = "install it with `apt-get install redis-server` (Debian/Ubuntu) or run `make redis`"

// Binary returns the path of redis-server, or skips t (fails it under
// CI=true) when there is none.
func Binary(t testing.TB) string {
	t.Helper()
	return need(t, "redis-server")
}

func need(t testing.TB, program string) string {
	t.Helper()
	path, err := exec.LookPath(program)
	if err == nil {
		return path
	}
	if os.Getenv("CI") == "true" {
		t.Fatalf("%s not found and CI=true: %s", program, Hint)
	}
	t.Skipf("%s not found, skipping Redis tests: %s", program, Hint)
	return ""
}

// Server is one redis-server process with its own data directory, so a
// restart keeps its data (appendonly).
type Server struct {
	Addr string // 127.0.0.1:port
	bin  string
	dir  string
	args []string

	mu   sync.Mutex
	cmd  *exec.Cmd
	done chan struct{}
}

// Start runs a redis-server, stopped at the end of t. extra are more
// command-line options, e.g. "--replicaof", "127.0.0.1", "6379".
func Start(t testing.TB, extra ...string) *Server {
	t.Helper()
	s, err := start(context.Background(), Binary(t), t.TempDir(), extra)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Stop)
	return s
}

// Launch runs redis-server (from PATH) on a free loopback port with its
// files in dir (created if missing), for programs rather than tests: the
// caller stops it. extra are more command-line options; one given again
// overrides the default (redis-server keeps the last), e.g.
// "--appendfsync", "always". It waits for PING, or until ctx ends.
func Launch(ctx context.Context, dir string, extra ...string) (*Server, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return start(ctx, "redis-server", dir, extra)
}

func start(ctx context.Context, bin, dir string, extra []string) (*Server, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	s := &Server{Addr: fmt.Sprintf("127.0.0.1:%d", port), bin: bin, dir: dir}
	s.args = append([]string{
		"--port", fmt.Sprint(port), "--bind", "127.0.0.1", "--dir", dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "everysec",
		"--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"),
	}, extra...)
	return s, s.restart(ctx)
}

// URL is the redis:// URL of the server, database 0.
func (s *Server) URL() string { return "redis://" + s.Addr + "/0" }

// Restart starts the server again (after Stop or Kill) on the same port
// and data directory.
func (s *Server) Restart() error { return s.restart(context.Background()) }

func (s *Server) restart(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	cmd := exec.Command(s.bin, s.args...)
	cmd.SysProcAttr = procAttr()
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("starting redis-server: %w", err)
	}
	done := make(chan struct{})
	go func() { _ = cmd.Wait(); close(done) }()
	s.cmd, s.done = cmd, done
	if err := waitReady(ctx, s.Addr, done); err != nil {
		_ = cmd.Process.Kill()
		return fmt.Errorf("%w; log:\n%s", err, s.log())
	}
	return nil
}

// Pid is the process id of the running server, 0 when it is stopped.
func (s *Server) Pid() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return 0
	}
	return s.cmd.Process.Pid
}

// Stop shuts the server down (SIGTERM: it flushes its append-only file).
func (s *Server) Stop() { s.signal(false) }

// Kill ends the server at once (SIGKILL), as in a crash.
func (s *Server) Kill() { s.signal(true) }

func (s *Server) signal(kill bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	if kill {
		_ = s.cmd.Process.Kill()
	} else {
		_ = s.cmd.Process.Signal(os.Interrupt)
	}
	select {
	case <-s.done:
	case <-time.After(10 * time.Second):
		_ = s.cmd.Process.Kill()
		<-s.done
	}
	s.cmd = nil
}

func (s *Server) log() string {
	b, _ := os.ReadFile(filepath.Join(s.dir, "redis.log"))
	return string(b)
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// waitReady waits until the server answers PING (not LOADING).
func waitReady(ctx context.Context, addr string, exited chan struct{}) error {
	deadline := time.Now().Add(15 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case <-exited:
			return fmt.Errorf("redis-server on %s exited at start", addr)
		case <-ctx.Done():
			return ctx.Err()
		default:
		}
		if ping(addr) {
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("redis-server on %s did not answer within 15s", addr)
}

func ping(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, time.Second)
	if err != nil {
		return false
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(time.Second))
	if _, err := conn.Write([]byte("PING\r\n")); err != nil {
		return false
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	// NOAUTH: a server with requirepass is up too.
	return err == nil && (strings.HasPrefix(line, "+PONG") || strings.HasPrefix(line, "-NOAUTH"))
}

var shared struct {
	sync.Mutex
	s *Server
}

// Shared returns one server for the whole test binary, started on first
// use; TestMain calls StopShared after the tests. Tests sharing it keep
// apart by key prefix.
func Shared(t testing.TB) *Server {
	t.Helper()
	bin := Binary(t)
	shared.Lock()
	defer shared.Unlock()
	if shared.s == nil {
		dir, err := os.MkdirTemp("", "redistest")
		if err != nil {
			t.Fatal(err)
		}
		if shared.s, err = start(context.Background(), bin, dir, nil); err != nil {
			t.Fatal(err)
		}
	}
	return shared.s
}

// StopShared stops the shared server, if one was started.
func StopShared() {
	shared.Lock()
	defer shared.Unlock()
	if shared.s != nil {
		shared.s.Stop()
		_ = os.RemoveAll(shared.s.dir)
		shared.s = nil
	}
}
