package queue

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// More of the store suite (storetest_test.go): leases, updates, the admin
// calls, purging, reopening and closing.

func suiteLease(t *testing.T, b backend) {
	s := openFresh(t, b)
	// Enqueued out of due order, with neighbours in other queues whose names
	// share a prefix.
	var a []*Message // queue "a" by due time
	for _, off := range []time.Duration{-1, -3, 5, -2, 10} {
		m := newMsg("a", t0.Add(off*time.Second))
		enqueue(t, s, m, Key{})
		a = append(a, m)
	}
	byDue := []*Message{a[1], a[3], a[0], a[2], a[4]} // -3, -2, -1, +5, +10
	for _, q := range []string{"ab", "b", ""} {
		enqueue(t, s, newMsg(q, t0.Add(-time.Hour)), Key{})
	}

	steps := []struct {
		name     string
		now      time.Time
		limit    int
		want     []*Message
		wantNext time.Time
	}{
		{name: "limit bounds the batch", now: t0, limit: 2, want: byDue[:2]},
		{name: "leased ones are skipped", now: t0, limit: 10, want: byDue[2:3], wantNext: byDue[3].NextAttempt},
		{name: "nothing left due", now: t0, limit: 10, want: nil, wantNext: byDue[3].NextAttempt},
		{name: "leases expire", now: t0.Add(2 * time.Second), limit: 10, want: byDue[:3], wantNext: byDue[3].NextAttempt},
		{name: "later messages come due in order", now: t0.Add(20 * time.Second), limit: 10, want: byDue},
		{name: "zero limit", now: t0.Add(time.Hour), limit: 0, want: nil},
	}
	for _, st := range steps {
		got, next, err := s.Lease("a", st.now, st.limit, time.Second)
		require.NoError(t, err, st.name)
		assert.Equal(t, ids(st.want), ids(got), st.name)
		assert.True(t, st.wantNext.Equal(next), "%s: next = %v, want %v", st.name, next, st.wantNext)
		for _, m := range got {
			assert.Equal(t, "a", m.Queue, st.name)
			assert.NotEmpty(t, m.Body, "%s: leased messages carry their body", st.name)
		}
	}

	got, _, err := s.Lease("nope", t0.Add(time.Hour), 10, time.Second)
	require.NoError(t, err)
	assert.Empty(t, got)
}

func suiteUpdate(t *testing.T, b backend) {
	t.Run("later attempt re-indexes", func(t *testing.T) {
		s := openFresh(t, b)
		enqueue(t, s, newMsg("q", t0), Key{})
		got, _, err := s.Lease("q", t0, 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, got, 1)

		m := got[0]
		m.Attempts, m.LastStatus, m.NextAttempt = 1, 503, t0.Add(time.Hour)
		require.NoError(t, s.Update(m))

		assert.Equal(t, 1, s.count(t, "due"), "the old due entry is gone")
		got, next, err := s.Lease("q", t0.Add(30*time.Minute), 10, time.Minute)
		require.NoError(t, err)
		assert.Empty(t, got, "not due before its new time")
		assert.True(t, next.Equal(t0.Add(time.Hour)), "next = %v", next)

		got, _, err = s.Lease("q", t0.Add(time.Hour), 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, 1, got[0].Attempts)
		assert.Equal(t, 503, got[0].LastStatus)
		assert.Equal(t, m.Body, got[0].Body, "an update keeps the body")
	})

	t.Run("update drops the lease", func(t *testing.T) {
		s := openFresh(t, b)
		enqueue(t, s, newMsg("q", t0), Key{})
		got, _, err := s.Lease("q", t0, 10, time.Hour)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.NoError(t, s.Update(got[0])) // due at once again
		got, _, err = s.Lease("q", t0, 10, time.Hour)
		require.NoError(t, err)
		assert.Len(t, got, 1, "an updated message is no longer leased")
	})

	t.Run("dead moves to the dead index", func(t *testing.T) {
		s := openFresh(t, b)
		m := newMsg("q", t0)
		enqueue(t, s, m, Key{})
		m.Attempts, m.LastStatus = 3, 400
		kill(t, s, m, t0.Add(time.Minute))

		dead, err := s.List(StateDead, "q", 10)
		require.NoError(t, err)
		require.Equal(t, []string{m.ID}, ids(dead))
		assert.Equal(t, 400, dead[0].LastStatus)
		assert.Nil(t, dead[0].Body, "List leaves bodies out")
		assert.Equal(t, len(m.Body), dead[0].Size)
		queued, err := s.List(StateQueued, "q", 10)
		require.NoError(t, err)
		assert.Empty(t, queued)
		got, _, err := s.Lease("q", t0.Add(time.Hour), 10, time.Minute)
		require.NoError(t, err)
		assert.Empty(t, got, "dead messages are not leased")
		st, err := stats(s)
		require.NoError(t, err)
		assert.Equal(t, Stats{Dead: 1}, st["q"])
	})

	t.Run("deleted message is not resurrected", func(t *testing.T) {
		s := openFresh(t, b)
		m := newMsg("q", t0)
		enqueue(t, s, m, Key{})
		require.NoError(t, s.Delete(m.ID))
		m.Attempts, m.NextAttempt = 1, t0.Add(time.Minute)
		require.ErrorIs(t, s.Update(m), ErrNotFound)
		_, err := s.Get(m.ID)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.Zero(t, s.count(t, "due"))
		assert.Zero(t, s.count(t, "messages"))
	})
}

