package storetest

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/queue"
)

// The fan-out part of the suite: queue.Store.EnqueueAll.

// FanoutQueues are the queues of the suite's fan-out route "r": its own
// and two of its upstreams'.
var FanoutQueues = []string{"r", queue.FanoutQueue("r", "b"), queue.FanoutQueue("r", "c")}

// Fanout returns one delivery of one webhook (body) per queue, due at T0.
func Fanout(body []byte, queues ...string) []*queue.Message {
	out := make([]*queue.Message, len(queues))
	for i, q := range queues {
		m := NewMessage(q, T0)
		m.Body, m.URL = body, "http://"+q+".test/hook"
		out[i] = m
	}
	return out
}

// leaseOne leases the due messages of q at T0 and wants one, with body.
func leaseOne(t *testing.T, s queue.Store, q string, body []byte) *queue.Message {
	t.Helper()
	got, _, err := s.Lease(q, T0, 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, got, 1, "queue %s", q)
	assert.Equal(t, q, got[0].Queue)
	assert.Equal(t, body, got[0].Body, "a leased delivery carries the body")
	return got[0]
}

// Each delivery is stored in its own queue and leased from it, with the
// body; the key names the first; one body is stored.
func suiteFanout(t *testing.T, b Backend) {
	s := openFresh(t, b)
	body := []byte{0, 1, 2, 0xff, '\n'}
	ms := Fanout(body, FanoutQueues...)
	k := DedupeKey("evt_fan")
	id, err := s.EnqueueAll(ms, k)
	require.NoError(t, err)
	assert.Equal(t, ms[0].ID, id)
	assert.Equal(t, ms[0].ID, s.Holder(t, k))
	for _, what := range []Record{Messages, Due} {
		assert.Equal(t, 3, s.Count(t, what), string(what))
	}
	assert.Equal(t, 1, s.Count(t, Keys))
	assert.Equal(t, 1, s.Count(t, Bodies))

	for _, m := range ms {
		assert.Equal(t, ms[0].ID, m.Group, "EnqueueAll sets the group")
		assert.Equal(t, queue.StateQueued, m.State)
		got, err := s.Get(m.ID)
		require.NoError(t, err)
		assert.Equal(t, body, got.Body)
		assert.Equal(t, m.Queue, got.Queue)
		assert.Equal(t, m.URL, got.URL)
		assert.Equal(t, ms[0].ID, got.Group)
		assert.Equal(t, len(body), got.Size)
	}
	for i, q := range FanoutQueues {
		got := leaseOne(t, s, q, body)
		assert.Equal(t, ms[i].ID, got.ID)
		assert.Equal(t, ms[0].ID, got.Group)
	}
	list, err := s.List(queue.StateQueued, "", 10)
	require.NoError(t, err)
	require.Len(t, list, 3)
	for _, m := range list {
		assert.Nil(t, m.Body, "List leaves bodies out")
		assert.Equal(t, len(body), m.Size)
		assert.Equal(t, ms[0].ID, m.Group)
	}
	st, err := Counts(s)
	require.NoError(t, err)
	for _, q := range FanoutQueues {
		assert.Equal(t, queue.Stats{Queued: 1, Leased: 1}, st[q], q)
	}
}

// A key held stores nothing, whichever queues the duplicate would go to:
// the key is the route's, for EnqueueAll and Enqueue alike.
func suiteFanoutDuplicate(t *testing.T, b Backend) {
	s := openFresh(t, b)
	k := DedupeKey("evt_dup")
	first := Fanout([]byte("x"), FanoutQueues...)
	_, err := s.EnqueueAll(first, k)
	require.NoError(t, err)
	for name, ms := range map[string][]*queue.Message{
		"same queues":        Fanout([]byte("x"), FanoutQueues...),
		"other first queue":  Fanout([]byte("x"), FanoutQueues[2], FanoutQueues[1]),
		"one of them, alone": Fanout([]byte("x"), FanoutQueues[1]),
	} {
		holder, err := s.EnqueueAll(ms, k)
		require.ErrorIs(t, err, queue.ErrDuplicate, name)
		assert.Equal(t, first[0].ID, holder, name)
		for _, m := range ms {
			_, err := s.Get(m.ID)
			assert.ErrorIs(t, err, queue.ErrNotFound, "%s: a duplicate stores nothing", name)
		}
	}
	holder, err := s.Enqueue(NewMessage(FanoutQueues[2], T0), k)
	require.ErrorIs(t, err, queue.ErrDuplicate, "Enqueue into a queue of the route")
	assert.Equal(t, first[0].ID, holder)

	// A single message first: a fan-out of the same key is a duplicate.
	single := NewMessage(FanoutQueues[1], T0)
	Enqueue(t, s, single, DedupeKey("evt_single"))
	holder, err = s.EnqueueAll(Fanout([]byte("y"), FanoutQueues...), DedupeKey("evt_single"))
	require.ErrorIs(t, err, queue.ErrDuplicate)
	assert.Equal(t, single.ID, holder)

	assert.Equal(t, 4, s.Count(t, Messages))
	assert.Equal(t, 1, s.Count(t, Bodies))
	assert.Equal(t, 2, s.Count(t, Keys))
}

