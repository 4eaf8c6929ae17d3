package redis

import (
	"context"
	"fmt"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/queue/storetest"
)

func TestMain(m *testing.M) {
	code := m.Run()
	redistest.StopShared()
	os.Exit(code)
}

var prefixes atomic.Int64

// The fixtures of the store suite.
var (
	t0      = storetest.T0
	newMsg  = storetest.NewMessage
	key     = storetest.DedupeKey
	ids     = storetest.IDs
	enqueue = storetest.Enqueue
	stats   = storetest.Counts
)

// redisBackend gives each backing store its own key prefix on the shared
// server. Its leases are long, so the tests' lease lengths (d) govern.
func redisBackend(t *testing.T) func() storetest.Store {
	srv := redistest.Shared(t)
	prefix := fmt.Sprintf("t%d:", prefixes.Add(1))
	return func() storetest.Store { return suiteStore{openRedis(t, srv, prefix, time.Hour)} }
}

func openRedis(t *testing.T, srv *redistest.Server, prefix string, lease time.Duration) *Store {
	t.Helper()
	u, err := ParseURL(srv.URL())
	require.NoError(t, err)
	s, err := Open(Options{Client: u.Options(), Prefix: prefix, Lease: lease, Timeout: time.Second})
	require.NoError(t, err)
	return s
}

// openFresh is openRedis for a test that names its own prefix on the
// shared server: it starts from none of that prefix's keys, so that the
// test run again (go test -count=2) finds no records of the last run.
func openFresh(t *testing.T, srv *redistest.Server, prefix string, lease time.Duration) *Store {
	t.Helper()
	s := openRedis(t, srv, prefix, lease)
	ctx := context.Background()
	stale, err := scanAll(ctx, s, prefix+"*")
	require.NoError(t, err)
	for _, k := range stale {
		require.NoError(t, s.c.Del(ctx, k).Err())
	}
	return s
}

// TestRedisStore runs the store suite against the Redis store.
func TestRedisStore(t *testing.T) {
	redistest.Binary(t) // skip (or fail under CI) once, not per subtest
	storetest.Run(t, redisBackend)
}

func TestRedisEndpoints(t *testing.T) {
	redistest.Binary(t)
	s := openRedis(t, redistest.Shared(t), fmt.Sprintf("t%d:", prefixes.Add(1)), time.Hour)
	defer s.Close()
	storetest.RunEndpoints(t, s)
}

// suiteStore gives the store suite its hooks into a Store.
type suiteStore struct{ *Store }

func (s suiteStore) SetClock(now func() time.Time) { s.now = now }

// Holder looks for k among claims and the dedupe records of every queue.
func (s suiteStore) Holder(t *testing.T, k queue.Key) string {
	t.Helper()
	ctx := context.Background()
	names, err := s.queueNames(ctx)
	require.NoError(t, err)
	for _, dk := range append([]string{s.claimKey(k)}, dedupeKeys(s.Store, names, k)...) {
		v, err := s.c.Get(ctx, dk).Result()
		if err == goredis.Nil {
			continue
		}
		require.NoError(t, err)
		return v[21:]
	}
	return ""
}

func dedupeKeys(s *Store, queues []string, k queue.Key) []string {
	var out []string
	for _, q := range queues {
		out = append(out, s.keys(q).dedupe(k))
	}
	return out
}

func (s suiteStore) Count(t *testing.T, what storetest.Record) int {
	t.Helper()
	ctx := context.Background()
	if pattern, ok := map[storetest.Record]string{
		storetest.Messages: "*:m:msg_*", storetest.Keys: "*}:k:*", storetest.Bodies: "*}:b:*",
	}[what]; ok {
		return len(scanKeys(t, s.Store, pattern))
	}
	if what == storetest.BodyBytes {
		n := 0
		for _, k := range append(scanKeys(t, s.Store, "*:m:msg_*"), scanKeys(t, s.Store, "*}:b:*")...) {
			l, err := s.c.HStrLen(ctx, k, "body").Result()
			require.NoError(t, err)
			n += int(l)
		}
		return n
	}
	names, err := s.queueNames(ctx)
	require.NoError(t, err)
	n := 0
	for _, q := range names {
		idx := s.keys(q).due
		if what == storetest.Dead {
			idx = s.keys(q).dead
		}
		c, err := s.c.ZCard(ctx, idx).Result()
		require.NoError(t, err)
		n += int(c)
	}
	return n
}

func scanKeys(t *testing.T, s *Store, pattern string) []string {
	t.Helper()
	out, err := scanAll(context.Background(), s, s.prefix+pattern)
	require.NoError(t, err)
	return out
}

// TestRedisKeysShareTag: every key a queue's messages use carries the
// queue's hash tag, so Cluster keeps them in one slot.
func TestRedisKeysShareTag(t *testing.T) {
	s := openFresh(t, redistest.Shared(t), "tag:", time.Hour)
	defer s.Close()
	s.now = func() time.Time { return t0 }
	m := newMsg("https://up.example/{x}", t0)
	_, err := s.Enqueue(m, key("evt"))
	require.NoError(t, err)
	_, _, err = s.Lease(m.Queue, t0, 1, time.Minute)
	require.NoError(t, err)
	keys := scanKeys(t, s, "{q:*")
	require.Len(t, keys, 6, "message, due, queued ids, dedupe record, lease, owner: %v", keys)
	for _, k := range keys {
		assert.True(t, strings.HasPrefix(k, "tag:{q:https://up.example/%7Bx%7D}:"), k)
	}
}
