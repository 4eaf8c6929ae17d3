package bolt

import (
	"bytes"
	"math/rand/v2"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/hookgate/hookgate/queue"
)

// scanStats is what Stats answered before counts were kept on write: a
// scan of both indexes (leases aside).
func scanStats(t *testing.T, s *Store) map[string]queue.Stats {
	out := map[string]queue.Stats{}
	require.NoError(t, s.db.View(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketDue, bucketDead} {
			_ = tx.Bucket(b).ForEach(func(k, _ []byte) error {
				q, _, id := splitIndexKey(k)
				st := out[string(q)]
				if bytes.Equal(b, bucketDead) {
					st.Dead++
				} else if st.Queued++; st.Oldest.IsZero() || queue.IDTime(string(id)).Before(st.Oldest) {
					st.Oldest = queue.IDTime(string(id))
				}
				out[string(q)] = st
				return nil
			})
		}
		return nil
	}))
	return out
}

// TestBoltCountsMatchTheIndexes: after every kind of write, in any order,
// and after a reopen, the counts kept on write are what a scan finds.
func TestBoltCountsMatchTheIndexes(t *testing.T) {
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := Open(path, time.Second)
	require.NoError(t, err)
	rng := rand.New(rand.NewPCG(1, 2))
	var ids []string
	now := time.Now()
	for i := range 600 {
		q := []string{"a", "b", "c"}[rng.IntN(3)]
		switch op := rng.IntN(6); {
		case op <= 1 || len(ids) == 0:
			m := newMsg(q, now.Add(time.Duration(rng.IntN(1000))*time.Millisecond))
			_, err := s.Enqueue(m, queue.Key{})
			require.NoError(t, err)
			ids = append(ids, m.ID)
		default:
			id := ids[rng.IntN(len(ids))]
			m, err := s.Get(id)
			if err == queue.ErrNotFound {
				continue
			}
			require.NoError(t, err)
			switch op {
			case 2:
				require.NoError(t, s.Delivered(id))
			case 3:
				m.State, m.DeadAt = queue.StateDead, now
				require.NoError(t, s.Update(m))
			case 4:
				_, err = s.Replay(id, now)
				require.NoError(t, err)
			case 5:
				m.NextAttempt = now.Add(time.Duration(i) * time.Second)
				require.NoError(t, s.Update(m))
			}
		}
		if i%50 == 0 {
			assertStats(t, s)
		}
	}
	assertStats(t, s)
	require.NoError(t, s.Close())
	s, err = Open(path, time.Second)
	require.NoError(t, err)
	defer s.Close()
	assertStats(t, s)
}

func assertStats(t *testing.T, s *Store) {
	t.Helper()
	got, err := s.Stats()
	require.NoError(t, err)
	want := scanStats(t, s)
	for q, st := range got {
		st.Leased = 0
		got[q] = st
	}
	assert.Equal(t, want, got)
}
