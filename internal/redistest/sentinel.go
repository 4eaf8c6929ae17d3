package redistest

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
)

// MasterName is the name under which the Sentinel of StartSentinel knows
// its master.
const MasterName = "hookgate"

// Sentinel is a master, its replicas and one Sentinel that monitors them.
type Sentinel struct {
	Master   *Server
	Replicas []*Server
	Sentinel *Server

	sc *redis.SentinelClient // asks Sentinel, closed with t
}

// StartSentinel runs a master with replicas replicas and a Sentinel that
// monitors it (quorum 1, so the one Sentinel may fail over alone), all
// stopped at the end of t. Debian's redis-server is also the Sentinel
// (`redis-server <conf> --sentinel`): nothing else is needed, and a
// missing redis-server skips t (fails it under CI=true) as in Start.
func StartSentinel(t testing.TB, replicas int) *Sentinel {
	t.Helper()
	bin := Binary(t)
	// Without the default 5 s wait for more replicas before a full sync.
	s := &Sentinel{Master: Start(t, "--repl-diskless-sync-delay", "0")}
	host, port, _ := net.SplitHostPort(s.Master.Addr)
	for range replicas {
		s.Replicas = append(s.Replicas, Start(t, "--replicaof", host, port))
	}
	// The Sentinel learns the replicas from the master's INFO, which it
	// reads at once and then every 10 s: they must be attached before, and
	// synced, so that WAIT counts them.
	master := client(s.Master.Addr)
	defer master.Close()
	waitFor(t, "the replicas to sync", func(ctx context.Context) bool {
		info, err := master.Info(ctx, "replication").Result()
		return err == nil && strings.Count(info, ",state=online,") == replicas
	})

	dir := t.TempDir()
	sport, err := freePort()
	if err != nil {
		t.Fatal(err)
	}
	// Sentinel rewrites its config file (epochs, known replicas): its own,
	// writable copy. A down master is noticed after 1 s.
	conf := filepath.Join(dir, "sentinel.conf")
	text := fmt.Sprintf("sentinel monitor %[1]s %[2]s %[3]s 1\n"+
		"sentinel down-after-milliseconds %[1]s 1000\n"+
		"sentinel failover-timeout %[1]s 10000\n", MasterName, host, port)
	if err := os.WriteFile(conf, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	s.Sentinel = &Server{Addr: fmt.Sprintf("127.0.0.1:%d", sport), bin: bin, dir: dir, args: []string{
		conf, "--sentinel", "--port", fmt.Sprint(sport), "--bind", "127.0.0.1", "--dir", dir,
		"--daemonize", "no", "--logfile", filepath.Join(dir, "redis.log"),
	}}
	if err := s.Sentinel.Restart(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(s.Sentinel.Stop)
	s.sc = redis.NewSentinelClient(&redis.Options{Addr: s.Sentinel.Addr, MaxRetries: -1})
	t.Cleanup(func() { _ = s.sc.Close() })
	waitFor(t, "the Sentinel to see the master and its replicas", func(ctx context.Context) bool {
		m, err := s.sc.Master(ctx, MasterName).Result()
		return err == nil && m["flags"] == "master" && m["num-slaves"] == fmt.Sprint(replicas)
	})
	return s
}

// URL names the master through the Sentinel, database 0.
func (s *Sentinel) URL() string {
	return "redis://" + s.Sentinel.Addr + "/0?master_name=" + MasterName
}

// MasterAddr is the master's address as the Sentinel gives it now.
func (s *Sentinel) MasterAddr(t testing.TB) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	addr, err := s.sc.GetMasterAddrByName(ctx, MasterName).Result()
	if err != nil || len(addr) != 2 {
		t.Fatalf("asking the Sentinel for %s: %v", MasterName, err)
	}
	return net.JoinHostPort(addr[0], addr[1])
}

// WaitFailover waits until the Sentinel names a master other than old and
// that master answers as one.
func (s *Sentinel) WaitFailover(t testing.TB, old string) string {
	t.Helper()
	var addr string
	waitFor(t, "the Sentinel to fail over from "+old, func(ctx context.Context) bool {
		a, err := s.sc.GetMasterAddrByName(ctx, MasterName).Result()
		if err != nil || len(a) != 2 || net.JoinHostPort(a[0], a[1]) == old {
			return false
		}
		addr = net.JoinHostPort(a[0], a[1])
		c := client(addr)
		defer c.Close()
		role, err := c.Do(ctx, "ROLE").Slice()
		return err == nil && len(role) > 0 && role[0] == "master"
	})
	return addr
}

func client(addr string) *redis.Client {
	return redis.NewClient(&redis.Options{Addr: addr, MaxRetries: -1})
}

// waitFor polls cond, with a fresh one-second context each time, for up
// to 20 s.
func waitFor(t testing.TB, what string, cond func(ctx context.Context) bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		ok := cond(ctx)
		cancel()
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("redistest: timed out waiting for %s", what)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
