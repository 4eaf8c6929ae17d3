package bolt

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/hookgate/hookgate/queue"
)

// filledBolt writes a database of n queued messages, big enough to span
// branch, leaf and overflow pages, and closes it.
func filledBolt(t *testing.T, n int) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "queue.db")
	s, err := Open(path, time.Second)
	require.NoError(t, err)
	for i := range n {
		m := newMsg("q", t0)
		m.ID = queue.NewID(t0)
		m.Body = fmt.Appendf(nil, `{"id":"evt_%d","pad":%q}`, i, strings.Repeat("x", 300+40*(i%200)))
		_, err := s.Enqueue(m, key(fmt.Sprint(i)))
		require.NoError(t, err)
	}
	require.NoError(t, s.Close())
	return path
}

// treeSize is how many bytes of the file at path its pages reach.
func treeSize(t *testing.T, path string) int64 {
	t.Helper()
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true})
	require.NoError(t, err)
	defer db.Close()
	var size int64
	require.NoError(t, db.View(func(tx *bbolt.Tx) error { size = tx.Size(); return nil }))
	return size
}

// TestOpenBoltRefusesADamagedFile damages a database file the ways a disk,
// a copy or an operator can, and expects Open to refuse it with an
// error that names the file — not a panic in a bbolt goroutine, a SIGBUS,
// or a silently emptied store.
func TestOpenBoltRefusesADamagedFile(t *testing.T) {
	const n = 300
	path := filledBolt(t, n)
	intact, err := os.ReadFile(path)
	require.NoError(t, err)
	page := int64(pageSize)
	need := treeSize(t, path)
	for _, tc := range []struct {
		name   string
		damage func(b []byte) []byte
	}{
		// Half of what the tree needs, not of the file: bbolt grows files
		// in steps, so a file can be twice its tree (random ids make the
		// tree straddle a step now and then).
		{"truncated to half", func(b []byte) []byte { return b[:need/2] }},
		{"truncated to one page", func(b []byte) []byte { return b[:page] }},
		{"emptied", func(b []byte) []byte { return nil }},
		{"both meta pages zeroed", func(b []byte) []byte { clear(b[:2*page]); return b }},
		{"tree pages overwritten", func(b []byte) []byte {
			for i := 4 * page; i < int64(len(b)); i++ {
				b[i] = byte(i * 7)
			}
			return b
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "queue.db")
			require.NoError(t, os.WriteFile(p, tc.damage(append([]byte(nil), intact...)), 0o600))
			s, err := Open(p, time.Second)
			if s != nil {
				s.Close()
			}
			require.ErrorIs(t, err, ErrCorrupt)
			assert.Contains(t, err.Error(), p, "the error names the file")
			fi, _ := os.Stat(p)
			assert.Equal(t, int64(len(tc.damage(append([]byte(nil), intact...)))), fi.Size(), "the file is left as it was")
		})
	}

	t.Run("intact", func(t *testing.T) {
		s, err := Open(path, time.Second)
		require.NoError(t, err)
		defer s.Close()
		msgs, _, err := s.Lease("q", t0.Add(time.Hour), 2*n, time.Minute)
		require.NoError(t, err)
		assert.Len(t, msgs, n)
	})
}
