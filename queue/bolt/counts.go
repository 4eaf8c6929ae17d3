package bolt

import (
	"bytes"
	"sync"

	bbolt "go.etcd.io/bbolt"

	"github.com/hookgate/hookgate/queue"
)

// counts are one queue's figures, kept on write so that Stats (each
// scrape, each dashboard poll) reads memory instead of scanning indexes.
type counts struct {
	queued, dead, kept int
	// oldest is the smallest (oldest) id in the due index, "" when unknown:
	// an insert can only lower it; removing it leaves it unknown until
	// Stats next looks (gen tells that look whether a write raced it).
	oldest string
	gen    uint64
}

// indexChange is one write to the due or dead index, noted by the
// committer while its transaction runs and counted once it commits.
type indexChange struct {
	dead, kept, add bool
	queue, id       string
}

// tally holds the counts of every queue and the changes of the transaction
// in progress. pending is touched by the committer goroutine only.
type tally struct {
	pending []indexChange

	mu     sync.Mutex
	queues map[string]*counts
}

// note records an index write of the running transaction; key is an index
// key (queue 0 nanos id).
func (t *tally) note(bucket, key []byte, add bool) {
	q, _, id := splitIndexKey(key)
	t.pending = append(t.pending, indexChange{
		dead: bytes.Equal(bucket, bucketDead), kept: bytes.Equal(bucket, bucketKept), add: add, queue: string(q), id: string(id),
	})
}

// begin starts a transaction's notes; settle counts them if it committed.
func (t *tally) begin() { t.pending = t.pending[:0] }

func (t *tally) settle(committed bool) {
	if !committed || len(t.pending) == 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	for _, ch := range t.pending {
		t.apply(ch)
	}
}

func (t *tally) apply(ch indexChange) {
	c := t.queues[ch.queue]
	if c == nil {
		c = &counts{}
		t.queues[ch.queue] = c
	}
	n := 1
	if !ch.add {
		n = -1
	}
	if ch.dead {
		c.dead += n
		return
	}
	if ch.kept {
		c.kept += n
		return
	}
	c.queued += n
	c.gen++
	switch {
	case c.queued == 0:
		c.oldest = ""
	case ch.add && c.oldest != "" && ch.id < c.oldest:
		c.oldest = ch.id
	case !ch.add && ch.id == c.oldest:
		c.oldest = "" // unknown until Stats looks
	}
}

// load counts the indexes of a newly opened file, once.
func (t *tally) load(tx *bbolt.Tx) {
	t.queues = map[string]*counts{}
	for _, b := range [][]byte{bucketDue, bucketDead, bucketKept} {
		_ = tx.Bucket(b).ForEach(func(k, _ []byte) error {
			t.note(b, k, true)
			return nil
		})
	}
	t.settle(true)
	t.begin()
}

// snapshot copies the counts, with the queues whose oldest message is
// unknown and the generation it was read at.
func (t *tally) snapshot() (map[string]counts, map[string]uint64) {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make(map[string]counts, len(t.queues))
	unknown := map[string]uint64{}
	for q, c := range t.queues {
		if c.queued == 0 && c.dead == 0 && c.kept == 0 {
			delete(t.queues, q)
			continue
		}
		out[q] = *c
		if c.queued > 0 && c.oldest == "" {
			unknown[q] = c.gen
		}
	}
	return out, unknown
}

// learnOldest sets q's oldest id, found by a scan that started at gen,
// unless a write has changed the queue since.
func (t *tally) learnOldest(q string, gen uint64, id string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if c := t.queues[q]; c != nil && c.gen == gen {
		c.oldest = id
	}
}

// Stats implements queue.Store: the counts kept on write, the leases held now,
// and, for a queue whose oldest message left, one scan of its due index.
func (s *Store) Stats() (map[string]queue.Stats, error) {
	all, unknown := s.tally.snapshot()
	if len(unknown) > 0 {
		err := s.db.View(func(tx *bbolt.Tx) error {
			for q, gen := range unknown {
				c := all[q]
				c.oldest = oldestDue(tx, q)
				all[q] = c
				s.tally.learnOldest(q, gen, c.oldest)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	leased := s.leasedPerQueue()
	out := make(map[string]queue.Stats, len(all))
	for q, c := range all {
		st := queue.Stats{Queued: c.queued, Dead: c.dead, Delivered: c.kept, Leased: min(leased[q], c.queued)}
		if c.oldest != "" {
			st.Oldest = queue.IDTime(c.oldest)
		}
		out[q] = st
	}
	return out, nil
}

// oldestDue is the smallest id in q's due index.
func oldestDue(tx *bbolt.Tx, q string) string {
	prefix := []byte(q + "\x00")
	var oldest []byte
	c := tx.Bucket(bucketDue).Cursor()
	for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix); k, _ = c.Next() {
		if id := k[len(prefix)+nanosLen:]; oldest == nil || bytes.Compare(id, oldest) < 0 {
			oldest = id
		}
	}
	return string(oldest)
}

// leasedPerQueue counts the leases held now, per queue.
func (s *Store) leasedPerQueue() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	out := map[string]int{}
	for _, l := range s.leases {
		if l.until.After(now) {
			out[l.queue]++
		}
	}
	return out
}
