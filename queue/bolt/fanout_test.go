package bolt

import (
	"bytes"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/queue/storetest"
)

// rawRecord is the stored record of message id.
func rawRecord(t *testing.T, s *Store, id string) []byte {
	t.Helper()
	var rec []byte
	require.NoError(t, s.db.View(func(tx *bbolt.Tx) error {
		rec = bytes.Clone(tx.Bucket(bucketMessages).Get([]byte(id)))
		return nil
	}))
	return rec
}

// TestBoltFanoutRecords: a single message is written in format 1, byte for
// byte what Enqueue writes (older binaries read it); the deliveries of a
// group in format 2, without the body, which is stored once beside them.
func TestBoltFanoutRecords(t *testing.T) {
	s := openBolt(t)
	one := newMsg("q", t0)
	_, err := s.EnqueueAll([]*queue.Message{one}, key("one"))
	require.NoError(t, err)
	want := *one
	assert.Equal(t, queue.EncodeRecord(&want), rawRecord(t, s, one.ID))
	assert.Equal(t, byte(1), rawRecord(t, s, one.ID)[0])

	body := bytes.Repeat([]byte("b"), 4096)
	ms := storetest.Fanout(body, storetest.FanoutQueues...)
	_, err = s.EnqueueAll(ms, key("fan"))
	require.NoError(t, err)
	for _, m := range ms {
		rec := rawRecord(t, s, m.ID)
		assert.Equal(t, byte(2), rec[0])
		assert.Less(t, len(rec), 400, "no body in a delivery's record")
	}
	assert.Equal(t, 1, bucketLen(t, s, bucketBodies))
	assert.Equal(t, 1, bucketLen(t, s, bucketGroups))
}

// TestBoltFanoutOneCommit: a group is one op of the committer, whatever
// its size, and shares its fsync with concurrent writers.
func TestBoltFanoutOneCommit(t *testing.T) {
	s := openBolt(t)
	var ops atomic.Int64
	s.committed = func(n int) { ops.Add(int64(n)) }
	_, err := s.EnqueueAll(storetest.Fanout([]byte("x"), storetest.FanoutQueues...), key("k"))
	require.NoError(t, err)
	assert.Equal(t, int64(1), ops.Load())
}

// TestBoltFanoutFileSize compares the pages in use for 500 webhooks of
// 4 KiB fanned out to three queues with three messages of their own each.
func TestBoltFanoutFileSize(t *testing.T) {
	if testing.Short() {
		t.Skip("writes two files of a few MiB")
	}
	body := bytes.Repeat([]byte("0123456789abcdef"), 256)
	size := func(fanout bool) int64 {
		dir := t.TempDir()
		s, err := Open(filepath.Join(dir, "queue.db"), time.Second)
		require.NoError(t, err)
		for range 500 {
			ms := storetest.Fanout(body, storetest.FanoutQueues...)
			if fanout {
				_, err = s.EnqueueAll(ms, queue.Key{})
				require.NoError(t, err)
				continue
			}
			for _, m := range ms {
				_, err = s.Enqueue(m, queue.Key{})
				require.NoError(t, err)
			}
		}
		var used int64
		require.NoError(t, s.db.View(func(tx *bbolt.Tx) error {
			st := s.db.Stats()
			used = tx.Size() - int64(st.FreePageN+st.PendingPageN)*int64(s.db.Info().PageSize)
			return nil
		}))
		require.NoError(t, s.Close())
		return used
	}
	fan, apart := size(true), size(false)
	t.Logf("500 webhooks × 4 KiB × 3 queues: %d KiB of pages in use fanned out, %d KiB as three messages each", fan>>10, apart>>10)
	assert.Less(t, float64(fan), 0.45*float64(apart))
}
