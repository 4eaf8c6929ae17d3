package bolt

import (
	"encoding/binary"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/queue/storetest"
)

// The fixtures of the store suite.
var (
	t0     = storetest.T0
	newMsg = storetest.NewMessage
	key    = storetest.DedupeKey
	ids    = storetest.IDs
)

// TestBoltStore runs the store suite against the embedded store.
func TestBoltStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) func() storetest.Store {
		path := filepath.Join(t.TempDir(), "queue.db")
		return func() storetest.Store {
			s, err := Open(path, time.Second)
			require.NoError(t, err)
			return suiteStore{s}
		}
	})
}

func TestBoltEndpoints(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := Open(path, time.Second)
	require.NoError(t, err)
	storetest.RunEndpoints(t, s)
	require.NoError(t, s.Close())
	// Durable: the remaining endpoint is there after a reopen.
	s, err = Open(path, time.Second)
	require.NoError(t, err)
	defer s.Close()
	list, err := s.ListEndpoints()
	require.NoError(t, err)
	assert.Len(t, list, 1)
}

// openBolt opens a fresh store in a temporary directory, closed at the end
// of the test. Its clock reads t0.
func openBolt(t *testing.T) *Store {
	t.Helper()
	s, err := Open(filepath.Join(t.TempDir(), "queue.db"), time.Second)
	require.NoError(t, err)
	s.now = func() time.Time { return t0 }
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// suiteStore gives the store suite its hooks into a Store.
type suiteStore struct{ *Store }

func (s suiteStore) SetClock(now func() time.Time) { s.now = now }

func (s suiteStore) Holder(t *testing.T, k queue.Key) string {
	t.Helper()
	var id string
	require.NoError(t, s.db.View(func(tx *bbolt.Tx) error {
		if v := tx.Bucket(bucketKeys).Get(keyOf(k)); len(v) >= nanosLen {
			id = string(v[nanosLen:])
		}
		return nil
	}))
	return id
}

func (s suiteStore) Count(t *testing.T, what storetest.Record) int {
	t.Helper()
	if what == storetest.BodyBytes {
		return bodyBytes(t, s.Store)
	}
	b := map[storetest.Record][]byte{
		storetest.Messages: bucketMessages, storetest.Due: bucketDue, storetest.Dead: bucketDead, storetest.Keys: bucketKeys,
		storetest.Bodies: bucketBodies,
	}[what]
	require.NotNil(t, b, what)
	return bucketLen(t, s.Store, b)
}

// bodyBytes sums the bodies of the messages of their own and the shared
// bodies of the groups.
func bodyBytes(t *testing.T, s *Store) int {
	t.Helper()
	n := 0
	require.NoError(t, s.db.View(func(tx *bbolt.Tx) error {
		err := tx.Bucket(bucketMessages).ForEach(func(_, rec []byte) error {
			m, err := queue.DecodeRecord(rec)
			if err == nil {
				n += len(m.Body)
			}
			return err
		})
		_ = tx.Bucket(bucketBodies).ForEach(func(_, body []byte) error { n += len(body); return nil })
		return err
	}))
	return n
}

// bucketLen counts the records of one of the store's buckets.
func bucketLen(t *testing.T, s *Store, name []byte) int {
	t.Helper()
	n := 0
	require.NoError(t, s.db.View(func(tx *bbolt.Tx) error {
		n = tx.Bucket(name).Stats().KeyN
		return nil
	}))
	return n
}

// TestBoltExpiryIndex: every dedupe record has exactly one expiry entry,
// also after a key was reclaimed or released.
func TestBoltExpiryIndex(t *testing.T) {
	s := openBolt(t)
	_, err := s.Enqueue(newMsg("q", t0), key("a"))
	require.NoError(t, err)
	_, err = s.Claim(queue.Key{Scope: "route", Value: "old", Expires: t0.Add(-time.Second)}, "x")
	require.NoError(t, err)
	_, err = s.Claim(key("old"), "y") // reclaims an expired record
	require.NoError(t, err)
	assert.Equal(t, 2, bucketLen(t, s, bucketKeys))
	assert.Equal(t, 2, bucketLen(t, s, bucketExpiry), "a reclaimed key leaves no stale expiry entry")
	require.NoError(t, s.Release(key("old"), "y"))
	assert.Equal(t, 1, bucketLen(t, s, bucketExpiry), "release drops the expiry entry too")
}

// TestBoltPurgeExpired: expired dedupe records go in chunks of purgeChunk
// (more than one transaction's worth here), a key claimed again after it
// expired keeps its new expiry. The dead-letter side of Purge is the store
// suite's (suitePurge).
func TestBoltPurgeExpired(t *testing.T) {
	s := openBolt(t)
	now := t0.Add(100 * time.Hour)
	cutoff := now.Add(-7 * 24 * time.Hour)

	// More expired records than one purge transaction takes.
	const expired = purgeChunk*2 + 17
	require.NoError(t, s.db.Update(func(tx *bbolt.Tx) error {
		for i := range expired {
			claim(tx, queue.Key{Scope: "s", Value: fmt.Sprint("old-", i), Expires: now.Add(-time.Duration(i+1) * time.Second)}, "x", t0)
		}
		return nil
	}))
	live := queue.Key{Scope: "s", Value: "live", Expires: now.Add(time.Hour)}
	_, err := s.Claim(live, "holder")
	require.NoError(t, err)
	// A key that expired and was claimed again: its old expiry is gone, its
	// new one is in the future.
	reclaimed := queue.Key{Scope: "s", Value: "re", Expires: t0.Add(time.Hour)}
	_, err = s.Claim(reclaimed, "first")
	require.NoError(t, err)
	s.now = func() time.Time { return t0.Add(2 * time.Hour) }
	reclaimed.Expires = now.Add(time.Hour)
	_, err = s.Claim(reclaimed, "second")
	require.NoError(t, err)

	n, err := s.Purge(now, cutoff)
	require.NoError(t, err)
	assert.Equal(t, expired, n)

	assert.Equal(t, 2, bucketLen(t, s, bucketKeys), "live and reclaimed keys stay")
	assert.Equal(t, 2, bucketLen(t, s, bucketExpiry))
	s.now = func() time.Time { return now }
	h, err := s.Claim(live, "other")
	assert.ErrorIs(t, err, queue.ErrDuplicate)
	assert.Equal(t, "holder", h)
	h, err = s.Claim(reclaimed, "other")
	assert.ErrorIs(t, err, queue.ErrDuplicate)
	assert.Equal(t, "second", h)

	n, err = s.Purge(now, cutoff)
	require.NoError(t, err)
	assert.Zero(t, n, "nothing left to purge")
}

func TestBoltOpenLocked(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := Open(path, time.Second)
	require.NoError(t, err)
	defer s.Close()

	const timeout = 200 * time.Millisecond
	start := time.Now()
	_, err = Open(path, timeout)
	took := time.Since(start)
	require.Error(t, err)
	assert.Contains(t, err.Error(), path)
	assert.Contains(t, err.Error(), "locked")
	assert.GreaterOrEqual(t, took, timeout/2, "it waits for the lock")
	assert.Less(t, took, timeout+time.Second, "it gives up after the lock timeout")
}

// TestBoltGroupCommit: writers that arrive while a commit is on the disk
// share the next one. The first commit is held for a while so that the
// others queue up behind it, as they do behind a slow fsync.
func TestBoltGroupCommit(t *testing.T) {
	const writers = 64
	s := openBolt(t)
	var (
		mu      sync.Mutex
		commits []int
	)
	s.committed = func(n int) {
		mu.Lock()
		first := len(commits) == 0
		commits = append(commits, n)
		mu.Unlock()
		if first {
			time.Sleep(100 * time.Millisecond)
		}
	}
	var wg sync.WaitGroup
	for i := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			m := newMsg("q", t0)
			_, err := s.Enqueue(m, key(fmt.Sprint("k", i)))
			assert.NoError(t, err)
		}()
	}
	wg.Wait()
	mu.Lock()
	defer mu.Unlock()
	total := 0
	for _, n := range commits {
		total += n
	}
	assert.Equal(t, writers, total, "every write committed once")
	assert.LessOrEqual(t, len(commits), 4, "writers share commits: %v", commits)
	assert.Equal(t, writers, bucketLen(t, s, bucketMessages))
}