func suiteDeliveredReplayDelete(t *testing.T, b backend) {
	s := openFresh(t, b)
	k := key("evt")
	delivered, dead, queued := newMsg("q", t0), newMsg("q", t0), newMsg("q", t0)
	enqueue(t, s, delivered, k)
	enqueue(t, s, dead, Key{})
	enqueue(t, s, queued, Key{})

	// Delivered removes the message but keeps its dedupe record.
	require.NoError(t, s.Delivered(delivered.ID))
	_, err := s.Get(delivered.ID)
	assert.ErrorIs(t, err, ErrNotFound)
	h, err := s.Enqueue(newMsg("q", t0), k)
	assert.ErrorIs(t, err, ErrDuplicate, "a delivered webhook is still a duplicate")
	assert.Equal(t, delivered.ID, h)

	// Replay: dead → queued, attempts reset, due at the given time.
	dead.Attempts, dead.LastStatus = 5, 500
	kill(t, s, dead, t0)
	replayAt := t0.Add(time.Hour)
	m, err := s.Replay(dead.ID, replayAt)
	require.NoError(t, err)
	assert.Equal(t, StateQueued, m.State)
	assert.Zero(t, m.Attempts)
	assert.True(t, m.DeadAt.IsZero())
	assert.True(t, m.NextAttempt.Equal(replayAt))
	stored, err := s.Get(dead.ID)
	require.NoError(t, err)
	assert.Equal(t, StateQueued, stored.State)
	assert.Zero(t, stored.Attempts)
	assert.Equal(t, dead.Body, stored.Body)
	list, err := s.List(StateDead, "", 10)
	require.NoError(t, err)
	assert.Empty(t, list, "a replayed message leaves the dead index")
	got, _, err := s.Lease("q", replayAt, 10, time.Minute)
	require.NoError(t, err)
	assert.Equal(t, []string{queued.ID, dead.ID}, ids(got))

	_, err = s.Replay("msg_unknown", t0)
	assert.ErrorIs(t, err, ErrNotFound)

	// Delete: unknown → ErrNotFound; queued and dead alike are removed.
	assert.ErrorIs(t, s.Delete("msg_unknown"), ErrNotFound)
	kill(t, s, queued, t0)
	require.NoError(t, s.Delete(queued.ID))
	require.NoError(t, s.Delete(dead.ID))
	assert.ErrorIs(t, s.Delete(dead.ID), ErrNotFound)
	for _, what := range []string{"messages", "due", "dead"} {
		assert.Zero(t, s.count(t, what), what)
	}
	assert.Equal(t, 1, s.count(t, "keys"), "delete keeps dedupe records")
}

