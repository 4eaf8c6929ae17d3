package redis

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"

	"github.com/hookgate/hookgate/queue"
)

// TestRedisUnreachable: while Redis is down, writes fail fast and are not
// taken for duplicates; once it is back, the same store works again.
func TestRedisUnreachable(t *testing.T) {
	srv := redistest.Start(t)
	s := openRedis(t, srv, "down:", time.Hour)
	defer s.Close()
	enqueue(t, s, newMsg("q", time.Now()), queue.Key{})

	srv.Stop()
	for range 3 {
		start := time.Now()
		_, err := s.Enqueue(newMsg("q", time.Now()), queue.Key{Scope: "r", Value: "v", Expires: time.Now().Add(time.Hour)})
		require.Error(t, err)
		assert.NotErrorIs(t, err, queue.ErrDuplicate)
		assert.Less(t, time.Since(start), 2*time.Second, "fails fast")
	}
	_, _, err := s.Lease("q", time.Now(), 10, time.Minute)
	require.Error(t, err)

	require.NoError(t, srv.Restart())
	require.Eventually(t, func() bool {
		_, err := s.Enqueue(newMsg("q", time.Now()), queue.Key{Scope: "r", Value: "v", Expires: time.Now().Add(time.Hour)})
		return err == nil
	}, 10*time.Second, 50*time.Millisecond, "recovers by itself")
	st, err := s.Stats()
	require.NoError(t, err)
	assert.Equal(t, 2, st["q"].Queued, "the first message survived the restart (appendonly)")
}

// TestRedisMinReplicas: with min_replicas the write waits for replicas, and
// fails when too few confirm it.
func TestRedisMinReplicas(t *testing.T) {
	master := redistest.Start(t, "--repl-diskless-sync-delay", "0")
	host, port, _ := strings.Cut(master.Addr, ":")
	redistest.Start(t, "--replicaof", host, port)
	u, err := ParseURL(master.URL())
	require.NoError(t, err)
	open := func(n int) *Store {
		s, err := Open(Options{Client: u.Options(), MinReplicas: n, Timeout: time.Second})
		require.NoError(t, err)
		t.Cleanup(func() { _ = s.Close() })
		return s
	}
	one, two := open(1), open(2)
	require.Eventually(t, func() bool {
		info, err := one.c.Info(context.Background(), "replication").Result()
		return err == nil && strings.Contains(info, "connected_slaves:1") && strings.Contains(info, "state=online")
	}, 10*time.Second, 50*time.Millisecond, "replica in sync")

	_, err = one.Enqueue(newMsg("q", time.Now()), key("a"))
	require.NoError(t, err, "one replica confirms")
	_, err = one.Claim(queue.Key{Scope: "s", Value: "v", Expires: time.Now().Add(time.Hour)}, "id")
	require.NoError(t, err)

	start := time.Now()
	_, err = two.Enqueue(newMsg("q", time.Now()), key("b"))
	require.Error(t, err, "only one replica exists")
	assert.Contains(t, err.Error(), "replicas confirmed")
	assert.Less(t, time.Since(start), 2*time.Second)
}

func TestParseRedisURL(t *testing.T) {
	for _, tc := range []struct {
		url, want, err string
		cluster        bool
		master         string
		db             int
	}{
		{url: "redis://127.0.0.1:6379/0", want: "redis://127.0.0.1:6379/0"},
		{url: "redis://localhost", want: "redis://localhost:6379/0"},
		{url: "rediss://user:s3cret@cache.example:6380/2", want: "rediss://user@cache.example:6380/2", db: 2},
		{url: "redis://:p%40ss@h1:1,h2:2,h3:3", want: "redis://h1:1,h2:2,h3:3/0", cluster: true},
		{url: "redis://h1:26379,h2:26379/1?master_name=mymaster", want: "redis://h1:26379,h2:26379/1?master_name=mymaster", master: "mymaster", db: 1},
		{url: "redis://h1:7000?cluster=true", want: "redis://h1:7000/0?cluster=true", cluster: true},
		{url: "http://h1", err: "want redis://"},
		{url: "redis://:s3cret@h1:notaport", err: "invalid host"},
		{url: "redis://:s3cret@h1/x", err: "invalid database"},
		{url: "redis://h1,h2/3", err: "database 0 only"},
		{url: "redis://:s3cret@h1?pasword=x", err: "unknown parameter"},
	} {
		u, err := ParseURL(tc.url)
		if tc.err != "" {
			require.Error(t, err, tc.url)
			assert.Contains(t, err.Error(), tc.err, tc.url)
			assert.NotContains(t, err.Error(), "s3cret", "errors never show the password")
			continue
		}
		require.NoError(t, err, tc.url)
		assert.Equal(t, tc.want, u.String(), tc.url)
		assert.NotContains(t, u.String(), "s3cret")
		assert.Equal(t, tc.cluster, u.Options().IsClusterMode, tc.url)
		assert.Equal(t, tc.master, u.Options().MasterName, tc.url)
		assert.Equal(t, tc.db, u.Options().DB, tc.url)
	}
	u, err := ParseURL("redis://:p%40ss@h1:1")
	require.NoError(t, err)
	assert.Equal(t, "p@ss", u.Password)
}
