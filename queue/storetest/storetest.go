// Package storetest is the contract suite of queue.Store and
// queue.EndpointStore: the behaviour every backend shares. A backend's tests
// run it with Run (and RunEndpoints) against a fresh backing store of their
// own, through the small Hooks interface it needs to look into the store.
package storetest

import (
	"errors"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/queue"
)

// Hooks let the suite set a store's clock and look at its records. A
// backend's tests implement them over the store's internals.
type Hooks interface {
	// SetClock replaces the store's clock.
	SetClock(now func() time.Time)
	// Holder returns the id holding k ("" if none), expired or not.
	Holder(t *testing.T, k queue.Key) string
	// Count counts the store's records of one kind.
	Count(t *testing.T, what Record) int
}

// Record is a kind of record that Hooks.Count counts.
type Record string

// The records Hooks.Count counts.
const (
	Messages Record = "messages" // messages stored, queued or dead
	Due      Record = "due"      // entries of the due index (queued messages)
	Dead     Record = "dead"     // entries of the dead index
	Keys     Record = "keys"     // dedupe records, claims included
	// Bodies counts the shared bodies of fan-out groups (EnqueueAll).
	Bodies Record = "bodies"
	// BodyBytes sums the bytes of the bodies stored: those of messages of
	// their own and the shared ones of fan-out groups.
	BodyBytes Record = "body bytes"
)

// Store is a store under test.
type Store interface {
	queue.Store
	Hooks
}

// Backend makes a fresh, empty backing store (a file, a key prefix) and
// returns a function that opens it; each call opens the same data again
// (after a Close).
type Backend func(t *testing.T) (open func() Store)

// T0 is the suite's reference time.
var T0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

