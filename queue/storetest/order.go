package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/queue"
)

// orderedMsg returns a message of queue "q" with an order key, received at
// T0+at (its id sorts by that).
func orderedMsg(orderKey string, at time.Duration) *queue.Message {
	m := NewMessage("q", T0)
	m.ID, m.OrderKey = queue.NewID(T0.Add(at)), orderKey
	return m
}

// Of the queued messages of one order key, only the oldest is leased; a
// retry holds its key back, a delivery or a death lets the next one go.
func suiteOrderKey(t *testing.T, b Backend) {
	s := openFresh(t, b)
	a1, a2, a3 := orderedMsg("a", 1*time.Millisecond), orderedMsg("a", 2*time.Millisecond), orderedMsg("a", 3*time.Millisecond)
	b1, free := orderedMsg("b", 4*time.Millisecond), orderedMsg("", 5*time.Millisecond)
	for _, m := range []*queue.Message{a3, a1, b1, a2, free} { // stored out of order
		Enqueue(t, s, m, queue.Key{})
	}
	lease := func(at time.Duration) []string {
		msgs, _, err := s.Lease("q", T0.Add(at), 10, time.Millisecond)
		require.NoError(t, err)
		return IDs(msgs)
	}
	assert.ElementsMatch(t, []string{a1.ID, b1.ID, free.ID}, lease(0), "the first of each key, and the unordered one")

	a1.Attempts, a1.NextAttempt = 1, T0.Add(time.Hour)
	require.NoError(t, s.Update(a1)) // a retry later: key a waits for it
	require.NoError(t, s.Delivered(b1.ID))
	require.NoError(t, s.Delivered(free.ID))
	assert.Empty(t, lease(time.Second), "a2 waits behind a1's retry")

	Kill(t, s, a1, T0.Add(2*time.Second))
	assert.Equal(t, []string{a2.ID}, lease(3*time.Second), "a dead letter lets its key go on")
	require.NoError(t, s.Delivered(a2.ID))
	assert.Equal(t, []string{a3.ID}, lease(4*time.Second))

	_, err := s.Replay(a1.ID, T0.Add(5*time.Second))
	require.NoError(t, err)
	assert.Equal(t, []string{a1.ID}, lease(6*time.Second), "a replayed message is first of its key again")
	require.NoError(t, s.Delete(a1.ID))
	assert.Equal(t, []string{a3.ID}, lease(7*time.Second), "a deleted message holds nothing back")
}

// Messages held back by their key do not hide a leasable one behind them.
func suiteOrderKeyLooksPastHeldBack(t *testing.T, b Backend) {
	s := openFresh(t, b)
	head := orderedMsg("a", 0)
	head.NextAttempt = T0.Add(time.Hour) // retrying later
	Enqueue(t, s, head, queue.Key{})
	for i := 1; i <= 30; i++ {
		Enqueue(t, s, orderedMsg("a", time.Duration(i)*time.Millisecond), queue.Key{})
	}
	other := orderedMsg("b", time.Second)
	Enqueue(t, s, other, queue.Key{})
	msgs, _, err := s.Lease("q", T0.Add(2*time.Second), 1, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []string{other.ID}, IDs(msgs))
}
