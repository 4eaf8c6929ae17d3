// Package bolt is the embedded queue.Store: one bbolt file (queue.db under
// Caddy's data directory), written by a single committer that fsyncs each
// group of writes once. It registers the webhooks.storage.embedded module
// and its Caddyfile form, `storage embedded [<dir>]`.
package bolt

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/queue"
)

var (
	bucketMessages = []byte("messages") // id → encoded message
	bucketDue      = []byte("due")      // queue 0 nanos id → ∅: queued messages by next attempt
	bucketDead     = []byte("dead")     // queue 0 nanos id → ∅: dead messages by time of death
	bucketKept     = []byte("kept")     // queue 0 nanos id → ∅: delivered messages kept, by end of keep
	bucketOrder    = []byte("order")    // queue 0 order key 0 id → ∅: queued messages with an OrderKey
	bucketKeys     = []byte("dedupe")   // scope 0 value → nanos id: dedupe records
	bucketExpiry   = []byte("expiry")   // nanos scope 0 value → ∅: dedupe records by expiry
)

// nanosLen is the length of a time in keys and values ("nanos" above):
// nanoseconds since the epoch, 8 bytes big-endian (see be64), so that keys
// sort by time.
const nanosLen = 8

// splitIndexKey splits a key of the due, dead or kept index (queue 0 nanos id)
// into its queue, its time and its message id.
func splitIndexKey(k []byte) (q []byte, nanos int64, id []byte) {
	i := bytes.IndexByte(k, 0)
	at := k[i+1:]
	return k[:i], int64(binary.BigEndian.Uint64(at)), at[nanosLen:]
}

// maxBatch bounds the writes shared by one commit.
const maxBatch = 512

// A write that a crash may only repeat, never lose (a delivered message's
// removal, a verify-only claim over its hold), need not be synced on its
// own: while acks keep the disk busy it waits up to rideWait for the next
// commit and rides it, so a delivered webhook forces no commit of its own.
// After ridingFor without an ack's commit (a queue draining after an
// outage, a quiet hour) such writes are committed at once, as any other.
var (
	rideWait  = 2 * time.Millisecond
	ridingFor = 50 * time.Millisecond
)

// Store is the embedded queue.Store: one bbolt file. All writes go through a single
// committer goroutine that takes every pending write, applies them in one
// transaction and fsyncs once (group commit), so concurrent senders share
// the cost of the disk flush instead of queueing behind each other's.
// Leases are held in memory: they only guard against delivering a message
// twice at once within this process, and vanish with it.
type Store struct {
	db      *bbolt.DB
	path    string
	ops     chan *op
	done    chan struct{}
	stopped chan struct{} // closed when the committer has returned
	wg      sync.WaitGroup

	mu     sync.Mutex
	leases map[string]lease

	tally tally // the queues' counts, kept on write

	now func() time.Time // the clock, replaced in tests
	log *zap.Logger      // for writes whose callers do not wait (see commitLater)
	// committed, if set, is called by the committer after each commit
	// with the number of writes it carried (tests).
	committed func(writes int)
}

// lease is a message's lease: held by this process until until.
type lease struct {
	queue string
	until time.Time
}

// op is one write for the committer. A rider (see rideWait) goes with the
// next commit rather than forcing one; err is nil for a rider whose caller
// does not wait, whose failure is logged.
type op struct {
	fn    func(*bbolt.Tx) error
	err   chan error
	rider bool
	what  string // for the log line of a rider nobody waits for
}

func (o *op) finish(s *Store, err error) {
	if o.err != nil {
		o.err <- err
	} else if err != nil {
		s.log.Error("webhook store: write lost", zap.String("write", o.what), zap.Error(err))
	}
}

