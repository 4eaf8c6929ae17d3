package queue

import (
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bolt "go.etcd.io/bbolt"
)

// t0 is the tests' reference time.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// openBolt opens a fresh store in a temporary directory, closed at the end
// of the test. Its clock reads t0.
func openBolt(t *testing.T) *Bolt {
	t.Helper()
	s, err := OpenBolt(filepath.Join(t.TempDir(), "queue.db"), time.Second)
	require.NoError(t, err)
	s.now = func() time.Time { return t0 }
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// newMsg returns a message of queue due at due.
func newMsg(queue string, due time.Time) *Message {
	return &Message{
		ID: NewID(due), Queue: queue, Method: http.MethodPost, URL: "http://upstream.test/hook",
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"id":"evt_1"}`),
		ReceivedAt: due, NextAttempt: due,
	}
}

func key(value string) Key { return Key{Scope: "route", Value: value, Expires: t0.Add(time.Hour)} }

// bucketLen counts the records of one of the store's buckets.
func bucketLen(t *testing.T, s *Bolt, name []byte) int {
	t.Helper()
	n := 0
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		n = tx.Bucket(name).Stats().KeyN
		return nil
	}))
	return n
}

// holder returns the id holding k in the store, "" if none.
func holder(t *testing.T, s *Bolt, k Key) string {
	t.Helper()
	var id string
	require.NoError(t, s.db.View(func(tx *bolt.Tx) error {
		if v := tx.Bucket(bucketKeys).Get(keyOf(k)); len(v) >= 8 {
			id = string(v[8:])
		}
		return nil
	}))
	return id
}

func ids(msgs []*Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

func TestBoltEnqueueStoresMessageAndKey(t *testing.T) {
	s := openBolt(t)
	m := newMsg("q", t0)
	m.Body = []byte{0, 1, 2, 0xff, '\n'}
	k := key("evt_1")

	id, err := s.Enqueue(m, k)
	require.NoError(t, err)
	assert.Equal(t, m.ID, id)
	assert.Equal(t, StateQueued, m.State)

	got, err := s.Get(m.ID)
	require.NoError(t, err)
	assert.Equal(t, m.Body, got.Body)
	assert.Equal(t, m.Header, got.Header)
	assert.Equal(t, StateQueued, got.State)
	assert.Equal(t, m.ID, holder(t, s, k), "the dedupe record names the message")
	assert.Equal(t, 1, bucketLen(t, s, bucketExpiry))
	assert.Equal(t, 1, bucketLen(t, s, bucketDue))
}

func TestBoltDedupe(t *testing.T) {
	for _, tc := range []struct {
		name          string
		first, second Key
		clock         time.Duration // moves the store's clock before the second enqueue
		wantDuplicate bool
	}{
		{name: "same key held", first: key("a"), second: key("a"), wantDuplicate: true},
		{name: "held until the last nanosecond", first: key("a"), second: key("a"), clock: time.Hour - 1, wantDuplicate: true},
		{name: "other value", first: key("a"), second: key("b")},
		{name: "other scope", first: key("a"), second: Key{Scope: "other", Value: "a", Expires: t0.Add(time.Hour)}},
		{name: "scope and value do not run together", first: Key{Scope: "ab", Value: "c", Expires: t0.Add(time.Hour)}, second: Key{Scope: "a", Value: "bc", Expires: t0.Add(time.Hour)}},
		{name: "expired in the past", first: Key{Scope: "route", Value: "a", Expires: t0.Add(-time.Second)}, second: key("a")},
		{name: "expires now", first: Key{Scope: "route", Value: "a", Expires: t0}, second: key("a")},
		{name: "clock moved past expiry", first: key("a"), second: Key{Scope: "route", Value: "a", Expires: t0.Add(3 * time.Hour)}, clock: time.Hour},
		{name: "empty keys claim nothing", first: Key{Scope: "route"}, second: Key{Scope: "route"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openBolt(t)
			m1, m2 := newMsg("q", t0), newMsg("q", t0)

			id, err := s.Enqueue(m1, tc.first)
			require.NoError(t, err)
			require.Equal(t, m1.ID, id)

			now := t0.Add(tc.clock)
			s.now = func() time.Time { return now }
			id, err = s.Enqueue(m2, tc.second)

			stats, serr := s.Stats()
			require.NoError(t, serr)
			if tc.wantDuplicate {
				require.ErrorIs(t, err, ErrDuplicate)
				assert.Equal(t, m1.ID, id, "a duplicate names the holder")
				_, gerr := s.Get(m2.ID)
				assert.ErrorIs(t, gerr, ErrNotFound, "a duplicate stores nothing")
				assert.Equal(t, 1, stats["q"].Queued)
				assert.Equal(t, m1.ID, holder(t, s, tc.first), "the holder keeps its key")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, m2.ID, id)
			_, gerr := s.Get(m2.ID)
			assert.NoError(t, gerr)
			assert.Equal(t, 2, stats["q"].Queued)
			if tc.second.Empty() {
				assert.Zero(t, bucketLen(t, s, bucketKeys), "an empty key writes no dedupe record")
				assert.Zero(t, bucketLen(t, s, bucketExpiry))
				return
			}
			assert.Equal(t, m2.ID, holder(t, s, tc.second))
			// A reclaimed key leaves no stale expiry entry behind.
			live := 2
			if string(keyOf(tc.first)) == string(keyOf(tc.second)) {
				live = 1
			}
			assert.Equal(t, live, bucketLen(t, s, bucketKeys))
			assert.Equal(t, live, bucketLen(t, s, bucketExpiry))
		})
	}
}

func TestBoltClaimRelease(t *testing.T) {
	s := openBolt(t)
	k := key("k")

	got, err := s.Claim(k, "a")
	require.NoError(t, err)
	assert.Equal(t, "a", got)

	got, err = s.Claim(k, "b")
	require.ErrorIs(t, err, ErrDuplicate)
	assert.Equal(t, "a", got)

	// Only the holder releases.
	require.NoError(t, s.Release(k, "b"))
	got, err = s.Claim(k, "c")
	require.ErrorIs(t, err, ErrDuplicate, "a release by a non-holder must not drop the key")
	assert.Equal(t, "a", got)

	require.NoError(t, s.Release(k, "a"))
	assert.Zero(t, bucketLen(t, s, bucketKeys))
	assert.Zero(t, bucketLen(t, s, bucketExpiry), "release drops the expiry entry too")

	got, err = s.Claim(k, "c")
	require.NoError(t, err, "a released key can be claimed again")
	assert.Equal(t, "c", got)

	// Releasing a key nobody holds, or an empty one, is harmless.
	require.NoError(t, s.Release(key("never"), "x"))
	require.NoError(t, s.Release(Key{}, "x"))
	got, err = s.Claim(Key{Scope: "route"}, "d")
	require.NoError(t, err)
	assert.Equal(t, "d", got)
	assert.Equal(t, 1, bucketLen(t, s, bucketKeys), "an empty key claims nothing")
	assert.Zero(t, bucketLen(t, s, bucketMessages), "claim stores no message")
}

// TestBoltConcurrentEnqueue drives the group-commit loop: many writers at
// once, some racing for the same dedupe keys.
func TestBoltConcurrentEnqueue(t *testing.T) {
	const (
		writers = 64
		each    = 50
		shared  = each / 5 // every 5th message of a writer uses a key all writers race for: 20%
	)
	s := openBolt(t)
	type outcome struct {
		msg    *Message
		key    Key
		holder string
		err    error
	}
	results := make([][]outcome, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				m := newMsg(fmt.Sprintf("q%d", w%4), t0)
				m.Body = fmt.Appendf(nil, `{"w":%d,"i":%d}`, w, i)
				k := key(fmt.Sprintf("w%d-i%d", w, i))
				if i%5 == 0 {
					k = key(fmt.Sprintf("shared-%d", i/5))
				}
				h, err := s.Enqueue(m, k)
				results[w] = append(results[w], outcome{m, k, h, err})
			}
		})
	}
	wg.Wait()

	winners := map[string]string{} // key value → message id
	stored := 0
	for _, rs := range results {
		for _, r := range rs {
			switch {
			case r.err == nil:
				require.Equal(t, r.msg.ID, r.holder)
				prev, dup := winners[r.key.Value]
				require.False(t, dup, "key %s won twice: %s and %s", r.key.Value, prev, r.msg.ID)
				winners[r.key.Value] = r.msg.ID
				got, err := s.Get(r.msg.ID)
				require.NoError(t, err, "a winner must be stored")
				require.Equal(t, r.msg.Body, got.Body)
				stored++
			case errors.Is(r.err, ErrDuplicate):
				_, err := s.Get(r.msg.ID)
				require.ErrorIs(t, err, ErrNotFound, "a loser must not be stored")
			default:
				require.NoError(t, r.err)
			}
		}
	}
	wantWinners := writers*(each-shared) + shared
	require.Len(t, winners, wantWinners, "exactly one winner per key")
	for _, rs := range results {
		for _, r := range rs {
			if r.err != nil {
				assert.Equal(t, winners[r.key.Value], r.holder, "a duplicate names the winner")
			}
			assert.Equal(t, winners[r.key.Value], holder(t, s, r.key))
		}
	}
	assert.Equal(t, wantWinners, stored)
	assert.Equal(t, wantWinners, bucketLen(t, s, bucketMessages))
	assert.Equal(t, wantWinners, bucketLen(t, s, bucketDue))
	assert.Equal(t, wantWinners, bucketLen(t, s, bucketKeys))
	assert.Equal(t, wantWinners, bucketLen(t, s, bucketExpiry))
	stats, err := s.Stats()
	require.NoError(t, err)
	total := 0
	for _, st := range stats {
		total += st.Queued
	}
	assert.Equal(t, wantWinners, total)
}

func TestBoltLease(t *testing.T) {
	s := openBolt(t)
	// Enqueued out of due order, with neighbours in other queues whose names
	// share a prefix.
	var a []*Message // queue "a" by due time
	for _, off := range []time.Duration{-1, -3, 5, -2, 10} {
		m := newMsg("a", t0.Add(off*time.Second))
		_, err := s.Enqueue(m, Key{})
		require.NoError(t, err)
		a = append(a, m)
	}
	byDue := []*Message{a[1], a[3], a[0], a[2], a[4]} // -3, -2, -1, +5, +10
	for _, q := range []string{"ab", "b", ""} {
		_, err := s.Enqueue(newMsg(q, t0.Add(-time.Hour)), Key{})
		require.NoError(t, err)
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

func TestBoltUpdate(t *testing.T) {
	t.Run("later attempt re-indexes", func(t *testing.T) {
		s := openBolt(t)
		m := newMsg("q", t0)
		_, err := s.Enqueue(m, Key{})
		require.NoError(t, err)
		got, _, err := s.Lease("q", t0, 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, got, 1)

		m = got[0]
		m.Attempts, m.LastStatus, m.NextAttempt = 1, 503, t0.Add(time.Hour)
		require.NoError(t, s.Update(m))

		assert.Equal(t, 1, bucketLen(t, s, bucketDue), "the old due entry is gone")
		got, next, err := s.Lease("q", t0.Add(30*time.Minute), 10, time.Minute)
		require.NoError(t, err)
		assert.Empty(t, got, "not due before its new time")
		assert.True(t, next.Equal(t0.Add(time.Hour)), "next = %v", next)

		got, _, err = s.Lease("q", t0.Add(time.Hour), 10, time.Minute)
		require.NoError(t, err)
		require.Len(t, got, 1)
		assert.Equal(t, 1, got[0].Attempts)
		assert.Equal(t, 503, got[0].LastStatus)
	})

	t.Run("update drops the lease", func(t *testing.T) {
		s := openBolt(t)
		m := newMsg("q", t0)
		_, err := s.Enqueue(m, Key{})
		require.NoError(t, err)
		got, _, err := s.Lease("q", t0, 10, time.Hour)
		require.NoError(t, err)
		require.Len(t, got, 1)
		require.NoError(t, s.Update(got[0])) // due at once again
		got, _, err = s.Lease("q", t0, 10, time.Hour)
		require.NoError(t, err)
		assert.Len(t, got, 1, "an updated message is no longer leased")
	})

	t.Run("dead moves to the dead index", func(t *testing.T) {
		s := openBolt(t)
		m := newMsg("q", t0)
		_, err := s.Enqueue(m, Key{})
		require.NoError(t, err)
		m.State, m.DeadAt, m.Attempts, m.LastStatus = StateDead, t0.Add(time.Minute), 3, 400
		require.NoError(t, s.Update(m))

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
		st, err := s.Stats()
		require.NoError(t, err)
		assert.Equal(t, Stats{Dead: 1}, st["q"])
	})

	t.Run("deleted message is not resurrected", func(t *testing.T) {
		s := openBolt(t)
		m := newMsg("q", t0)
		_, err := s.Enqueue(m, Key{})
		require.NoError(t, err)
		require.NoError(t, s.Delete(m.ID))
		m.Attempts, m.NextAttempt = 1, t0.Add(time.Minute)
		require.ErrorIs(t, s.Update(m), ErrNotFound)
		_, err = s.Get(m.ID)
		assert.ErrorIs(t, err, ErrNotFound)
		assert.Zero(t, bucketLen(t, s, bucketDue))
		assert.Zero(t, bucketLen(t, s, bucketMessages))
	})
}

func TestBoltDeliveredReplayDelete(t *testing.T) {
	s := openBolt(t)
	k := key("evt")
	delivered, dead, queued := newMsg("q", t0), newMsg("q", t0), newMsg("q", t0)
	_, err := s.Enqueue(delivered, k)
	require.NoError(t, err)
	for _, m := range []*Message{dead, queued} {
		_, err := s.Enqueue(m, Key{})
		require.NoError(t, err)
	}

	// Delivered removes the message but keeps its dedupe record.
	require.NoError(t, s.Delivered(delivered.ID))
	_, err = s.Get(delivered.ID)
	assert.ErrorIs(t, err, ErrNotFound)
	h, err := s.Enqueue(newMsg("q", t0), k)
	assert.ErrorIs(t, err, ErrDuplicate, "a delivered webhook is still a duplicate")
	assert.Equal(t, delivered.ID, h)

	// Replay: dead → queued, attempts reset, due at the given time.
	dead.State, dead.DeadAt, dead.Attempts, dead.LastStatus = StateDead, t0, 5, 500
	require.NoError(t, s.Update(dead))
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
	queued.State, queued.DeadAt = StateDead, t0
	require.NoError(t, s.Update(queued))
	require.NoError(t, s.Delete(queued.ID))
	require.NoError(t, s.Delete(dead.ID))
	assert.ErrorIs(t, s.Delete(dead.ID), ErrNotFound)
	assert.Zero(t, bucketLen(t, s, bucketMessages))
	assert.Zero(t, bucketLen(t, s, bucketDue))
	assert.Zero(t, bucketLen(t, s, bucketDead))
	assert.Equal(t, 1, bucketLen(t, s, bucketKeys), "delete keeps dedupe records")
}

func TestBoltListAndStats(t *testing.T) {
	s := openBolt(t)
	var queuedA []*Message
	for i := range 4 {
		m := newMsg("a", t0.Add(time.Duration(3-i)*time.Second)) // enqueued newest first
		_, err := s.Enqueue(m, Key{})
		require.NoError(t, err)
		queuedA = append([]*Message{m}, queuedA...)
	}
	for range 2 {
		m := newMsg("b", t0)
		_, err := s.Enqueue(m, Key{})
		require.NoError(t, err)
		m.State, m.DeadAt = StateDead, t0
		require.NoError(t, s.Update(m))
	}
	_, err := s.Enqueue(newMsg("b", t0.Add(time.Hour)), Key{})
	require.NoError(t, err)
	_, _, err = s.Lease("a", t0.Add(time.Second), 10, time.Hour) // leases the two due first
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

	st, err := s.Stats()
	require.NoError(t, err)
	assert.Equal(t, map[string]Stats{
		"a": {Queued: 4, Leased: 2},
		"b": {Queued: 1, Dead: 2},
	}, st)

	s.now = func() time.Time { return t0.Add(2 * time.Hour) }
	st, err = s.Stats()
	require.NoError(t, err)
	assert.Zero(t, st["a"].Leased, "expired leases are not in flight")
}

func TestBoltPurge(t *testing.T) {
	s := openBolt(t)
	now := t0.Add(100 * time.Hour)
	cutoff := now.Add(-7 * 24 * time.Hour)

	// More expired records than one purge transaction takes.
	const expired = purgeChunk*2 + 17
	require.NoError(t, s.db.Update(func(tx *bolt.Tx) error {
		for i := range expired {
			claim(tx, Key{Scope: "s", Value: fmt.Sprint("old-", i), Expires: now.Add(-time.Duration(i+1) * time.Second)}, "x", t0)
		}
		return nil
	}))
	live := Key{Scope: "s", Value: "live", Expires: now.Add(time.Hour)}
	_, err := s.Claim(live, "holder")
	require.NoError(t, err)
	// A key that expired and was claimed again: its old expiry is gone, its
	// new one is in the future.
	reclaimed := Key{Scope: "s", Value: "re", Expires: t0.Add(time.Hour)}
	_, err = s.Claim(reclaimed, "first")
	require.NoError(t, err)
	s.now = func() time.Time { return t0.Add(2 * time.Hour) }
	reclaimed.Expires = now.Add(time.Hour)
	_, err = s.Claim(reclaimed, "second")
	require.NoError(t, err)

	dies := func(at time.Time) *Message {
		m := newMsg("q", at)
		_, err := s.Enqueue(m, Key{})
		require.NoError(t, err)
		m.State, m.DeadAt = StateDead, at
		require.NoError(t, s.Update(m))
		return m
	}
	oldDead, oldDead2 := dies(cutoff.Add(-time.Hour)), dies(cutoff.Add(-time.Nanosecond))
	recentDead := dies(cutoff.Add(time.Hour))
	oldQueued := newMsg("q", t0.Add(-365*24*time.Hour))
	_, err = s.Enqueue(oldQueued, Key{})
	require.NoError(t, err)

	n, err := s.Purge(now, cutoff)
	require.NoError(t, err)
	assert.Equal(t, expired+2, n)

	assert.Equal(t, 2, bucketLen(t, s, bucketKeys), "live and reclaimed keys stay")
	assert.Equal(t, 2, bucketLen(t, s, bucketExpiry))
	s.now = func() time.Time { return now }
	h, err := s.Claim(live, "other")
	assert.ErrorIs(t, err, ErrDuplicate)
	assert.Equal(t, "holder", h)
	h, err = s.Claim(reclaimed, "other")
	assert.ErrorIs(t, err, ErrDuplicate)
	assert.Equal(t, "second", h)

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

func TestBoltReopenKeepsEverything(t *testing.T) {
	path := filepath.Join(t.TempDir(), "sub", "dir", "queue.db") // directories are created
	s, err := OpenBolt(path, time.Second)
	require.NoError(t, err)
	s.now = func() time.Time { return t0 }
	queued, dead := newMsg("q", t0.Add(time.Minute)), newMsg("q", t0)
	queued.Body = []byte{0, 0xfe, 0xff}
	_, err = s.Enqueue(queued, key("k1"))
	require.NoError(t, err)
	_, err = s.Enqueue(dead, key("k2"))
	require.NoError(t, err)
	dead.State, dead.DeadAt, dead.Attempts = StateDead, t0, 4
	require.NoError(t, s.Update(dead))
	_, err = s.Claim(key("k3"), "verify-only")
	require.NoError(t, err)
	before, err := s.Stats()
	require.NoError(t, err)
	require.NoError(t, s.Close())

	_, err = s.Claim(key("after-close"), "x")
	assert.ErrorIs(t, err, ErrClosed)

	s, err = OpenBolt(path, time.Second)
	require.NoError(t, err)
	defer s.Close()
	s.now = func() time.Time { return t0 }
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
	for k, want := range map[string]string{"k1": queued.ID, "k2": dead.ID, "k3": "verify-only"} {
		h, err := s.Claim(key(k), "new")
		assert.ErrorIs(t, err, ErrDuplicate, k)
		assert.Equal(t, want, h, k)
	}
}

func TestBoltOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := OpenBolt(path, time.Second)
	require.NoError(t, err)
	defer s.Close()

	const timeout = 200 * time.Millisecond
	start := time.Now()
	_, err = OpenBolt(path, timeout)
	took := time.Since(start)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "locked")
	assert.GreaterOrEqual(t, took, timeout/2, "it waits for the lock")
	assert.Less(t, took, timeout+time.Second, "it gives up after the lock timeout")
}

// TestBoltCloseWithWriters closes the store while writers are still
// committing: each write either lands or fails with ErrClosed, and none hangs.
func TestBoltCloseWithWriters(t *testing.T) {
	for range 20 {
		s, err := OpenBolt(filepath.Join(t.TempDir(), "queue.db"), time.Second)
		require.NoError(t, err)
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
		case <-time.After(2 * time.Second):
			t.Fatal("a write hangs after Close")
		}
		close(errs)
		for err := range errs {
			assert.ErrorIs(t, err, ErrClosed)
		}
	}
}
