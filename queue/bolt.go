package queue

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	bolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

var (
	bucketMessages = []byte("messages") // id → encoded message
	bucketDue      = []byte("due")      // queue 0 nanos id → ∅: queued messages by next attempt
	bucketDead     = []byte("dead")     // queue 0 nanos id → ∅: dead messages by time of death
	bucketOrder    = []byte("order")    // queue 0 order key 0 id → ∅: queued messages with an OrderKey
	bucketKeys     = []byte("dedupe")   // scope 0 value → nanos id: dedupe records
	bucketExpiry   = []byte("expiry")   // nanos scope 0 value → ∅: dedupe records by expiry
)

// maxBatch bounds the writes shared by one commit.
const maxBatch = 512

// Bolt is the embedded Store: one bbolt file. All writes go through a single
// committer goroutine that takes every pending write, applies them in one
// transaction and fsyncs once (group commit), so concurrent senders share
// the cost of the disk flush instead of queueing behind each other's.
// Leases are held in memory: they only guard against delivering a message
// twice at once within this process, and vanish with it.
type Bolt struct {
	db      *bolt.DB
	path    string
	ops     chan *op
	done    chan struct{}
	stopped chan struct{} // closed when the committer has returned
	wg      sync.WaitGroup

	mu     sync.Mutex
	leases map[string]lease

	tally tally // the queues' counts, kept on write

	now func() time.Time // the clock, replaced in tests
	// committed, if set, is called by the committer after each commit
	// with the number of writes it carried (tests).
	committed func(writes int)
}

// lease is a message's lease: held by this process until until.
type lease struct {
	queue string
	until time.Time
}

type op struct {
	fn  func(*bolt.Tx) error
	err chan error
}