// Open opens (creating if needed) the database at path. It waits at
// most lockTimeout for another process that holds the file, so that
// `caddy validate` beside a running server fails fast instead of hanging.
func Open(path string, lockTimeout time.Duration) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating webhooks storage directory: %w", err)
	}
	if err := checkFile(path, lockTimeout); err != nil {
		return nil, err
	}
	// NoFreelistSync: with many messages queued and deleted, the freelist is
	// pages long and was rewritten by every commit; bbolt rebuilds it from
	// the pages at open instead (as etcd does). Files stay readable either way.
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout: lockTimeout, FreelistType: bbolt.FreelistMapType, NoFreelistSync: true, PageSize: pageSize,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: locked by another process (is another Caddy using it?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bucketMessages, bucketDue, bucketDead, bucketKeys, bucketExpiry, bucketOrder, bucketBodies, bucketGroups, bucketKept} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("initialising %s: %w", path, err)
	}
	s := &Store{db: db, path: path, ops: make(chan *op, maxBatch), done: make(chan struct{}), stopped: make(chan struct{}), leases: map[string]lease{}, now: time.Now, log: zap.NewNop()}
	if err := db.View(func(tx *bbolt.Tx) error { s.tally.load(tx); return nil }); err != nil {
		db.Close()
		return nil, fmt.Errorf("counting %s: %w", path, err)
	}
	s.wg.Add(1)
	go s.commitLoop()
	return s, nil
}

// Path returns the database file's path.
func (s *Store) Path() string { return s.path }

// Close stops the committer, failing writes still waiting, and closes the file.
func (s *Store) Close() error {
	close(s.done)
	s.wg.Wait()
	return s.db.Close()
}

// commit runs fn in a durable write transaction shared with other writers.
// fn reports outcomes through its closure; a returned error aborts the whole
// transaction, after which the batch is retried one op per transaction, so
// fn must be safe to run again.
func (s *Store) commit(fn func(*bbolt.Tx) error) error {
	return s.send(&op{fn: fn, err: make(chan error, 1)})
}

// commitRiding is commit for a write that a crash may only repeat: it
// rides the next commit (see rideWait) and returns when that has landed.
func (s *Store) commitRiding(fn func(*bbolt.Tx) error) error {
	return s.send(&op{fn: fn, err: make(chan error, 1), rider: true})
}

// commitLater hands fn to the next commit (see rideWait) and returns at
// once: writes committed after it see its effect, readers outside the
// committer may not until it lands. A failure is logged as what.
func (s *Store) commitLater(what string, fn func(*bbolt.Tx) error) error {
	return s.send(&op{fn: fn, rider: true, what: what})
}

func (s *Store) send(o *op) error {
	select {
	case s.ops <- o:
	case <-s.done:
		return queue.ErrClosed
	}
	if o.err == nil {
		return nil
	}
	select {
	case err := <-o.err:
		return err
	case <-s.stopped:
		// The send above may have won against a closed done; the committer
		// answered every op it took before stopping, so no answer means
		// the op was never run.
		select {
		case err := <-o.err:
			return err
		default:
			return queue.ErrClosed
		}
	}
}

// commitLoop takes the writes in order and commits them in groups: a
// write that must be durable commits at once with every write waiting; a
// rider waits up to rideWait for one while acks are being committed.
func (s *Store) commitLoop() {
	defer s.wg.Done()
	defer close(s.stopped)
	batch := make([]*op, 0, maxBatch)
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	var due <-chan time.Time // riders wait until then, or a durable write
	var riding time.Time     // riders wait while now is before it
	for {
		select {
		case o := <-s.ops:
			batch = append(batch, o)
			if o.rider && len(batch) < maxBatch && time.Now().Before(riding) {
				if due == nil {
					timer.Reset(rideWait)
					due = timer.C
				}
				continue
			}
		case <-due:
		case <-s.done:
			s.close(batch)
			return
		}
	fill:
		for len(batch) < maxBatch {
			select {
			case o := <-s.ops:
				batch = append(batch, o)
			default:
				break fill
			}
		}
		timer.Stop()
		due = nil
		if s.apply(batch) {
			riding = time.Now().Add(ridingFor)
		}
		batch = batch[:0]
	}
}

