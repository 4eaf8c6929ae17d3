package queue

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The store suite: the behaviour every Store shares, run against the
// embedded (bolt_test.go) and the Redis (redis_test.go) stores.

// testStore is a Store the suite can look into.
type testStore interface {
	Store
	// setClock replaces the store's clock.
	setClock(now func() time.Time)
	// holder returns the id holding k ("" if none), expired or not.
	holder(t *testing.T, k Key) string
	// count counts the store's messages, due or dead index entries, or
	// dedupe records: what is one of "messages", "due", "dead", "keys".
	count(t *testing.T, what string) int
}

// backend makes a fresh, empty backing store and returns a function that
// opens it; each call opens the same data again (after a Close).
type backend func(t *testing.T) (open func() testStore)

// t0 is the tests' reference time.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// openFresh opens a fresh store whose clock reads t0, closed at the end of
// the test.
func openFresh(t *testing.T, b backend) testStore {
	t.Helper()
	s := b(t)()
	s.setClock(func() time.Time { return t0 })
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func runStoreSuite(t *testing.T, b backend) {
	for name, test := range map[string]func(*testing.T, backend){
		"EnqueueStoresMessageAndKey": suiteEnqueue,
		"Dedupe":                     suiteDedupe,
		"ClaimRelease":               suiteClaimRelease,
		"ClaimHold":                  suiteClaimHold,
		"ConcurrentEnqueue":          suiteConcurrentEnqueue,
		"Lease":                      suiteLease,
		"Update":                     suiteUpdate,
		"DeliveredReplayDelete":      suiteDeliveredReplayDelete,
		"ListAndStats":               suiteListAndStats,
		"StatsOldest":                suiteStatsOldest,
		"Purge":                      suitePurge,
		"ReopenKeepsEverything":      suiteReopen,
		"CloseWithWriters":           suiteCloseWithWriters,
		"OrderKey":                   suiteOrderKey,
		"OrderKeyLooksPastHeldBack":  suiteOrderKeyLooksPastHeldBack,
	} {
		t.Run(name, func(t *testing.T) { test(t, b) })
	}
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

func ids(msgs []*Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

func enqueue(t *testing.T, s Store, m *Message, k Key) {
	t.Helper()
	_, err := s.Enqueue(m, k)
	require.NoError(t, err)
}

// kill stores m as dead at at.
func kill(t *testing.T, s Store, m *Message, at time.Time) {
	t.Helper()
	m.State, m.DeadAt = StateDead, at
	require.NoError(t, s.Update(m))
}

func suiteEnqueue(t *testing.T, b backend) {
	s := openFresh(t, b)
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
	assert.Equal(t, m.ID, s.holder(t, k), "the dedupe record names the message")
	assert.Equal(t, 1, s.count(t, "keys"))
	assert.Equal(t, 1, s.count(t, "due"))
}

func suiteDedupe(t *testing.T, b backend) {
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
			s := openFresh(t, b)
			m1, m2 := newMsg("q", t0), newMsg("q", t0)

			id, err := s.Enqueue(m1, tc.first)
			require.NoError(t, err)
			require.Equal(t, m1.ID, id)

			now := t0.Add(tc.clock)
			s.setClock(func() time.Time { return now })
			id, err = s.Enqueue(m2, tc.second)

			stats, serr := s.Stats()
			require.NoError(t, serr)
			if tc.wantDuplicate {
				require.ErrorIs(t, err, ErrDuplicate)
				assert.Equal(t, m1.ID, id, "a duplicate names the holder")
				_, gerr := s.Get(m2.ID)
				assert.ErrorIs(t, gerr, ErrNotFound, "a duplicate stores nothing")
				assert.Equal(t, 1, stats["q"].Queued)
				assert.Equal(t, m1.ID, s.holder(t, tc.first), "the holder keeps its key")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, m2.ID, id)
			_, gerr := s.Get(m2.ID)
			assert.NoError(t, gerr)
			assert.Equal(t, 2, stats["q"].Queued)
			if tc.second.Empty() {
				assert.Zero(t, s.count(t, "keys"), "an empty key writes no dedupe record")
				return
			}
			assert.Equal(t, m2.ID, s.holder(t, tc.second))
			live := 2
			if tc.first.Scope == tc.second.Scope && tc.first.Value == tc.second.Value {
				live = 1
			}
			assert.Equal(t, live, s.count(t, "keys"))
		})
	}
}

