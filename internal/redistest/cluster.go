package redistest

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// Cluster is a Redis Cluster of three masters without replicas.
type Cluster struct {
	Nodes []*Server
}

// StartCluster runs a three-node cluster, stopped at the end of t. It is
// skipped (failed under CI=true) without redis-server or redis-cli.
func StartCluster(t testing.TB) *Cluster {
	t.Helper()
	Binary(t)
	cli := need(t, "redis-cli") // Debian's redis-tools, which redis-server depends on
	c := &Cluster{}
	args := []string{"--cluster", "create"}
	for range 3 {
		n := Start(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf", "--cluster-node-timeout", "2000")
		c.Nodes = append(c.Nodes, n)
		args = append(args, n.Addr)
	}
	out, err := exec.Command(cli, append(args, "--cluster-replicas", "0", "--cluster-yes")...).CombinedOutput()
	if err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for !c.ready(cli) {
		if time.Now().After(deadline) {
			t.Fatal("redis cluster did not reach cluster_state:ok")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return c
}

func (c *Cluster) ready(cli string) bool {
	for _, n := range c.Nodes {
		host, port, _ := strings.Cut(n.Addr, ":")
		out, err := exec.Command(cli, "-h", host, "-p", port, "cluster", "info").Output()
		if err != nil || !strings.Contains(string(out), "cluster_state:ok") {
			return false
		}
	}
	return true
}

// URL lists every node, which makes a cluster client.
func (c *Cluster) URL() string {
	addrs := make([]string, len(c.Nodes))
	for i, n := range c.Nodes {
		addrs[i] = n.Addr
	}
	return "redis://" + strings.Join(addrs, ",")
}