// apply commits batch in one transaction, and reports whether it carried
// a durable write (not only riders).
func (s *Store) apply(batch []*op) (durable bool) {
	if len(batch) == 0 {
		return false
	}
	err := s.update(func(tx *bbolt.Tx) error {
		for _, o := range batch {
			if err := o.fn(tx); err != nil {
				return err
			}
		}
		return nil
	})
	if s.committed != nil {
		s.committed(len(batch))
	}
	for _, o := range batch {
		durable = durable || !o.rider
	}
	if err == nil || len(batch) == 1 {
		for _, o := range batch {
			o.finish(s, err)
		}
		return durable
	}
	// One op (or the disk) failed: isolate it so the others still land.
	for _, o := range batch {
		o.finish(s, s.update(o.fn))
	}
	return durable
}

// update runs fn in one durable transaction, and counts its index writes
// once it has committed.
func (s *Store) update(fn func(*bbolt.Tx) error) error {
	s.tally.begin()
	err := s.db.Update(fn)
	s.tally.settle(err == nil)
	return err
}

// close lands the riders waiting (in batch or still sent) and fails the
// other writes still sent: a delivery confirmed at shutdown stays confirmed.
func (s *Store) close(batch []*op) {
	for {
		select {
		case o := <-s.ops:
			if o.rider {
				batch = append(batch, o)
			} else {
				o.finish(s, queue.ErrClosed)
			}
		default:
			s.apply(batch)
			return
		}
	}
}

// Enqueue implements Store.
func (s *Store) Enqueue(m *queue.Message, key queue.Key) (string, error) {
	m.State, m.Group = queue.StateQueued, "" // a message of its own
	rec := queue.EncodeRecord(m)
	var holder string
	err := s.commit(func(tx *bbolt.Tx) error {
		if holder = claim(tx, key, m.ID, s.now()); holder != "" {
			return nil
		}
		return s.put(tx, m, rec)
	})
	return result(m.ID, holder, err)
}

// Claim implements Store.
func (s *Store) Claim(key queue.Key, id string) (string, error) {
	var holder string
	err := s.commit(func(tx *bbolt.Tx) error {
		holder = claim(tx, key, id, s.now())
		return nil
	})
	return result(id, holder, err)
}

// Confirm implements Store: the claim rides the next commit (see
// rideWait), which sees it, as do the claims and enqueues after it.
func (s *Store) Confirm(key queue.Key, id string) error {
	now := s.now()
	return s.commitLater("dedupe claim", func(tx *bbolt.Tx) error {
		claim(tx, key, id, now)
		return nil
	})
}

func result(id, holder string, err error) (string, error) {
	switch {
	case err != nil:
		return "", err
	case holder != "":
		return holder, queue.ErrDuplicate
	}
	return id, nil
}

// claim writes key for id unless an unexpired record of another holder than
// id or queue.Hold(id) holds it, and returns that record's holder. An empty key
// claims nothing.
func claim(tx *bbolt.Tx, key queue.Key, id string, now time.Time) (holder string) {
	if key.Empty() {
		return ""
	}
	keys := tx.Bucket(bucketKeys)
	k := keyOf(key)
	if old := keys.Get(k); len(old) >= nanosLen {
		expires := int64(binary.BigEndian.Uint64(old))
		if holder := string(old[nanosLen:]); expires > now.UnixNano() && holder != id && holder != queue.Hold(id) {
			return holder
		}
		_ = tx.Bucket(bucketExpiry).Delete(append(be64(expires), k...))
	}
	exp := be64(key.Expires.UnixNano())
	_ = keys.Put(k, append(exp, id...))
	_ = appendBucket(tx, bucketExpiry).Put(append(exp, k...), nil)
	return ""
}

// Release implements Store.
func (s *Store) Release(key queue.Key, id string) error {
	return s.commit(func(tx *bbolt.Tx) error {
		k := keyOf(key)
		old := tx.Bucket(bucketKeys).Get(k)
		if len(old) < nanosLen || string(old[nanosLen:]) != id {
			return nil
		}
		if err := tx.Bucket(bucketExpiry).Delete(append(old[:nanosLen:nanosLen], k...)); err != nil {
			return err
		}
		return tx.Bucket(bucketKeys).Delete(k)
	})
}

