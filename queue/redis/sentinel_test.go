package redis

import (
	"context"
	"fmt"
	"testing"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/internal/redistest"

	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/queue/storetest"
)

// openSentinel opens a store through the Sentinel's URL (master_name).
func openSentinel(t *testing.T, sen *redistest.Sentinel, o Options) *Store {
	t.Helper()
	u, err := ParseURL(sen.URL())
	require.NoError(t, err)
	require.Equal(t, redistest.MasterName, u.MasterName)
	o.Client = u.Options()
	if o.Timeout == 0 {
		o.Timeout = time.Second
	}
	// go-redis logs every master lookup to stderr unless a store gives it
	// a logger (one per process: this one is silent).
	o.Log = zap.NewNop()
	s, err := Open(o)
	require.NoError(t, err)
	return s
}

// TestRedisSentinelStore runs the store suite through a Sentinel: the
// client asks it for the master, then works as on a standalone server
// (the Sentinel itself runs none of the store's scripts).
func TestRedisSentinelStore(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis master and a Sentinel")
	}
	sen := redistest.StartSentinel(t, 0)
	var prefix string
	storetest.Run(t, func(t *testing.T) func() storetest.Store {
		prefix = fmt.Sprintf("s%d:", prefixes.Add(1))
		p := prefix
		return func() storetest.Store { return suiteStore{openSentinel(t, sen, Options{Prefix: p, Lease: time.Hour})} }
	})

	// The suite's data is on the master the Sentinel named.
	master := goredis.NewClient(&goredis.Options{Addr: sen.Master.Addr})
	defer master.Close()
	keys, err := master.Keys(context.Background(), prefix+"*").Result()
	require.NoError(t, err)
	assert.NotEmpty(t, keys, "the last subtest's keys (%s*) are on the master", prefix)
}

// TestRedisSentinelFailover: with min_replicas 1, a message acknowledged
// before the master dies is on the replica the Sentinel promotes. The same
// store, without reopening, finds it there; having no replica left, it
// refuses to acknowledge new writes; a store without min_replicas finds
// the dedupe record too and leases the message.
func TestRedisSentinelFailover(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a Redis master, a replica and a Sentinel, then fails over")
	}
	sen := redistest.StartSentinel(t, 1)
	s := openSentinel(t, sen, Options{Prefix: "failover:", Lease: time.Hour, MinReplicas: 1})
	defer s.Close()
	m := newMsg("q", time.Now())
	k := queue.Key{Scope: "route", Value: "evt_failover", Expires: time.Now().Add(time.Hour)}
	_, err := s.Enqueue(m, k)
	require.NoError(t, err, "WAIT 1: the replica confirmed it")

	old := sen.MasterAddr(t)
	require.Equal(t, sen.Master.Addr, old)
	sen.Master.Kill()
	assert.Equal(t, sen.Replicas[0].Addr, sen.WaitFailover(t, old))

	// The client follows the Sentinel to the new master; calls made while
	// it learns of the switch may fail.
	require.EventuallyWithT(t, func(c *assert.CollectT) {
		got, err := s.Get(m.ID)
		require.NoError(c, err)
		assert.Equal(c, m.Body, got.Body)
	}, 15*time.Second, 100*time.Millisecond)
	_, err = s.Enqueue(newMsg("other", time.Now()), queue.Key{})
	assert.ErrorContains(t, err, "only 0 of 1 replicas confirmed", "the promoted master has no replica")

	s0 := openSentinel(t, sen, Options{Prefix: "failover:", Lease: time.Hour})
	defer s0.Close()
	holder, err := s0.Enqueue(newMsg("q", time.Now()), k)
	require.ErrorIs(t, err, queue.ErrDuplicate, "the dedupe record moved with the message")
	assert.Equal(t, m.ID, holder)
	leased, _, err := s0.Lease("q", time.Now(), 10, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []string{m.ID}, ids(leased))
	require.NoError(t, s0.Delivered(m.ID))
}
