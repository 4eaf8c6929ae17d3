package bolt

import (
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/queue"
)

// commitLog records the size of each commit of s.
func commitLog(s *Store) func() []int {
	var (
		mu      sync.Mutex
		commits []int
	)
	s.committed = func(n int) {
		mu.Lock()
		commits = append(commits, n)
		mu.Unlock()
	}
	return func() []int {
		mu.Lock()
		defer mu.Unlock()
		return append([]int(nil), commits...)
	}
}

// slowRides makes riders wait a second for a commit, and counts acks as
// recent for a minute, for the length of the test.
func slowRides(t *testing.T) {
	w, f := rideWait, ridingFor
	rideWait, ridingFor = time.Second, time.Minute
	t.Cleanup(func() { rideWait, ridingFor = w, f })
}

// TestDeliveredRidesTheNextAck: while acks are committed, a delivered
// message's removal forces no commit of its own; it lands with the next
// ack's, and Delivered returns once it has.
func TestDeliveredRidesTheNextAck(t *testing.T) {
	slowRides(t)
	s := openBolt(t)
	commits := commitLog(s)
	m := newMsg("q", t0)
	_, err := s.Enqueue(m, key("a"))
	require.NoError(t, err)

	delivered := make(chan time.Time, 1)
	go func() {
		assert.NoError(t, s.Delivered(m.ID))
		delivered <- time.Now()
	}()
	time.Sleep(100 * time.Millisecond) // the removal waits in the committer
	assert.Equal(t, []int{1}, commits(), "no commit for the removal alone")
	sent := time.Now()
	_, err = s.Enqueue(newMsg("q", t0), key("b"))
	require.NoError(t, err)
	assert.False(t, (<-delivered).Before(sent), "Delivered returns when its removal has landed")
	assert.Equal(t, []int{1, 2}, commits(), "the removal rode the second ack's commit")
	_, err = s.Get(m.ID)
	assert.ErrorIs(t, err, queue.ErrNotFound)
}

// TestDeliveredCommitsAtOnceWhenNoAcks: with no ack committed lately (a
// queue draining after an outage), a removal does not wait.
func TestDeliveredCommitsAtOnceWhenNoAcks(t *testing.T) {
	slowRides(t)
	ridingFor = 0
	s := openBolt(t)
	m := newMsg("q", t0)
	_, err := s.Enqueue(m, key("a"))
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, s.Delivered(m.ID))
	assert.Less(t, time.Since(start), rideWait/2)
}

// TestDeliveredCommitsAfterRideWait: a removal waits at most rideWait for
// an ack.
func TestDeliveredCommitsAfterRideWait(t *testing.T) {
	slowRides(t)
	rideWait = 50 * time.Millisecond
	s := openBolt(t)
	commits := commitLog(s)
	m := newMsg("q", t0)
	_, err := s.Enqueue(m, key("a"))
	require.NoError(t, err)
	start := time.Now()
	require.NoError(t, s.Delivered(m.ID))
	assert.GreaterOrEqual(t, time.Since(start), rideWait)
	assert.Equal(t, []int{1, 1}, commits())
}

// TestConfirmLandsWithTheNextWriteOrAtClose: a verify-only claim costs no
// commit of its own; the next write sees it, and a clean close lands it.
func TestConfirmLandsWithTheNextWriteOrAtClose(t *testing.T) {
	slowRides(t)
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := Open(path, time.Second)
	require.NoError(t, err)
	commits := commitLog(s)
	hold := queue.Key{Scope: "route", Value: "k", Expires: time.Now().Add(time.Minute)}
	k := hold
	k.Expires = time.Now().Add(time.Hour)
	_, err = s.Claim(hold, queue.Hold("a"))
	require.NoError(t, err)
	require.NoError(t, s.Confirm(k, "a"))
	holder, err := s.Claim(k, "b")
	require.ErrorIs(t, err, queue.ErrDuplicate)
	assert.Equal(t, "a", holder, "the claim after it sees it")
	assert.Equal(t, []int{1, 2}, commits(), "the confirmation rode the next claim")

	hold.Value, k.Value = "k2", "k2"
	_, err = s.Claim(hold, queue.Hold("c"))
	require.NoError(t, err)
	require.NoError(t, s.Confirm(k, "c"))
	require.NoError(t, s.Close())
	s, err = Open(path, time.Second)
	require.NoError(t, err)
	defer s.Close()
	assert.Equal(t, "c", suiteStore{s}.Holder(t, k), "landed at close")
}