func keyOf(k queue.Key) []byte { return []byte(k.Scope + "\x00" + k.Value) }

// be64 encodes n big-endian, so keys sort by it. Its capacity is exactly 8:
// appending to it copies, which matters because bbolt keeps the slices
// given to Put until the transaction commits.
func be64(n int64) []byte {
	b := make([]byte, nanosLen)
	binary.BigEndian.PutUint64(b, uint64(n))
	return b
}

// indexKey is m's entry in the due, dead or kept index.
func indexKey(m *queue.Message) (bucket, key []byte) {
	bucket, at := bucketDue, m.NextAttempt
	switch m.State {
	case queue.StateDead:
		bucket, at = bucketDead, m.DeadAt
	case queue.StateDelivered:
		bucket, at = bucketKept, m.KeepUntil
	}
	k := append([]byte(m.Queue+"\x00"), be64(at.UnixNano())...)
	return bucket, append(k, m.ID...)
}

// put writes m (encoded as rec) and its index entry, replacing the entry of
// the version it overwrites.
func (s *Store) put(tx *bbolt.Tx, m *queue.Message, rec []byte) error {
	msgs := appendBucket(tx, bucketMessages)
	if old := msgs.Get([]byte(m.ID)); old != nil {
		if err := s.unindex(tx, old); err != nil {
			return err
		}
	}
	if err := msgs.Put([]byte(m.ID), rec); err != nil {
		return err
	}
	b, k := indexKey(m)
	if err := appendBucket(tx, b).Put(k, nil); err != nil {
		return err
	}
	s.tally.note(b, k, true)
	if k := orderKey(m); k != nil {
		return tx.Bucket(bucketOrder).Put(k, nil)
	}
	return nil
}

// pageSize is the page size of new database files (an existing file keeps
// its own). A record is about a body and 300 bytes of header; 4 KiB pages
// hold two records of 1 KiB bodies, and leave a third of each page empty,
// 16 KiB pages ten. The file, and the part of it mapped in memory, is about
// a fifth smaller for the same messages, and commits are no slower.
var pageSize = 16 << 10

// fillPercent is how full bbolt packs the pages it splits in the buckets
// that new keys mostly append to (ids and due times grow with time). bbolt's
// default of 0.5 suits random inserts; here it would leave most pages of the
// messages bucket half empty, and the file twice the size of its records.
var fillPercent = 0.9

func appendBucket(tx *bbolt.Tx, name []byte) *bbolt.Bucket {
	b := tx.Bucket(name)
	b.FillPercent = fillPercent
	return b
}

// orderKey is m's entry in the order index: queued messages with an
// OrderKey, by id within it. Dead and delivered messages have none.
func orderKey(m *queue.Message) []byte {
	if m.OrderKey == "" || m.State != queue.StateQueued {
		return nil
	}
	return []byte(m.Queue + "\x00" + m.OrderKey + "\x00" + m.ID)
}

// firstOfOrder reports whether m is the oldest queued message of its
// OrderKey (or has none).
func firstOfOrder(tx *bbolt.Tx, m *queue.Message) bool {
	return firstInOrder(tx, orderKey(m), m.ID)
}

// firstInOrder reports whether the order index entry k (nil: none) of
// message id comes first among its OrderKey's.
func firstInOrder(tx *bbolt.Tx, k []byte, id string) bool {
	if k == nil {
		return true
	}
	prefix := k[:len(k)-len(id)]
	first, _ := tx.Bucket(bucketOrder).Cursor().Seek(prefix)
	return bytes.Equal(first, k)
}

// indexEntries returns the index entries of a stored record without
// decoding the message: its due or dead entry, and its order entry (nil if
// none).
func indexEntries(rec []byte) (bucket, key, order []byte, err error) {
	m, err := queue.DecodePlacement(rec)
	if err != nil {
		return nil, nil, nil, err
	}
	bucket, key = indexKey(&m)
	return bucket, key, orderKey(&m), nil
}