func suiteClaimRelease(t *testing.T, b backend) {
	s := openFresh(t, b)
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
	assert.Zero(t, s.count(t, "keys"))

	got, err = s.Claim(k, "c")
	require.NoError(t, err, "a released key can be claimed again")
	assert.Equal(t, "c", got)

	// Releasing a key nobody holds, or an empty one, is harmless.
	require.NoError(t, s.Release(key("never"), "x"))
	require.NoError(t, s.Release(Key{}, "x"))
	got, err = s.Claim(Key{Scope: "route"}, "d")
	require.NoError(t, err)
	assert.Equal(t, "d", got)
	assert.Equal(t, 1, s.count(t, "keys"), "an empty key claims nothing")
	assert.Zero(t, s.count(t, "messages"), "claim stores no message")
}

// A hold is a short claim that its own id takes over for the whole window;
// to anyone else it is a duplicate that says it is a hold, until it lapses.
func suiteClaimHold(t *testing.T, b backend) {
	s := openFresh(t, b)
	now := t0
	s.setClock(func() time.Time { return now })
	hold := Key{Scope: "route", Value: "k", Expires: t0.Add(time.Minute)}
	_, err := s.Claim(hold, Hold("a"))
	require.NoError(t, err)

	got, err := s.Claim(key("k"), "b")
	require.ErrorIs(t, err, ErrDuplicate)
	id, held := HeldBy(got)
	assert.Equal(t, "a", id)
	assert.True(t, held, "another id sees a hold")

	_, err = s.Claim(key("k"), "a")
	require.NoError(t, err, "its own id takes the hold over")
	now = t0.Add(2 * time.Minute) // past the hold, within the claim
	got, err = s.Claim(key("k"), "b")
	require.ErrorIs(t, err, ErrDuplicate, "the takeover lasts the whole window")
	id, held = HeldBy(got)
	assert.Equal(t, "a", id)
	assert.False(t, held)

	// A hold nobody takes over lapses: the sender's retry gets the key.
	_, err = s.Claim(Key{Scope: "route", Value: "k2", Expires: now.Add(time.Minute)}, Hold("c"))
	require.NoError(t, err)
	now = now.Add(2 * time.Minute)
	got, err = s.Claim(Key{Scope: "route", Value: "k2", Expires: now.Add(time.Hour)}, "d")
	require.NoError(t, err)
	assert.Equal(t, "d", got)
}

// suiteConcurrentEnqueue has many writers at once, some racing for the same
// dedupe keys (it drives the embedded store's group commit).
func suiteConcurrentEnqueue(t *testing.T, b backend) {
	const (
		writers = 64
		each    = 50
		shared  = each / 5 // every 5th message of a writer uses a key all writers race for: 20%
	)
	s := openFresh(t, b)
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
					// Racers share a queue: stores may keep dedupe
					// records per queue (see Store.Enqueue).
					m.Queue, k = "shared", key(fmt.Sprintf("shared-%d", i/5))
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
		}
	}
	assert.Equal(t, wantWinners, stored)
	for _, what := range []string{"messages", "due", "keys"} {
		assert.Equal(t, wantWinners, s.count(t, what), what)
	}
	stats, err := s.Stats()
	require.NoError(t, err)
	total := 0
	for _, st := range stats {
		total += st.Queued
	}
	assert.Equal(t, wantWinners, total)
}