// OpenBolt opens (creating if needed) the database at path. It waits at
// most lockTimeout for another process that holds the file, so that
// `caddy validate` beside a running server fails fast instead of hanging.
func OpenBolt(path string, lockTimeout time.Duration) (*Bolt, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("creating webhooks storage directory: %w", err)
	}
	if err := checkFile(path, lockTimeout); err != nil {
		return nil, err
	}
	// NoFreelistSync: with many messages queued and deleted, the freelist is
	// pages long and was rewritten by every commit; bbolt rebuilds it from
	// the pages at open instead (as etcd does). Files stay readable either way.
	db, err := bolt.Open(path, 0o600, &bolt.Options{
		Timeout: lockTimeout, FreelistType: bolt.FreelistMapType, NoFreelistSync: true, PageSize: pageSize,
	})
	if errors.Is(err, bolterrors.ErrTimeout) {
		return nil, fmt.Errorf("opening %s: locked by another process (is another Caddy using it?)", path)
	}
	if err != nil {
		return nil, fmt.Errorf("opening %s: %w", path, err)
	}
	err = db.Update(func(tx *bolt.Tx) error {
		for _, b := range [][]byte{bucketMessages, bucketDue, bucketDead, bucketKeys, bucketExpiry, bucketOrder} {
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
	s := &Bolt{db: db, path: path, ops: make(chan *op, maxBatch), done: make(chan struct{}), stopped: make(chan struct{}), leases: map[string]lease{}, now: time.Now}
	if err := db.View(func(tx *bolt.Tx) error { s.tally.load(tx); return nil }); err != nil {
		db.Close()
		return nil, fmt.Errorf("counting %s: %w", path, err)
	}
	s.wg.Add(1)
	go s.commitLoop()
	return s, nil
}

// Path returns the database file's path.
func (s *Bolt) Path() string { return s.path }

// Close stops the committer, failing writes still waiting, and closes the file.
func (s *Bolt) Close() error {
	close(s.done)
	s.wg.Wait()
	return s.db.Close()
}

// commit runs fn in a durable write transaction shared with other writers.
// fn reports outcomes through its closure; a returned error aborts the whole
// transaction, after which the batch is retried one op per transaction, so
// fn must be safe to run again.
func (s *Bolt) commit(fn func(*bolt.Tx) error) error {
	o := &op{fn: fn, err: make(chan error, 1)}
	select {
	case s.ops <- o:
	case <-s.done:
		return ErrClosed
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
			return ErrClosed
		}
	}
}

func (s *Bolt) commitLoop() {
	defer s.wg.Done()
	defer close(s.stopped)
	batch := make([]*op, 0, maxBatch)
	for {
		select {
		case o := <-s.ops:
			batch = append(batch[:0], o)
		case <-s.done:
			s.failPending()
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
		s.apply(batch)
	}
}

func (s *Bolt) apply(batch []*op) {
	err := s.update(func(tx *bolt.Tx) error {
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
	if err == nil || len(batch) == 1 {
		for _, o := range batch {
			o.err <- err
		}
		return
	}
	// One op (or the disk) failed: isolate it so the others still land.
	for _, o := range batch {
		o.err <- s.update(o.fn)
	}
}

// update runs fn in one durable transaction, and counts its index writes
// once it has committed.
func (s *Bolt) update(fn func(*bolt.Tx) error) error {
	s.tally.begin()
	err := s.db.Update(fn)
	s.tally.settle(err == nil)
	return err
}

func (s *Bolt) failPending() {
	for {
		select {
		case o := <-s.ops:
			o.err <- ErrClosed
		default:
			return
		}
	}
}

// Enqueue implements Store.
func (s *Bolt) Enqueue(m *Message, key Key) (string, error) {
	m.State = StateQueued
	rec := EncodeRecord(m)
	var holder string
	err := s.commit(func(tx *bolt.Tx) error {
		if holder = claim(tx, key, m.ID, s.now()); holder != "" {
			return nil
		}
		return s.put(tx, m, rec)
	})
	return result(m.ID, holder, err)
}

// Claim implements Store.
func (s *Bolt) Claim(key Key, id string) (string, error) {
	var holder string
	err := s.commit(func(tx *bolt.Tx) error {
		holder = claim(tx, key, id, s.now())
		return nil
	})
	return result(id, holder, err)
}

func result(id, holder string, err error) (string, error) {
	switch {
	case err != nil:
		return "", err
	case holder != "":
		return holder, ErrDuplicate
	}
	return id, nil
}

// claim writes key for id unless an unexpired record of another holder than
// id or Hold(id) holds it, and returns that record's holder. An empty key
// claims nothing.
func claim(tx *bolt.Tx, key Key, id string, now time.Time) (holder string) {
	if key.Empty() {
		return ""
	}
	keys := tx.Bucket(bucketKeys)
	k := keyOf(key)
	if old := keys.Get(k); len(old) >= 8 {
		expires := int64(binary.BigEndian.Uint64(old))
		if holder := string(old[8:]); expires > now.UnixNano() && holder != id && holder != Hold(id) {
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
func (s *Bolt) Release(key Key, id string) error {
	return s.commit(func(tx *bolt.Tx) error {
		k := keyOf(key)
		old := tx.Bucket(bucketKeys).Get(k)
		if len(old) < 8 || string(old[8:]) != id {
			return nil
		}
		if err := tx.Bucket(bucketExpiry).Delete(append(old[:8:8], k...)); err != nil {
			return err
		}
		return tx.Bucket(bucketKeys).Delete(k)
	})
}

func keyOf(k Key) []byte { return []byte(k.Scope + "\x00" + k.Value) }

// be64 encodes n big-endian, so keys sort by it. Its capacity is exactly 8:
// appending to it copies, which matters because bbolt keeps the slices
// given to Put until the transaction commits.
func be64(n int64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(n))
	return b
}

// indexKey is m's entry in the due or dead index.
func indexKey(m *Message) (bucket, key []byte) {
	bucket, at := bucketDue, m.NextAttempt
	if m.State == StateDead {
		bucket, at = bucketDead, m.DeadAt
	}
	k := append([]byte(m.Queue+"\x00"), be64(at.UnixNano())...)
	return bucket, append(k, m.ID...)
}

// put writes m (encoded as rec) and its index entry, replacing the entry of
// the version it overwrites.
func (s *Bolt) put(tx *bolt.Tx, m *Message, rec []byte) error {
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

func appendBucket(tx *bolt.Tx, name []byte) *bolt.Bucket {
	b := tx.Bucket(name)
	b.FillPercent = fillPercent
	return b
}

// orderKey is m's entry in the order index: queued messages with an
// OrderKey, by id within it. Dead messages have none.
func orderKey(m *Message) []byte {
	if m.OrderKey == "" || m.State == StateDead {
		return nil
	}
	return []byte(m.Queue + "\x00" + m.OrderKey + "\x00" + m.ID)
}

// firstOfOrder reports whether m is the oldest queued message of its
// OrderKey (or has none).
func firstOfOrder(tx *bolt.Tx, m *Message) bool {
	return firstInOrder(tx, orderKey(m), m.ID)
}

// firstInOrder reports whether the order index entry k (nil: none) of
// message id comes first among its OrderKey's.
func firstInOrder(tx *bolt.Tx, k []byte, id string) bool {
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
	m, err := DecodePlacement(rec)
	if err != nil {
		return nil, nil, nil, err
	}
	bucket, key = indexKey(&m)
	return bucket, key, orderKey(&m), nil
}

// unindex drops the index entries of the stored record rec. It reads only
// the fields that place the message (see indexEntries), not the message.
func (s *Bolt) unindex(tx *bolt.Tx, rec []byte) error {
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

// remove deletes message id and its index entry; it reports whether it existed.
func (s *Bolt) remove(tx *bolt.Tx, id string) (bool, error) {
	msgs := tx.Bucket(bucketMessages)
	rec := msgs.Get([]byte(id))
	if rec == nil {
		return false, nil
	}
	if err := s.unindex(tx, rec); err != nil {
		return false, err
	}
	return true, msgs.Delete([]byte(id))
}

// Lease implements Store.
func (s *Bolt) Lease(queue string, now time.Time, limit int, d time.Duration) ([]*Message, time.Time, error) {
	var out []*Message
	var next time.Time
	s.mu.Lock()
	defer s.mu.Unlock()
	err := s.db.View(func(tx *bolt.Tx) error {
		prefix := []byte(queue + "\x00")
		msgs := tx.Bucket(bucketMessages)
		c := tx.Bucket(bucketDue).Cursor()
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Next() {
			rest := k[len(prefix):]
			if at := time.Unix(0, int64(binary.BigEndian.Uint64(rest))); at.After(now) {
				next = at
				break
			}
			id := string(rest[8:])
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
			m, err := DecodeRecord(rec)
			if err != nil {
				return fmt.Errorf("message %s: %w", id, err)
			}
			out = append(out, m)
		}
		return nil
	})
	for _, m := range out {
		s.leases[m.ID] = lease{queue: queue, until: now.Add(d)}
	}
	return out, next, err
}

func (s *Bolt) unlease(id string) {
	s.mu.Lock()
	delete(s.leases, id)
	s.mu.Unlock()
}

// Delivered implements Store.
func (s *Bolt) Delivered(id string) error {
	defer s.unlease(id)
	return s.commit(func(tx *bolt.Tx) error {
		_, err := s.remove(tx, id)
		return err
	})
}

// Update implements Store.
func (s *Bolt) Update(m *Message) error {
	defer s.unlease(m.ID)
	rec := EncodeRecord(m)
	found := false
	err := s.commit(func(tx *bolt.Tx) error {
		if found = tx.Bucket(bucketMessages).Get([]byte(m.ID)) != nil; !found {
			return nil
		}
		return s.put(tx, m, rec)
	})
	if err == nil && !found {
		err = ErrNotFound
	}
	return err
}

// Get implements Store.
func (s *Bolt) Get(id string) (*Message, error) {
	var m *Message
	err := s.db.View(func(tx *bolt.Tx) error {
		rec := tx.Bucket(bucketMessages).Get([]byte(id))
		if rec == nil {
			return ErrNotFound
		}
		var err error
		m, err = DecodeRecord(rec)
		return err
	})
	return m, err
}

// List implements Store.
func (s *Bolt) List(state State, queue string, limit int) ([]*Message, error) {
	index := bucketDue
	if state == StateDead {
		index = bucketDead
	}
	var out []*Message
	err := s.db.View(func(tx *bolt.Tx) error {
		msgs := tx.Bucket(bucketMessages)
		c := tx.Bucket(index).Cursor()
		prefix := []byte(queue)
		if queue != "" {
			prefix = append(prefix, 0)
		}
		for k, _ := c.Seek(prefix); k != nil && bytes.HasPrefix(k, prefix) && len(out) < limit; k, _ = c.Next() {
			m, err := DecodeRecord(msgs.Get(k[bytes.IndexByte(k, 0)+9:]))
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
func (s *Bolt) Replay(id string, now time.Time) (*Message, error) {
	var m *Message
	err := s.commit(func(tx *bolt.Tx) error {
		rec := tx.Bucket(bucketMessages).Get([]byte(id))
		if rec == nil {
			return ErrNotFound
		}
		var err error
		if m, err = DecodeRecord(rec); err != nil || m.State != StateDead {
			return err
		}
		m.State, m.Attempts, m.NextAttempt, m.DeadAt = StateQueued, 0, now, time.Time{}
		return s.put(tx, m, EncodeRecord(m))
	})
	return m, err
}

// Delete implements Store.
func (s *Bolt) Delete(id string) error {
	defer s.unlease(id)
	found := false
	err := s.commit(func(tx *bolt.Tx) (err error) {
		found, err = s.remove(tx, id)
		return err
	})
	if err == nil && !found {
		err = ErrNotFound
	}
	return err
}

// purgeChunk bounds the records one purge transaction removes, so that the
// committer is never held for long.
const purgeChunk = 1000

// Purge implements Store.
func (s *Bolt) Purge(now, deadBefore time.Time) (int, error) {
	total := 0
	for {
		n := 0
		err := s.commit(func(tx *bolt.Tx) error {
			n = 0
			exp := tx.Bucket(bucketExpiry).Cursor()
			limit := be64(now.UnixNano())
			for k, _ := exp.First(); k != nil && bytes.Compare(k[:8], limit) <= 0 && n < purgeChunk; k, _ = exp.First() {
				rk := k[8:]
				if v := tx.Bucket(bucketKeys).Get(rk); len(v) >= 8 && bytes.Equal(v[:8], k[:8]) {
					if err := tx.Bucket(bucketKeys).Delete(rk); err != nil {
						return err
					}
				}
				if err := exp.Delete(); err != nil {
					return err
				}
				n++
			}
			return s.purgeDead(tx, deadBefore, &n)
		})
		total += n
		if err != nil || n < purgeChunk {
			return total, err
		}
	}
}

func (s *Bolt) purgeDead(tx *bolt.Tx, before time.Time, n *int) error {
	var ids []string
	_ = tx.Bucket(bucketDead).ForEach(func(k, _ []byte) error {
		at := k[bytes.IndexByte(k, 0)+1:]
		if *n+len(ids) < purgeChunk && int64(binary.BigEndian.Uint64(at)) < before.UnixNano() {
			ids = append(ids, string(at[8:]))
		}
		return nil
	})
	for _, id := range ids {
		if _, err := s.remove(tx, id); err != nil {
			return err
		}
	}
	*n += len(ids)
	return nil
}