// unindex drops the index entries of the stored record rec. It reads only
// the fields that place the message (see indexEntries), not the message.
func (s *Store) unindex(tx *bbolt.Tx, rec []byte) error {
	b, k, order, err := indexEntries(rec)
	if err != nil {
		return err
	}
	if err := tx.Bucket(b).Delete(k); err != nil {
		return err
	}
	s.tally.note(b, k, false)
	if order != nil {
		return tx.Bucket(bucketOrder).Delete(order)
	}
	return nil
}

// remove deletes message id and its index entry, and the body of its group
// if it was the group's last delivery; it reports whether it existed.
func (s *Store) remove(tx *bbolt.Tx, id string) (bool, error) {
	msgs := tx.Bucket(bucketMessages)
	rec := msgs.Get([]byte(id))
	if rec == nil {
		return false, nil
	}
	m, err := queue.DecodePlacement(rec)
	if err != nil {
		return false, err
	}
	if err := s.unindex(tx, rec); err != nil {
		return false, err
	}
	if m.Group != "" {
		if err := unref(tx, m.Group); err != nil {
			return false, err
		}
	}
	return true, msgs.Delete([]byte(id))
}

// Lease implements Store.
func (s *Store) Lease(q string, now time.Time, limit int, d time.Duration) ([]*queue.Message, time.Time, error) {
	var out []*queue.Message
	var next time.Time
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.View(func(tx *bbolt.Tx) error {
		prefix := []byte(q + "\x00")
		msgs := tx.Bucket(bucketMessages)
		c := tx.Bucket(bucketDue).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Next() {
			rest := k[len(prefix):]
			if at := time.Unix(0, int64(binary.BigEndian.Uint64(rest))); at.After(now) {
				next = at
				break
			}
			id := string(rest[nanosLen:])
			if l, ok := s.leases[id]; ok && l.until.After(now) {
				continue
			}
			// The header says whether an older message of its OrderKey goes
			// first; only a message leased is decoded, body and all.
			rec := msgs.Get([]byte(id))
			_, _, order, err := indexEntries(rec)
			if err != nil {
				return fmt.Errorf("message %s: %w", id, err)
			}
			if !firstInOrder(tx, order, id) {
				continue
			}
			m, err := decode(tx, rec)
			if err != nil {
				return fmt.Errorf("message %s: %w", id, err)
			}
			out = append(out, m)
		}
		return nil
	})
	for _, m := range out {
		s.leases[m.ID] = lease{queue: q, until: now.Add(d)}
	}
	return out, next, err
}

func (s *Store) unlease(id string) {
	s.mu.Lock()
	delete(s.leases, id)
	s.mu.Unlock()
}

// Delivered implements Store. The removal rides the next commit (see
// rideWait): lost in a crash, it only repeats a delivery.
func (s *Store) Delivered(id string) error {
	defer s.unlease(id)
	return s.commitRiding(func(tx *bbolt.Tx) error {
		_, err := s.remove(tx, id)
		return err
	})
}

// Update implements Store.
func (s *Store) Update(m *queue.Message) error {
	defer s.unlease(m.ID)
	rec := queue.EncodeRecord(m)
	found := false
	commit := s.commit
	if m.State == queue.StateDelivered {
		commit = s.commitRiding // kept: lost in a crash, it only repeats a delivery
	}
	err := commit(func(tx *bbolt.Tx) error {
		old := tx.Bucket(bucketMessages).Get([]byte(m.ID))
		if found = old != nil; !found {
			return nil
		}
		if p, err := queue.DecodePlacement(old); err == nil && p.Group != m.Group {
			m.Group = p.Group // a delivery stays in its group, whatever m says
			rec = queue.EncodeRecord(m)
		}
		return s.put(tx, m, rec)
	})
	if err == nil && !found {
		err = queue.ErrNotFound
	}
	return err
}

// Get implements Store.
func (s *Store) Get(id string) (*queue.Message, error) {
	var m *queue.Message
	err := s.db.View(func(tx *bbolt.Tx) error {
		rec := tx.Bucket(bucketMessages).Get([]byte(id))
		if rec == nil {
			return queue.ErrNotFound
		}
		var err error
		m, err = decode(tx, rec)
		return err
	})
	return m, err
}

