package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/queue"
)

// More of the store suite (storetest.go): leases, updates, the admin
// calls, purging, reopening and closing.

func suiteLease(t *testing.T, b Backend) {
	s := openFresh(t, b)
	// Enqueued out of due order, with neighbours in other queues whose names
	// share a prefix.
	var a []*queue.Message // queue "a" by due time
	for _, off := range []time.Duration{-1, -3, 5, -2, 10} {
		m := NewMessage("a", T0.Add(off*time.Second))
		Enqueue(t, s, m, queue.Key{})
		a = append(a, m)
	}
	byDue := []*queue.Message{a[1], a[3], a[0], a[2], a[4]} // -3, -2, -1, +5, +10
	for _, q := range []string{"ab", "b", ""} {
		Enqueue(t, s, NewMessage(q, T0.Add(-time.Hour)), queue.Key{})
	}

	steps := []struct {
		name     string
		now      time.Time
		limit    int
		want     []*queue.Message
		wantNext time.Time
	}{
		{name: "limit bounds the batch", now: T0, limit: 2, want: byDue[:2]},
		{name: "leased ones are skipped", now: T0, limit: 10, want: byDue[2:3], wantNext: byDue[3].NextAttempt},
		{name: "nothing left due", now: T0, limit: 10, want: nil, wantNext: byDue[3].NextAttempt},
		{name: "leases expire", now: T0.Add(2 * time.Second), limit: 10, want: byDue[:3], wantNext: byDue[3].NextAttempt},
		{name: "later messages come due in order", now: T0.Add(20 * time.Second), limit: 10, want: byDue},
		{name: "zero limit", now: T0.Add(time.Hour), limit: 0, want: nil},
	}
	for _, st := range steps {
		got, next, err := s.Lease("a", st.now, st.limit, time.Second)
		require.NoError(t, err, st.name)
		assert.Equal(t, IDs(st.want), IDs(got), st.name)
		assert.True(t, st.wantNext.Equal(next), "%s: next = %v, want %v", st.name, next, st.wantNext)
		for _, m := range got {
			assert.Equal(t, "a", m.Queue, st.name)
			assert.NotEmpty(t, m.Body, "%s: leased messages carry their body", st.name)
		}
	}

	got, _, err := s.Lease("nope", T0.Add(time.Hour), 10, time.Second)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func suiteUpdate(t *testing.T, b Backend) {
	t.Run("later attempt re-indexes", func(t *testing.T) {
		s := openFresh(t, b)
		Enqueue(t, s, NewMessage("q", T0), queue.Key{})
		got, _, err := s.Lease("q", T0, 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, got, 1)

		m := got[0]
		m.Attempts, m.LastStatus, m.NextAttempt = 1, 503, T0.Add(time.Hour)
		require.NoError(t, s.Update(m))

		assert.Equal(t, 1, s.Count(t, Due), "the old due entry is gone")
		got, next, err := s.Lease("q", T0.Add(30*time.Minute), 10, time.Minute)
		require.NoError(t, err)
		assert.Empty(t, got, "not due before its new time")
		assert.True(t, next.Equal(T0.Add(time.Hour)), "next = %v", next)

		got, _, err = s.Lease("q", T0.Add(time.Hour), 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, 1, got[0].Attempts)
		assert.Equal(t, 503, got[0].LastStatus)
		assert.Equal(t, m.Body, got[0].Body, "an update keeps the body")
	})

	t.Run("update drops the lease", func(t *testing.T) {
		s := openFresh(t, b)
		Enqueue(t, s, NewMessage("q", T0), queue.Key{})
		got, _, err := s.Lease("q", T0, 10, time.Hour)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.NoError(t, s.Update(got[0])) // due at once again
		got, _, err = s.Lease("q", T0, 10, time.Hour)
		require.NoError(t, err)
		assert.Len(t, got, 1, "an updated message is no longer leased")
	})

	t.Run("dead moves to the dead index", func(t *testing.T) {
		s := openFresh(t, b)
		m := NewMessage("q", T0)
		Enqueue(t, s, m, queue.Key{})
		m.Attempts, m.LastStatus = 3, 400
		Kill(t, s, m, T0.Add(time.Minute))

		dead, err := s.List(queue.StateDead, "q", 10)
		require.NoError(t, err)
		require.Equal(t, []string{m.ID}, IDs(dead))
		assert.Equal(t, 400, dead[0].LastStatus)
		assert.Nil(t, dead[0].Body, "List leaves bodies out")
		assert.Equal(t, len(m.Body), dead[0].Size)
		queued, err := s.List(queue.StateQueued, "q", 10)
		require.NoError(t, err)
		assert.Empty(t, queued)
		got, _, err := s.Lease("q", T0.Add(time.Hour), 10, time.Minute)
		require.NoError(t, err)
		assert.Empty(t, got, "dead messages are not leased")
		st, err := Counts(s)
		require.NoError(t, err)
		assert.Equal(t, queue.Stats{Dead: 1}, st["q"])
	})

	t.Run("deleted message is not resurrected", func(t *testing.T) {
		s := openFresh(t, b)
		m := NewMessage("q", T0)
		Enqueue(t, s, m, queue.Key{})
		require.NoError(t, s.Delete(m.ID))
		m.Attempts, m.NextAttempt = 1, T0.Add(time.Minute)
		require.ErrorIs(t, s.Update(m), queue.ErrNotFound)
		_, err := s.Get(m.ID)
		assert.ErrorIs(t, err, queue.ErrNotFound)
		assert.Zero(t, s.Count(t, Due))
		assert.Zero(t, s.Count(t, Messages))
	})
}

func suiteDeliveredReplayDelete(t *testing.T, b Backend) {
	s := openFresh(t, b)
	k := DedupeKey("evt")
	delivered, dead, queued := NewMessage("q", T0), NewMessage("q", T0), NewMessage("q", T0)
	Enqueue(t, s, delivered, k)
	Enqueue(t, s, dead, queue.Key{})
	Enqueue(t, s, queued, queue.Key{})

	// Delivered removes the message but keeps its dedupe record.
	require.NoError(t, s.Delivered(delivered.ID))
	_, err := s.Get(delivered.ID)
	assert.ErrorIs(t, err, queue.ErrNotFound)
	h, err := s.Enqueue(NewMessage("q", T0), k)
	assert.ErrorIs(t, err, queue.ErrDuplicate, "a delivered webhook is still a duplicate")
	assert.Equal(t, delivered.ID, h)

	// Replay: dead → queued, attempts reset, due at the given time.
	dead.Attempts, dead.LastStatus = 5, 500
	Kill(t, s, dead, T0)
	replayAt := T0.Add(time.Hour)
	m, err := s.Replay(dead.ID, replayAt)
	require.NoError(t, err)
	assert.Equal(t, queue.StateQueued, m.State)
	assert.Zero(t, m.Attempts)
	assert.True(t, m.DeadAt.IsZero())
	assert.True(t, m.NextAttempt.Equal(replayAt))
	stored, err := s.Get(dead.ID)
	require.NoError(t, err)
	assert.Equal(t, queue.StateQueued, stored.State)
	assert.Zero(t, stored.Attempts)
	assert.Equal(t, dead.Body, stored.Body)
	list, err := s.List(queue.StateDead, "", 10)
	require.NoError(t, err)
	assert.Empty(t, list, "a replayed message leaves the dead index")
	got, _, err := s.Lease("q", replayAt, 10, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []string{queued.ID, dead.ID}, IDs(got))

	_, err = s.Replay("msg_unknown", T0)
	assert.ErrorIs(t, err, queue.ErrNotFound)

	// Delete: unknown → queue.ErrNotFound; queued and dead alike are removed.
	assert.ErrorIs(t, s.Delete("msg_unknown"), queue.ErrNotFound)
	Kill(t, s, queued, T0)
	require.NoError(t, s.Delete(queued.ID))
	require.NoError(t, s.Delete(dead.ID))
	assert.ErrorIs(t, s.Delete(dead.ID), queue.ErrNotFound)
	for _, what := range []Record{Messages, Due, Dead} {
		assert.Zero(t, s.Count(t, what), string(what))
	}
	assert.Equal(t, 1, s.Count(t, Keys), "delete keeps dedupe records")
}

func suiteListAndStats(t *testing.T, b Backend) {
	s := openFresh(t, b)
	var queuedA []*queue.Message
	for i := range 4 {
		m := NewMessage("a", T0.Add(time.Duration(3-i)*time.Second)) // enqueued newest first
		Enqueue(t, s, m, queue.Key{})
		queuedA = append([]*queue.Message{m}, queuedA...)
	}
	for range 2 {
		m := NewMessage("b", T0)
		Enqueue(t, s, m, queue.Key{})
		Kill(t, s, m, T0)
	}
	Enqueue(t, s, NewMessage("b", T0.Add(time.Hour)), queue.Key{})
	_, _, err := s.Lease("a", T0.Add(time.Second), 10, time.Hour) // leases the two due first
	require.NoError(t, err)

	list, err := s.List(queue.StateQueued, "a", 10)
	require.NoError(t, err)
	assert.Equal(t, IDs(queuedA), IDs(list), "oldest first")
	list, err = s.List(queue.StateQueued, "a", 3)
	require.NoError(t, err)
	assert.Equal(t, IDs(queuedA[:3]), IDs(list), "limit")
	list, err = s.List(queue.StateQueued, "", 10)
	require.NoError(t, err)
	assert.Len(t, list, 5, "every queue")

	st, err := Counts(s)
	require.NoError(t, err)
	assert.Equal(t, map[string]queue.Stats{
		"a": {Queued: 4, Leased: 2},
		"b": {Queued: 1, Dead: 2},
	}, st)

	s.SetClock(func() time.Time { return T0.Add(2 * time.Hour) })
	st, err = Counts(s)
	require.NoError(t, err)
	assert.Zero(t, st["a"].Leased, "expired leases are not in flight")
}

// suitePurge: dead messages that died before the cutoff go; recent dead and
// queued ones stay, and so do live dedupe records. (Expired records go too,
// by Purge or, in Redis, by their TTL: see each store's own tests.)
func suitePurge(t *testing.T, b Backend) {
	s := openFresh(t, b)
	now := T0.Add(100 * time.Hour)
	cutoff := now.Add(-7 * 24 * time.Hour)
	live := queue.Key{Scope: "s", Value: "live", Expires: now.Add(time.Hour)}
	_, err := s.Claim(live, "holder")
	require.NoError(t, err)

	dies := func(at time.Time) *queue.Message {
		m := NewMessage("q", at)
		Enqueue(t, s, m, queue.Key{})
		Kill(t, s, m, at)
		return m
	}
	oldDead, oldDead2 := dies(cutoff.Add(-time.Hour)), dies(cutoff.Add(-time.Microsecond))
	recentDead := dies(cutoff.Add(time.Hour))
	oldQueued := NewMessage("q", T0.Add(-365*24*time.Hour))
	Enqueue(t, s, oldQueued, queue.Key{})

	n, err := s.Purge(now, cutoff)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 2)

	s.SetClock(func() time.Time { return now })
	h, err := s.Claim(live, "other")
	assert.ErrorIs(t, err, queue.ErrDuplicate)
	assert.Equal(t, "holder", h)
	for _, m := range []*queue.Message{oldDead, oldDead2} {
		_, err := s.Get(m.ID)
		assert.ErrorIs(t, err, queue.ErrNotFound, "dead before the cutoff: purged")
	}
	for _, m := range []*queue.Message{recentDead, oldQueued} {
		_, err := s.Get(m.ID)
		assert.NoError(t, err, "recent dead and queued messages stay")
	}
	dead, err := s.List(queue.StateDead, "q", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{recentDead.ID}, IDs(dead))

	n, err = s.Purge(now, cutoff)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to purge")
}

