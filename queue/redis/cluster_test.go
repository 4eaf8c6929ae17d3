package redis

import (
	"context"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"

	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/queue/storetest"
)

// TestRedisClusterStore runs the store suite on a three-node Redis Cluster:
// every script must find its keys in one slot, through the same code path
// as standalone Redis.
func TestRedisClusterStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis Cluster")
	}
	c := redistest.StartCluster(t)
	u, err := ParseURL(c.URL())
	require.NoError(t, err)
	require.True(t, u.Cluster)
	t.Run("min_replicas waits on the key's own node", func(t *testing.T) {
		s, err := Open(Options{Client: u.Options(), Prefix: "wait:", MinReplicas: 1, Timeout: time.Second})
		require.NoError(t, err)
		defer s.Close()
		_, err = s.Enqueue(newMsg("q", time.Now()), queue.Key{})
		require.ErrorContains(t, err, "only 0 of 1 replicas confirmed", "the cluster has no replicas")
	})
	storetest.Run(t, func(t *testing.T) func() storetest.Store {
		prefix := fmt.Sprintf("c%d:", prefixes.Add(1))
		return func() storetest.Store {
			s, err := Open(Options{Client: u.Options(), Prefix: prefix, Lease: time.Hour, Timeout: time.Second})
			require.NoError(t, err)
			require.IsType(t, &goredis.ClusterClient{}, s.c)
			return suiteStore{s}
		}
	})
}

// scanAll scans every master of a cluster, or the one server.
func scanAll(ctx context.Context, s *Store, match string) ([]string, error) {
	scan := func(c goredis.UniversalClient) ([]string, error) {
		var out []string
		iter := c.Scan(ctx, 0, match, 1000).Iterator()
		for iter.Next(ctx) {
			out = append(out, iter.Val())
		}
		return out, iter.Err()
	}
	if s.cluster == nil {
		return scan(s.c)
	}
	var all []string
	ch := make(chan []string, 16)
	err := s.cluster.ForEachMaster(ctx, func(ctx context.Context, node *goredis.Client) error {
		keys, err := scan(node)
		ch <- keys
		return err
	})
	close(ch)
	for keys := range ch {
		all = append(all, keys...)
	}
	return all, err
}