// List implements Store.
func (s *Store) List(state queue.State, q string, limit int) ([]*queue.Message, error) {
	index := bucketDue
	switch state {
	case queue.StateDead:
		index = bucketDead
	case queue.StateDelivered:
		index = bucketKept
	}
	var out []*queue.Message
	err := s.db.View(func(tx *bbolt.Tx) error {
		msgs := tx.Bucket(bucketMessages)
		c := tx.Bucket(index).Cursor()
		prefix := []byte(q)
		if q != "" {
			prefix = append(prefix, 0)
		}
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Next() {
			_, _, id := splitIndexKey(k)
			m, err := queue.DecodeRecord(msgs.Get(id))
			if err != nil {
				return err
			}
			m.Body = nil
			out = append(out, m)
		}
		return nil
	})
	return out, err
}

// Replay implements Store.
func (s *Store) Replay(id string, now time.Time) (*queue.Message, error) {
	var m *queue.Message
	err := s.commit(func(tx *bbolt.Tx) error {
		rec := tx.Bucket(bucketMessages).Get([]byte(id))
		if rec == nil {
			return queue.ErrNotFound
		}
		var err error
		if m, err = decode(tx, rec); err != nil || (m.State != queue.StateDead && m.State != queue.StateDelivered) {
			return err
		}
		m.State, m.Attempts, m.NextAttempt, m.DeadAt = queue.StateQueued, 0, now, time.Time{}
		m.DeliveredAt, m.KeepUntil = time.Time{}, time.Time{}
		return s.put(tx, m, queue.EncodeRecord(m))
	})
	return m, err
}

// Delete implements Store.
func (s *Store) Delete(id string) error {
	defer s.unlease(id)
	found := false
	err := s.commit(func(tx *bbolt.Tx) (err error) {
		found, err = s.remove(tx, id)
		return err
	})
	if err == nil && !found {
		err = queue.ErrNotFound
	}
	return err
}

// purgeChunk bounds the records one purge transaction removes, so that the
// committer is never held for long.
const purgeChunk = 1000

// Purge implements Store.
func (s *Store) Purge(now, deadBefore time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := s.commit(func(tx *bbolt.Tx) error {
			n = 0
			exp := tx.Bucket(bucketExpiry).Cursor()
			limit := be64(now.UnixNano())
			for k, _ := exp.First(); k != nil && bytes.Compare(k[:nanosLen], limit) <= 0 && n < purgeChunk; k, _ = exp.First() {
				rk := k[nanosLen:]
				if v := tx.Bucket(bucketKeys).Get(rk); len(v) >= nanosLen && bytes.Equal(v[:nanosLen], k[:nanosLen]) {
					if err := tx.Bucket(bucketKeys).Delete(rk); err != nil {
						return err
					}
				}
				if err := exp.Delete(); err != nil {
					return err
				}
				n++
			}
			if err := s.purgeIndex(tx, bucketDead, deadBefore, &n); err != nil {
				return err
			}
			return s.purgeIndex(tx, bucketKept, now, &n)
		})
		total += n
		if err != nil || n < purgeChunk {
			return total, err
		}
	}
}

// purgeIndex removes the messages of the dead or kept index whose time is
// before before, up to the chunk's bound. Each queue's entries are in time
// order: it reads the expired ones and skips to the next queue, so a large
// index that has little to purge costs a seek per queue, not a scan.
func (s *Store) purgeIndex(tx *bbolt.Tx, index []byte, before time.Time, n *int) error {
	var ids []string
	c := tx.Bucket(index).Cursor()
	for k, _ := c.First(); k != nil && *n+len(ids) < purgeChunk; {
		q, at, id := splitIndexKey(k)
		if at < before.UnixNano() {
			ids = append(ids, string(id))
			k, _ = c.Next()
			continue
		}
		k, _ = c.Seek(append(q[:len(q):len(q)], 1)) // past "q\x00…": the next queue
	}
	for _, id := range ids {
		if _, err := s.remove(tx, id); err != nil {
			return err
		}
	}
	*n += len(ids)
	return nil
}