// Deliveries live apart: one retried, one dead, one delivered, each in its
// own queue; a replayed dead delivery goes to its own queue only.
func suiteFanoutApart(t *testing.T, b Backend) {
	s := openFresh(t, b)
	body := []byte(`{"fan":"out"}`)
	ms := Fanout(body, FanoutQueues...)
	_, err := s.EnqueueAll(ms, DedupeKey("evt"))
	require.NoError(t, err)
	a, bb, c := leaseOne(t, s, FanoutQueues[0], body), leaseOne(t, s, FanoutQueues[1], body), leaseOne(t, s, FanoutQueues[2], body)

	a.Attempts, a.LastStatus, a.NextAttempt = 1, 503, T0.Add(time.Hour)
	require.NoError(t, s.Update(a))
	bb.Attempts, bb.LastStatus = 5, 500
	Kill(t, s, bb, T0)
	require.NoError(t, s.Delivered(c.ID))

	got, err := s.Get(a.ID)
	require.NoError(t, err)
	assert.Equal(t, body, got.Body, "an updated delivery keeps the body")
	assert.Equal(t, 1, got.Attempts)
	dead, err := s.List(queue.StateDead, "", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{bb.ID}, IDs(dead), "only its own death")
	st, err := Counts(s)
	require.NoError(t, err)
	assert.Equal(t, map[string]queue.Stats{FanoutQueues[0]: {Queued: 1}, FanoutQueues[1]: {Dead: 1}}, st)

	replayed, err := s.Replay(bb.ID, T0)
	require.NoError(t, err)
	assert.Equal(t, FanoutQueues[1], replayed.Queue)
	assert.Equal(t, body, replayed.Body)
	for _, q := range []string{FanoutQueues[0], FanoutQueues[2]} {
		got, _, err := s.Lease(q, T0, 10, time.Minute)
		require.NoError(t, err)
		assert.Empty(t, got, "a replay redelivers to its own queue only (%s)", q)
	}
	again := leaseOne(t, s, FanoutQueues[1], body)
	assert.Equal(t, bb.ID, again.ID)
	assert.Zero(t, again.Attempts)
	require.NoError(t, s.Delivered(again.ID))
	assert.Equal(t, 1, s.Count(t, Bodies), "a's retry still holds the body")
	later, _, err := s.Lease(FanoutQueues[0], T0.Add(time.Hour), 10, time.Minute)
	require.NoError(t, err)
	require.Len(t, later, 1)
	assert.Equal(t, body, later[0].Body)
}

// The body goes with the last delivery, however each goes: delivered,
// deleted, purged as a dead letter.
func suiteFanoutBodyGoes(t *testing.T, b Backend) {
	s := openFresh(t, b)
	ms := Fanout([]byte("body"), FanoutQueues...)
	_, err := s.EnqueueAll(ms, queue.Key{})
	require.NoError(t, err)
	other := Fanout([]byte("other"), FanoutQueues[:2]...)
	_, err = s.EnqueueAll(other, queue.Key{})
	require.NoError(t, err)
	require.Equal(t, 2, s.Count(t, Bodies))
	assert.Zero(t, s.Count(t, Keys), "an empty key claims nothing")

	require.NoError(t, s.Delivered(ms[0].ID))
	require.NoError(t, s.Delete(ms[1].ID))
	assert.Equal(t, 2, s.Count(t, Bodies))
	Kill(t, s, ms[2], T0)
	assert.Equal(t, 2, s.Count(t, Bodies), "a dead letter keeps its body")
	got, err := s.Get(ms[2].ID)
	require.NoError(t, err)
	assert.Equal(t, []byte("body"), got.Body)
	_, err = s.Purge(T0, T0.Add(time.Second))
	require.NoError(t, err)
	assert.Equal(t, 1, s.Count(t, Bodies), "purged with its last (dead) delivery")
	assert.Equal(t, 2, s.Count(t, Messages))

	require.NoError(t, s.Delete(other[1].ID))
	require.NoError(t, s.Delivered(other[0].ID))
	for _, what := range []Record{Messages, Due, Dead, Bodies, BodyBytes} {
		assert.Zero(t, s.Count(t, what), string(what))
	}
	// Settling a gone delivery again leaves nothing behind, and fails as usual.
	require.NoError(t, s.Delivered(other[0].ID))
	assert.ErrorIs(t, s.Delete(other[0].ID), queue.ErrNotFound)
	assert.Zero(t, s.Count(t, Bodies))
}