// openFresh opens a fresh store whose clock reads T0, closed at the end of
// the test.
func openFresh(t *testing.T, b Backend) Store {
	t.Helper()
	s := b(t)()
	s.SetClock(func() time.Time { return T0 })
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// Run runs the store suite against the stores of b.
func Run(t *testing.T, b Backend) {
	for name, test := range map[string]func(*testing.T, Backend){
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
		"FanoutEnqueueAll":           suiteFanout,
		"FanoutDuplicate":            suiteFanoutDuplicate,
		"FanoutDeliveriesApart":      suiteFanoutApart,
		"FanoutBodyGoesWithLast":     suiteFanoutBodyGoes,
		"FanoutOne":                  suiteFanoutOne,
		"FanoutBadGroup":             suiteFanoutBadGroup,
		"FanoutReopen":               suiteFanoutReopen,
		"FanoutBodyStoredOnce":       suiteFanoutSize,
		"KeepDelivered":              suiteKeepDelivered,
		"KeepDeliveredFanout":        suiteKeepFanout,
		"History":                    suiteHistory,
	} {
		t.Run(name, func(t *testing.T) { test(t, b) })
	}
}

// NewMessage returns a message of queue q due at due.
func NewMessage(q string, due time.Time) *queue.Message {
	return &queue.Message{
		ID: queue.NewID(due), Queue: q, Method: http.MethodPost, URL: "http://upstream.test/hook",
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"id":"evt_1"}`),
		ReceivedAt: due, NextAttempt: due,
	}
}

// DedupeKey is a dedupe key of scope "route", held for an hour after T0.
func DedupeKey(value string) queue.Key {
	return queue.Key{Scope: "route", Value: value, Expires: T0.Add(time.Hour)}
}

// IDs are the ids of msgs.
func IDs(msgs []*queue.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// Enqueue stores m under k, or fails the test.
func Enqueue(t *testing.T, s queue.Store, m *queue.Message, k queue.Key) {
	t.Helper()
	_, err := s.Enqueue(m, k)
	require.NoError(t, err)
}

// Kill stores m as dead at at.
func Kill(t *testing.T, s queue.Store, m *queue.Message, at time.Time) {
	t.Helper()
	m.State, m.DeadAt = queue.StateDead, at
	require.NoError(t, s.Update(m))
}

func suiteEnqueue(t *testing.T, b Backend) {
	s := openFresh(t, b)
	m := NewMessage("q", T0)
	m.Body = []byte{0, 1, 2, 0xff, '\n'}
	k := DedupeKey("evt_1")

	id, err := s.Enqueue(m, k)
	require.NoError(t, err)
	assert.Equal(t, m.ID, id)
	assert.Equal(t, queue.StateQueued, m.State)

	got, err := s.Get(m.ID)
	require.NoError(t, err)
	assert.Equal(t, m.Body, got.Body)
	assert.Equal(t, m.Header, got.Header)
	assert.Equal(t, queue.StateQueued, got.State)
	assert.Equal(t, m.ID, s.Holder(t, k), "the dedupe record names the message")
	assert.Equal(t, 1, s.Count(t, Keys))
	assert.Equal(t, 1, s.Count(t, Due))
}

func suiteDedupe(t *testing.T, b Backend) {
	for _, tc := range []struct {
		name          string
		first, second queue.Key
		clock         time.Duration // moves the store's clock before the second enqueue
		wantDuplicate bool
	}{
		{name: "same key held", first: DedupeKey("a"), second: DedupeKey("a"), wantDuplicate: true},
		{name: "held until the last nanosecond", first: DedupeKey("a"), second: DedupeKey("a"), clock: time.Hour - 1, wantDuplicate: true},
		{name: "other value", first: DedupeKey("a"), second: DedupeKey("b")},
		{name: "other scope", first: DedupeKey("a"), second: queue.Key{Scope: "other", Value: "a", Expires: T0.Add(time.Hour)}},
		{name: "scope and value do not run together", first: queue.Key{Scope: "ab", Value: "c", Expires: T0.Add(time.Hour)}, second: queue.Key{Scope: "a", Value: "bc", Expires: T0.Add(time.Hour)}},
		{name: "expired in the past", first: queue.Key{Scope: "route", Value: "a", Expires: T0.Add(-time.Second)}, second: DedupeKey("a")},
		{name: "expires now", first: queue.Key{Scope: "route", Value: "a", Expires: T0}, second: DedupeKey("a")},
		{name: "clock moved past expiry", first: DedupeKey("a"), second: queue.Key{Scope: "route", Value: "a", Expires: T0.Add(3 * time.Hour)}, clock: time.Hour},
		{name: "empty keys claim nothing", first: queue.Key{Scope: "route"}, second: queue.Key{Scope: "route"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := openFresh(t, b)
			m1, m2 := NewMessage("q", T0), NewMessage("q", T0)

			id, err := s.Enqueue(m1, tc.first)
			require.NoError(t, err)
			require.Equal(t, m1.ID, id)

			now := T0.Add(tc.clock)
			s.SetClock(func() time.Time { return now })
			id, err = s.Enqueue(m2, tc.second)

			stats, serr := s.Stats()
			require.NoError(t, serr)
			if tc.wantDuplicate {
				require.ErrorIs(t, err, queue.ErrDuplicate)
				assert.Equal(t, m1.ID, id, "a duplicate names the holder")
				_, gerr := s.Get(m2.ID)
				assert.ErrorIs(t, gerr, queue.ErrNotFound, "a duplicate stores nothing")
				assert.Equal(t, 1, stats["q"].Queued)
				assert.Equal(t, m1.ID, s.Holder(t, tc.first), "the holder keeps its key")
				return
			}
			require.NoError(t, err)
			assert.Equal(t, m2.ID, id)
			_, gerr := s.Get(m2.ID)
			assert.NoError(t, gerr)
			assert.Equal(t, 2, stats["q"].Queued)
			if tc.second.Empty() {
				assert.Zero(t, s.Count(t, Keys), "an empty key writes no dedupe record")
				return
			}
			assert.Equal(t, m2.ID, s.Holder(t, tc.second))
			live := 2
			if tc.first.Scope == tc.second.Scope && tc.first.Value == tc.second.Value {
				live = 1
			}
			assert.Equal(t, live, s.Count(t, Keys))
		})
	}
}

func suiteClaimRelease(t *testing.T, b Backend) {
	s := openFresh(t, b)
	k := DedupeKey("k")

	got, err := s.Claim(k, "a")
	require.NoError(t, err)
	assert.Equal(t, "a", got)

	got, err = s.Claim(k, "b")
	require.ErrorIs(t, err, queue.ErrDuplicate)
	assert.Equal(t, "a", got)

	// Only the holder releases.
	require.NoError(t, s.Release(k, "b"))
	got, err = s.Claim(k, "c")
	require.ErrorIs(t, err, queue.ErrDuplicate, "a release by a non-holder must not drop the key")
	assert.Equal(t, "a", got)

	require.NoError(t, s.Release(k, "a"))
	assert.Zero(t, s.Count(t, Keys))

	got, err = s.Claim(k, "c")
	require.NoError(t, err, "a released key can be claimed again")
	assert.Equal(t, "c", got)

	// Releasing a key nobody holds, or an empty one, is harmless.
	require.NoError(t, s.Release(DedupeKey("never"), "x"))
	require.NoError(t, s.Release(queue.Key{}, "x"))
	got, err = s.Claim(queue.Key{Scope: "route"}, "d")
	require.NoError(t, err)
	assert.Equal(t, "d", got)
	assert.Equal(t, 1, s.Count(t, Keys), "an empty key claims nothing")
	assert.Zero(t, s.Count(t, Messages), "claim stores no message")
}

// A hold is a short claim that its own id takes over for the whole window;
// to anyone else it is a duplicate that says it is a hold, until it lapses.
func suiteClaimHold(t *testing.T, b Backend) {
	s := openFresh(t, b)
	now := T0
	s.SetClock(func() time.Time { return now })
	hold := queue.Key{Scope: "route", Value: "k", Expires: T0.Add(time.Minute)}
	_, err := s.Claim(hold, queue.Hold("a"))
	require.NoError(t, err)

	got, err := s.Claim(DedupeKey("k"), "b")
	require.ErrorIs(t, err, queue.ErrDuplicate)
	id, held := queue.HeldBy(got)
	assert.Equal(t, "a", id)
	assert.True(t, held, "another id sees a hold")

	_, err = s.Claim(DedupeKey("k"), "a")
	require.NoError(t, err, "its own id takes the hold over")
	now = T0.Add(2 * time.Minute) // past the hold, within the claim
	got, err = s.Claim(DedupeKey("k"), "b")
	require.ErrorIs(t, err, queue.ErrDuplicate, "the takeover lasts the whole window")
	id, held = queue.HeldBy(got)
	assert.Equal(t, "a", id)
	assert.False(t, held)

	// Confirm takes a hold over as Claim does; the claims after it see it.
	_, err = s.Claim(queue.Key{Scope: "route", Value: "k3", Expires: now.Add(time.Minute)}, queue.Hold("e"))
	require.NoError(t, err)
	require.NoError(t, s.Confirm(queue.Key{Scope: "route", Value: "k3", Expires: now.Add(time.Hour)}, "e"))
	got, err = s.Claim(queue.Key{Scope: "route", Value: "k3", Expires: now.Add(time.Hour)}, "f")
	require.ErrorIs(t, err, queue.ErrDuplicate)
	id, held = queue.HeldBy(got)
	assert.Equal(t, "e", id)
	assert.False(t, held, "confirmed: no longer a hold")

	// A hold nobody takes over lapses: the sender's retry gets the key.
	_, err = s.Claim(queue.Key{Scope: "route", Value: "k2", Expires: now.Add(time.Minute)}, queue.Hold("c"))
	require.NoError(t, err)
	now = now.Add(2 * time.Minute)
	got, err = s.Claim(queue.Key{Scope: "route", Value: "k2", Expires: now.Add(time.Hour)}, "d")
	require.NoError(t, err)
	assert.Equal(t, "d", got)
}

// suiteConcurrentEnqueue has many writers at once, some racing for the same
// dedupe keys (it drives the embedded store's group commit).
func suiteConcurrentEnqueue(t *testing.T, b Backend) {
	const (
		writers = 64
		each    = 50
		shared  = each / 5 // every 5th message of a writer uses a key all writers race for: 20%
	)
	s := openFresh(t, b)
	type outcome struct {
		msg    *queue.Message
		key    queue.Key
		holder string
		err    error
	}
	results := make([][]outcome, writers)
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range each {
				m := NewMessage(fmt.Sprintf("q%d", w%4), T0)
				m.Body = fmt.Appendf(nil, `{"w":%d,"i":%d}`, w, i)
				k := DedupeKey(fmt.Sprintf("w%d-i%d", w, i))
				if i%5 == 0 {
					// Racers share a queue: stores may keep dedupe
					// records per queue (see queue.Store.Enqueue).
					m.Queue, k = "shared", DedupeKey(fmt.Sprintf("shared-%d", i/5))
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
			case errors.Is(r.err, queue.ErrDuplicate):
				_, err := s.Get(r.msg.ID)
				require.ErrorIs(t, err, queue.ErrNotFound, "a loser must not be stored")
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
	for _, what := range []Record{Messages, Due, Keys} {
		assert.Equal(t, wantWinners, s.Count(t, what), string(what))
	}
	stats, err := s.Stats()
	require.NoError(t, err)
	total := 0
	for _, st := range stats {
		total += st.Queued
	}
	assert.Equal(t, wantWinners, total)
}

// RunEndpoints runs the endpoint store suite against s, which holds no
// endpoint yet.
func RunEndpoints(t *testing.T, s queue.EndpointStore) {
	list, err := s.ListEndpoints()
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = s.GetEndpoint("crm")
	assert.ErrorIs(t, err, queue.ErrEndpointNotFound)

	crm := &queue.Endpoint{ID: "crm", Route: "emit", URL: "https://crm.example.com/", Events: []string{"a.*"}, Secrets: []string{"whsec_x"}, CreatedAt: T0}
	require.NoError(t, s.PutEndpoint(crm))
	require.NoError(t, s.PutEndpoint(&queue.Endpoint{ID: "billing", Route: "emit", Config: true, Disabled: true, DisabledReason: "gone"}))
	got, err := s.GetEndpoint("crm")
	require.NoError(t, err)
	assert.Equal(t, crm.URL, got.URL)
	assert.Equal(t, crm.Secrets, got.Secrets)
	assert.True(t, got.CreatedAt.Equal(T0))

	crm.Disabled = true
	require.NoError(t, s.PutEndpoint(crm))
	list, err = s.ListEndpoints()
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "billing", list[0].ID)
	assert.True(t, list[1].Disabled)

	require.NoError(t, s.DeleteEndpoint("crm"))
	assert.ErrorIs(t, s.DeleteEndpoint("crm"), queue.ErrEndpointNotFound)
	_, err = s.GetEndpoint("crm")
	assert.ErrorIs(t, err, queue.ErrEndpointNotFound)
}