func suiteReopen(t *testing.T, b Backend) {
	open := b(t)
	s := open()
	s.SetClock(func() time.Time { return T0 })
	queued, dead := NewMessage("q", T0.Add(time.Minute)), NewMessage("q", T0)
	queued.Body = []byte{0, 0xfe, 0xff}
	Enqueue(t, s, queued, DedupeKey("k1"))
	Enqueue(t, s, dead, DedupeKey("k2"))
	dead.Attempts = 4
	Kill(t, s, dead, T0)
	_, err := s.Claim(DedupeKey("k3"), "verify-only")
	require.NoError(t, err)
	before, err := s.Stats()
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = s.Claim(DedupeKey("after-close"), "x")
	assert.ErrorIs(t, err, queue.ErrClosed)

	s = open()
	defer s.Close()
	s.SetClock(func() time.Time { return T0 })
	after, err := s.Stats()
	require.NoError(t, err)
	assert.Equal(t, before, after)
	got, err := s.Get(queued.ID)
	require.NoError(t, err)
	assert.Equal(t, queued.Body, got.Body)
	list, err := s.List(queue.StateDead, "q", 10)
	require.NoError(t, err)
	require.Equal(t, []string{dead.ID}, IDs(list))
	assert.Equal(t, 4, list[0].Attempts)
	leased, _, err := s.Lease("q", T0.Add(time.Minute), 10, time.Second)
	require.NoError(t, err)
	assert.Equal(t, []string{queued.ID}, IDs(leased))
	for k, want := range map[string]string{"k1": queued.ID, "k2": dead.ID} {
		h, err := s.Enqueue(NewMessage("q", T0), DedupeKey(k))
		assert.ErrorIs(t, err, queue.ErrDuplicate, k)
		assert.Equal(t, want, h, k)
	}
	h, err := s.Claim(DedupeKey("k3"), "new")
	assert.ErrorIs(t, err, queue.ErrDuplicate)
	assert.Equal(t, "verify-only", h)
}