func suiteListAndStats(t *testing.T, b backend) {
	s := openFresh(t, b)
	var queuedA []*Message
	for i := range 4 {
		m := newMsg("a", t0.Add(time.Duration(3-i)*time.Second)) // enqueued newest first
		enqueue(t, s, m, Key{})
		queuedA = append([]*Message{m}, queuedA...)
	}
	for range 2 {
		m := newMsg("b", t0)
		enqueue(t, s, m, Key{})
		kill(t, s, m, t0)
	}
	enqueue(t, s, newMsg("b", t0.Add(time.Hour)), Key{})
	_, _, err := s.Lease("a", t0.Add(time.Second), 10, time.Hour) // leases the two due first
	require.NoError(t, err)

	list, err := s.List(StateQueued, "a", 10)
	require.NoError(t, err)
	assert.Equal(t, ids(queuedA), ids(list), "oldest first")
	list, err = s.List(StateQueued, "a", 3)
	require.NoError(t, err)
	assert.Equal(t, ids(queuedA[:3]), ids(list), "limit")
	list, err = s.List(StateQueued, "", 10)
	require.NoError(t, err)
	assert.Len(t, list, 5, "every queue")

	st, err := stats(s)
	require.NoError(t, err)
	assert.Equal(t, map[string]Stats{
		"a": {Queued: 4, Leased: 2},
		"b": {Queued: 1, Dead: 2},
	}, st)

	s.setClock(func() time.Time { return t0.Add(2 * time.Hour) })
	st, err = stats(s)
	require.NoError(t, err)
	assert.Zero(t, st["a"].Leased, "expired leases are not in flight")
}

// suitePurge: dead messages that died before the cutoff go; recent dead and
// queued ones stay, and so do live dedupe records. (Expired records go too,
// by Purge or, in Redis, by their TTL: see each store's own tests.)
func suitePurge(t *testing.T, b backend) {
	s := openFresh(t, b)
	now := t0.Add(100 * time.Hour)
	cutoff := now.Add(-7 * 24 * time.Hour)
	live := Key{Scope: "s", Value: "live", Expires: now.Add(time.Hour)}
	_, err := s.Claim(live, "holder")
	require.NoError(t, err)

	dies := func(at time.Time) *Message {
		m := newMsg("q", at)
		enqueue(t, s, m, Key{})
		kill(t, s, m, at)
		return m
	}
	oldDead, oldDead2 := dies(cutoff.Add(-time.Hour)), dies(cutoff.Add(-time.Microsecond))
	recentDead := dies(cutoff.Add(time.Hour))
	oldQueued := newMsg("q", t0.Add(-365*24*time.Hour))
	enqueue(t, s, oldQueued, Key{})

	n, err := s.Purge(now, cutoff)
	require.NoError(t, err)
	assert.GreaterOrEqual(t, n, 2)

	s.setClock(func() time.Time { return now })
	h, err := s.Claim(live, "other")
	assert.ErrorIs(t, err, ErrDuplicate)
	assert.Equal(t, "holder", h)
	for _, m := range []*Message{oldDead, oldDead2} {
		_, err := s.Get(m.ID)
		assert.ErrorIs(t, err, ErrNotFound, "dead before the cutoff: purged")
	}
	for _, m := range []*Message{recentDead, oldQueued} {
		_, err := s.Get(m.ID)
		assert.NoError(t, err, "recent dead and queued messages stay")
	}
	dead, err := s.List(StateDead, "q", 10)
	require.NoError(t, err)
	assert.Equal(t, []string{recentDead.ID}, ids(dead))

	n, err = s.Purge(now, cutoff)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to purge")
}

