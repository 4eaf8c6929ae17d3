package storetest

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/queue"
)

// Keep stores m as delivered at at and kept for d, with one attempt.
func Keep(t *testing.T, s queue.Store, m *queue.Message, at time.Time, d time.Duration) {
	t.Helper()
	m.Record(queue.Attempt{At: at, Status: 200, LatencyMS: 1.5, Response: "ok"})
	m.State, m.DeliveredAt, m.KeepUntil, m.NextAttempt = queue.StateDelivered, at, at.Add(d), time.Time{}
	require.NoError(t, s.Update(m))
}

// A delivered message kept (keep_delivered) is listed, counted, read with
// its attempts and body, replayable, and purged after its keep time.
func suiteKeepDelivered(t *testing.T, b Backend) {
	s := openFresh(t, b)
	kept, gone, other := NewMessage("q", T0), NewMessage("q", T0), NewMessage("q", T0)
	kept.OrderKey = "cust"
	for _, m := range []*queue.Message{kept, gone, other} {
		Enqueue(t, s, m, queue.Key{})
	}
	leased, _, err := s.Lease("q", T0, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, leased, 3)
	Keep(t, s, kept, T0.Add(time.Second), time.Hour)
	Keep(t, s, other, T0.Add(2*time.Second), 2*time.Hour)
	require.NoError(t, s.Delivered(gone.ID), "without keep_delivered, as before")

	_, err = s.Get(gone.ID)
	assert.ErrorIs(t, err, queue.ErrNotFound)
	got, err := s.Get(kept.ID)
	require.NoError(t, err)
	assert.Equal(t, queue.StateDelivered, got.State)
	assert.Equal(t, kept.Body, got.Body)
	assert.True(t, got.DeliveredAt.Equal(T0.Add(time.Second)))
	require.Len(t, got.History, 1)
	assert.Equal(t, "ok", got.History[0].Response)

	list, err := s.List(queue.StateDelivered, "q", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{kept.ID, other.ID}, IDs(list), "by keep time")
	list, err = s.List(queue.StateDelivered, "", 10)
	require.NoError(t, err)
	assert.Len(t, list, 2)
	queued, err := s.List(queue.StateQueued, "q", 10)
	require.NoError(t, err)
	assert.Empty(t, queued)
	st, err := Counts(s)
	require.NoError(t, err)
	assert.Equal(t, queue.Stats{Delivered: 2}, st["q"])

	// Nothing due: a kept message is never leased.
	leased, _, err = s.Lease("q", T0.Add(time.Hour), 10, time.Minute)
	require.NoError(t, err)
	assert.Empty(t, leased)

	// Replay: queued again, due now, its attempts kept.
	now := T0.Add(time.Minute)
	m, err := s.Replay(other.ID, now)
	require.NoError(t, err)
	assert.Equal(t, queue.StateQueued, m.State)
	assert.Zero(t, m.Attempts)
	assert.True(t, m.KeepUntil.IsZero())
	leased, _, err = s.Lease("q", now, 10, time.Minute)
	require.NoError(t, err)
	require.Equal(t, []string{other.ID}, IDs(leased))
	assert.Len(t, leased[0].History, 1, "the attempts stay with the message")
	assert.Equal(t, other.Body, leased[0].Body)
	require.NoError(t, s.Delivered(other.ID))

	// Purge: after its keep time, not before.
	_, err = s.Purge(T0.Add(time.Hour), T0.Add(-time.Hour))
	require.NoError(t, err)
	_, err = s.Get(kept.ID)
	require.NoError(t, err, "kept until the end of its hour")
	n, err := s.Purge(T0.Add(time.Hour+2*time.Second), T0.Add(-time.Hour))
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	_, err = s.Get(kept.ID)
	assert.ErrorIs(t, err, queue.ErrNotFound)
	for _, what := range []Record{Messages, Due, Dead} {
		assert.Zero(t, s.Count(t, what), string(what))
	}

	// Delete drops a kept message at once.
	m = NewMessage("q", T0)
	Enqueue(t, s, m, queue.Key{})
	Keep(t, s, m, T0, time.Hour)
	require.NoError(t, s.Delete(m.ID))
	list, err = s.List(queue.StateDelivered, "q", 10)
	require.NoError(t, err)
	assert.Empty(t, list)
	st, err = Counts(s)
	require.NoError(t, err)
	assert.Zero(t, st["q"].Delivered)
}

// A kept delivery of a fan-out group keeps the group's body, which goes
// with the last delivery: kept ones included.
func suiteKeepFanout(t *testing.T, b Backend) {
	s := openFresh(t, b)
	ms := Fanout([]byte("shared"), FanoutQueues[:2]...)
	_, err := s.EnqueueAll(ms, queue.Key{})
	require.NoError(t, err)
	Keep(t, s, ms[0], T0, time.Hour)
	require.NoError(t, s.Delivered(ms[1].ID))
	assert.Equal(t, 1, s.Count(t, Bodies), "a kept delivery keeps the body")
	got, err := s.Get(ms[0].ID)
	require.NoError(t, err)
	assert.Equal(t, []byte("shared"), got.Body)
	m, err := s.Replay(ms[0].ID, T0)
	require.NoError(t, err)
	assert.Equal(t, []byte("shared"), m.Body)
	Keep(t, s, ms[0], T0, time.Hour)

	_, err = s.Purge(T0.Add(2*time.Hour), T0)
	require.NoError(t, err)
	for _, what := range []Record{Messages, Bodies, BodyBytes} {
		assert.Zero(t, s.Count(t, what), string(what))
	}
}

// Attempts recorded on a queued or dead message are read back; a message
// whose record has none shows none.
func suiteHistory(t *testing.T, b Backend) {
	s := openFresh(t, b)
	m, plain := NewMessage("q", T0), NewMessage("q", T0)
	Enqueue(t, s, m, queue.Key{})
	Enqueue(t, s, plain, queue.Key{})
	for i := range queue.MaxHistory + 3 {
		m.Record(queue.Attempt{At: T0.Add(time.Duration(i) * time.Second), Status: 500 + i%3, Error: "upstream answered 5xx"})
	}
	m.Attempts, m.NextAttempt = queue.MaxHistory+3, T0.Add(time.Hour)
	require.NoError(t, s.Update(m))
	got, err := s.Get(m.ID)
	require.NoError(t, err)
	require.Len(t, got.History, queue.MaxHistory)
	assert.Equal(t, m.History, got.History)
	Kill(t, s, m, T0)
	got, err = s.Get(m.ID)
	require.NoError(t, err)
	assert.Len(t, got.History, queue.MaxHistory)

	got, err = s.Get(plain.ID)
	require.NoError(t, err)
	assert.Empty(t, got.History)
}