// legacyRecord is how records were written before the format byte: a
// 4-byte length, the JSON header, the body.
func legacyRecord(t *testing.T, m *queue.Message) []byte {
	meta, err := json.Marshal(m)
	require.NoError(t, err)
	rec := binary.BigEndian.AppendUint32(nil, uint32(len(meta)))
	return append(append(rec, meta...), m.Body...)
}

// TestIndexEntriesWithoutDecoding: the index entries of a record, read
// from its header alone, are those of the whole message, for records of
// either format.
func TestIndexEntriesWithoutDecoding(t *testing.T) {
	queued := newMsg("q", t0)
	queued.OrderKey, queued.State = "cust_1", queue.StateQueued
	dead := newMsg("q", t0)
	dead.State, dead.DeadAt, dead.NextAttempt = queue.StateDead, t0.Add(time.Hour), time.Time{}
	for _, m := range []*queue.Message{queued, dead} {
		rec := queue.EncodeRecord(m)
		wantBucket, wantKey := indexKey(m)
		for name, r := range map[string][]byte{"format 1": rec, "legacy": legacyRecord(t, m)} {
			b, k, order, err := indexEntries(r)
			require.NoError(t, err, name)
			assert.Equal(t, wantBucket, b, "%s %s", name, m.State)
			assert.Equal(t, wantKey, k, "%s %s", name, m.State)
			assert.Equal(t, orderKey(m), order, "%s %s", name, m.State)
		}
	}
	_, _, _, err := indexEntries([]byte{1, 0xff, 0xff, 0xff, 0xff, 0x0f})
	assert.Error(t, err, "a header length past the end")
}