func suiteReopen(t *testing.T, b backend) {
	open := b(t)
	s := open()
	s.setClock(func() time.Time { return t0 })
	queued, dead := newMsg("q", t0.Add(time.Minute)), newMsg("q", t0)
	queued.Body = []byte{0, 0xfe, 0xff}
	enqueue(t, s, queued, key("k1"))
	enqueue(t, s, dead, key("k2"))
	dead.Attempts = 4
	kill(t, s, dead, t0)
	_, err := s.Claim(key("k3"), "verify-only")
	require.NoError(t, err)
	before, err := s.Stats()
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = s.Claim(key("after-close"), "x")
	assert.ErrorIs(t, err, ErrClosed)

	s = open()
	defer s.Close()
	s.setClock(func() time.Time { return t0 })
	after, err := s.Stats()
	require.NoError(t, err)
	assert.Equal(t, before, after)
	got, err := s.Get(queued.ID)
	require.NoError(t, err)
	assert.Equal(t, queued.Body, got.Body)
	list, err := s.List(StateDead, "q", 10)
	require.NoError(t, err)
	require.Equal(t, []string{dead.ID}, ids(list))
	assert.Equal(t, 4, list[0].Attempts)
	leased, _, err := s.Lease("q", t0.Add(time.Minute), 10, time.Second)
	require.NoError(t, err)
	assert.Equal(t, []string{queued.ID}, ids(leased))
	for k, want := range map[string]string{"k1": queued.ID, "k2": dead.ID} {
		h, err := s.Enqueue(newMsg("q", t0), key(k))
		assert.ErrorIs(t, err, ErrDuplicate, k)
		assert.Equal(t, want, h, k)
	}
	h, err := s.Claim(key("k3"), "new")
	assert.ErrorIs(t, err, ErrDuplicate)
	assert.Equal(t, "verify-only", h)
}

// suiteCloseWithWriters closes the store while writers are still writing:
// each write either lands or fails with ErrClosed, and none hangs.
func suiteCloseWithWriters(t *testing.T, b backend) {
	for range 10 {
		s := b(t)()
		var wg sync.WaitGroup
		errs := make(chan error, 16)
		for w := range 16 {
			wg.Go(func() {
				for i := 0; ; i++ {
					if _, err := s.Claim(key(fmt.Sprint(w, "-", i)), "x"); err != nil {
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
			assert.ErrorIs(t, err, ErrClosed)
		}
	}
}

// stats is Store.Stats without Oldest, which suiteStatsOldest tests.
func stats(s Store) (map[string]Stats, error) {
	st, err := s.Stats()
	for q, v := range st {
		v.Oldest = time.Time{}
		st[q] = v
	}
	return st, err
}

// The oldest queued message is found by its id (its time of receipt),
// whatever its due time; dead letters do not count, replayed ones do again.
func suiteStatsOldest(t *testing.T, b backend) {
	s := openFresh(t, b)
	oldest := func() time.Time {
		t.Helper()
		st, err := s.Stats()
		require.NoError(t, err)
		return st["q"].Oldest
	}
	old := newMsg("q", t0.Add(time.Hour)) // received first, retried later
	old.ID = NewID(t0)
	young := newMsg("q", t0)
	young.ID = NewID(t0.Add(time.Minute))
	enqueue(t, s, old, Key{})
	enqueue(t, s, young, Key{})
	assert.Equal(t, t0.UnixMilli(), oldest().UnixMilli())

	kill(t, s, old, t0.Add(2*time.Hour))
	assert.Equal(t, t0.Add(time.Minute).UnixMilli(), oldest().UnixMilli(), "a dead letter is not queued")
	_, err := s.Replay(old.ID, t0.Add(3*time.Hour))
	require.NoError(t, err)
	assert.Equal(t, t0.UnixMilli(), oldest().UnixMilli(), "a replayed message is queued again")

	require.NoError(t, s.Delete(old.ID))
	assert.Equal(t, t0.Add(time.Minute).UnixMilli(), oldest().UnixMilli())
	require.NoError(t, s.Delivered(young.ID))
	assert.True(t, oldest().IsZero(), "an empty queue has no oldest message")
}