// suiteCloseWithWriters closes the store while writers are still writing:
// each write either lands or fails with queue.ErrClosed, and none hangs.
func suiteCloseWithWriters(t *testing.T, b Backend) {
	for range 10 {
		s := b(t)()
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := range 16 {
			wg.Go(func() {
				for i := 0; ; i++ {
					if _, err := s.Claim(DedupeKey(fmt.Sprint(w, "-", i)), "x"); err != nil {
						errs <- err
						return
					}
				}
			})
		}
		time.Sleep(time.Millisecond)
		require.NoError(t, s.Close())
		done := make(chan struct{})
		go func() { wg.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			t.Fatal("a write hangs after Close")
		}
		close(errs)
		for err := range errs {
			assert.ErrorIs(t, err, queue.ErrClosed)
		}
	}
}

// stats is queue.Store.Stats without Oldest, which suiteStatsOldest tests.
func Counts(s queue.Store) (map[string]queue.Stats, error) {
	st, err := s.Stats()
	for q, v := range st {
		v.Oldest = time.Time{}
		st[q] = v
	}
	return st, err
}

// The oldest queued message is found by its id (its time of receipt),
// whatever its due time; dead letters do not count, replayed ones do again.
func suiteStatsOldest(t *testing.T, b Backend) {
	s := openFresh(t, b)
	oldest := func() time.Time {
		t.Helper()
		st, err := s.Stats()
		require.NoError(t, err)
		return st["q"].Oldest
	}
	old := NewMessage("q", T0.Add(time.Hour)) // received first, retried later
	old.ID = queue.NewID(T0)
	young := NewMessage("q", T0)
	young.ID = queue.NewID(T0.Add(time.Minute))
	Enqueue(t, s, old, queue.Key{})
	Enqueue(t, s, young, queue.Key{})
	assert.Equal(t, T0.UnixMilli(), oldest().UnixMilli())

	Kill(t, s, old, T0.Add(2*time.Hour))
	assert.Equal(t, T0.Add(time.Minute).UnixMilli(), oldest().UnixMilli(), "a dead letter is not queued")
	_, err := s.Replay(old.ID, T0.Add(3*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, T0.UnixMilli(), oldest().UnixMilli(), "a replayed message is queued again")

	require.NoError(t, s.Delete(old.ID))
	assert.Equal(t, T0.Add(time.Minute).UnixMilli(), oldest().UnixMilli())
	require.NoError(t, s.Delivered(young.ID))
	assert.True(t, oldest().IsZero(), "an empty queue has no oldest message")
}
