package redis

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"

	"github.com/hookgate/hookgate/queue"
)

// Two instances on one Redis, on the real clock.
func twoInstances(t *testing.T, lease time.Duration) (a, b *Store) {
	srv := redistest.Shared(t)
	prefix := fmt.Sprintf("lease%d:", prefixes.Add(1))
	a, b = openRedis(t, srv, prefix, lease), openRedis(t, srv, prefix, lease)
	t.Cleanup(func() { _ = a.Close(); _ = b.Close() })
	return a, b
}

// crash stops s's lease keeping without releasing anything, as if its
// process died.
func crash(s *Store) {
	close(s.stopKeep)
	s.keeperWG.Wait()
	s.stopKeep = make(chan struct{}) // for Close
	s.keeperWG.Add(1)
	go func() { <-s.stopKeep; s.keeperWG.Done() }()
}

func TestRedisLeaseRenewedWhileHeld(t *testing.T) {
	const lease = 300 * time.Millisecond
	a, b := twoInstances(t, lease)
	m := newMsg("q", time.Now())
	enqueue(t, a, m, queue.Key{})

	got, _, err := a.Lease("q", time.Now(), 10, time.Minute)
	require.NoError(t, err)
	require.Equal(t, []string{m.ID}, ids(got))
	// A slow delivery: three lease lengths later, a still holds it.
	for end := time.Now().Add(3 * lease); time.Now().Before(end); time.Sleep(lease / 5) {
		got, _, err := b.Lease("q", time.Now(), 10, time.Minute)
		require.NoError(t, err)
		require.Empty(t, got, "a live worker's lease must not expire")
	}
	require.NoError(t, a.Delivered(m.ID))
	_, err = b.Get(m.ID)
	assert.ErrorIs(t, err, queue.ErrNotFound)
}

func TestRedisLeaseTakenOverAfterCrash(t *testing.T) {
	const lease = 300 * time.Millisecond
	a, b := twoInstances(t, lease)
	m := newMsg("q", time.Now())
	enqueue(t, a, m, queue.Key{})
	got, _, err := a.Lease("q", time.Now(), 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, got, 1)
	crash(a)

	got, _, err = b.Lease("q", time.Now(), 10, time.Minute)
	require.NoError(t, err)
	require.Empty(t, got, "still leased by a")
	time.Sleep(lease + 50*time.Millisecond)
	got, _, err = b.Lease("q", time.Now(), 10, time.Minute)
	require.NoError(t, err)
	require.Equal(t, []string{m.ID}, ids(got), "b takes over once a's lease expired")

	// a comes back (a long pause, not a death): its result is not recorded
	// over b's live lease.
	stale := got[0]
	stale.Attempts, stale.NextAttempt = 1, time.Now().Add(time.Hour)
	require.ErrorIs(t, a.Update(stale), queue.ErrLeaseLost)
	require.NoError(t, b.Delivered(m.ID))
}

func TestRedisCloseReleasesLeases(t *testing.T) {
	a, b := twoInstances(t, time.Hour)
	m := newMsg("q", time.Now())
	enqueue(t, a, m, queue.Key{})
	got, _, err := a.Lease("q", time.Now(), 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, got, 1)
	require.NoError(t, a.Close())
	got, _, err = b.Lease("q", time.Now(), 10, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []string{m.ID}, ids(got), "a closed instance's leases are free at once")
}

func TestRedisLeaseStats(t *testing.T) {
	a, b := twoInstances(t, time.Hour)
	for range 3 {
		enqueue(t, a, newMsg("q", time.Now()), queue.Key{})
	}
	_, _, err := a.Lease("q", time.Now(), 2, time.Minute)
	require.NoError(t, err)
	st, err := stats(b)
	require.NoError(t, err)
	assert.Equal(t, queue.Stats{Queued: 3, Leased: 2}, st["q"], "any instance sees every lease")
}