// One message behaves as Enqueue: no group, no shared body.
func suiteFanoutOne(t *testing.T, b Backend) {
	s := openFresh(t, b)
	m := Fanout([]byte("solo"), FanoutQueues[0])[0]
	m.Group = "stale"
	id, err := s.EnqueueAll([]*queue.Message{m}, DedupeKey("solo"))
	require.NoError(t, err)
	assert.Equal(t, m.ID, id)
	assert.Empty(t, m.Group)
	assert.Zero(t, s.Count(t, Bodies))
	assert.Equal(t, len("solo"), s.Count(t, BodyBytes))
	got, err := s.Get(m.ID)
	require.NoError(t, err)
	assert.Empty(t, got.Group)
	assert.Equal(t, []byte("solo"), got.Body)
	require.NoError(t, s.Delivered(m.ID))
	assert.Zero(t, s.Count(t, Messages))
}

// What cannot be one group is refused, storing nothing.
func suiteFanoutBadGroup(t *testing.T, b Backend) {
	s := openFresh(t, b)
	twice := Fanout([]byte("x"), FanoutQueues[:2]...)
	twice[1].ID = twice[0].ID
	for name, ms := range map[string][]*queue.Message{
		"none":               nil,
		"one id twice":       twice,
		"two routes":         Fanout([]byte("x"), "r", "other"),
		"bodies that differ": {Fanout([]byte("x"), "r")[0], Fanout([]byte("yy"), FanoutQueues[1])[0]},
	} {
		_, err := s.EnqueueAll(ms, DedupeKey(name))
		assert.ErrorIs(t, err, queue.ErrBadGroup, name)
	}
	for _, what := range []Record{Messages, Keys, Bodies} {
		assert.Zero(t, s.Count(t, what), string(what))
	}
}

// Reopened, the store has every delivery, the body and the key.
func suiteFanoutReopen(t *testing.T, b Backend) {
	open := b(t)
	s := open()
	s.SetClock(func() time.Time { return T0 })
	body := bytes.Repeat([]byte("z"), 1000)
	ms := Fanout(body, FanoutQueues...)
	_, err := s.EnqueueAll(ms, DedupeKey("k"))
	require.NoError(t, err)
	Kill(t, s, ms[1], T0)
	require.NoError(t, s.Close())

	s = open()
	defer s.Close()
	s.SetClock(func() time.Time { return T0 })
	assert.Equal(t, 1, s.Count(t, Bodies))
	leaseOne(t, s, FanoutQueues[0], body)
	leaseOne(t, s, FanoutQueues[2], body)
	got, err := s.Get(ms[1].ID)
	require.NoError(t, err)
	assert.Equal(t, queue.StateDead, got.State)
	assert.Equal(t, body, got.Body)
	h, err := s.EnqueueAll(Fanout(body, FanoutQueues...), DedupeKey("k"))
	assert.ErrorIs(t, err, queue.ErrDuplicate)
	assert.Equal(t, ms[0].ID, h)
	for _, m := range ms {
		require.NoError(t, s.Delete(m.ID))
	}
	assert.Zero(t, s.Count(t, Bodies))
}

// A 64 KiB body fanned out to three queues is stored once: about a third of
// three messages of their own.
func suiteFanoutSize(t *testing.T, b Backend) {
	s := openFresh(t, b)
	body := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB
	_, err := s.EnqueueAll(Fanout(body, FanoutQueues...), DedupeKey("big"))
	require.NoError(t, err)
	fanned := s.Count(t, BodyBytes)
	assert.Equal(t, len(body), fanned, "one body for three deliveries")

	for _, q := range FanoutQueues {
		m := NewMessage(q, T0)
		m.Body = body
		Enqueue(t, s, m, queue.Key{})
	}
	assert.Equal(t, 4*len(body), s.Count(t, BodyBytes), "three messages of their own: three bodies")
	t.Logf("64 KiB to 3 queues: %d body bytes fanned out, %d as three messages", fanned, 3*len(body))
}
