// Command engines measures bbolt (Hookgate's embedded store) against Pebble
// v2 for the write set of one webhook ack: a message record, its due index
// entry, a dedupe record (read first, as the duplicate check, then written)
// and its expiry index entry, with the key layout of queue/bolt.
//
//	go run . [-n N] [-engine bbolt|pebble] [-case ingest|ingest+remove|dedupe-1m|lease-scan]
//
// See README.md for the options and the results.
package main

import (
	"bytes"
	"context"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/bloom"
	"github.com/cockroachdb/pebble/v2/vfs"
	bbolt "go.etcd.io/bbolt"
)

var (
	flagN        = flag.Int("n", 200_000, "acks to write")
	flagEngine   = flag.String("engine", "bbolt", "bbolt or pebble")
	flagCase     = flag.String("case", "ingest", "ingest, ingest+remove, dedupe-1m or lease-scan")
	flagWriters  = flag.Int("writers", 64, "concurrent writers")
	flagPreload  = flag.Int("preload", 1_000_000, "dedupe records preloaded by dedupe-1m")
	flagRemoveN  = flag.Int("removes", 100_000, "messages lease-scan removes (the oldest)")
	flagMode     = flag.String("mode", "batch", "pebble: batch (each writer commits its own batch with Sync) or committer (one goroutine, one batch per group, as queue/bolt)")
	flagMemtable = flag.Int("memtable", 0, "pebble MemTableSize in MiB (0: Pebble's default, 4 MiB)")
	flagCache    = flag.Int("cache", 0, "pebble block cache in MiB (0: Pebble's default, 8 MiB)")
	flagBloom    = flag.Bool("bloom", true, "pebble: 10-bit bloom filters on every level (the dedupe check is a point Get of a missing key)")
	flagSingle   = flag.Bool("singledel", false, "pebble: remove with SingleDelete instead of Delete")
	flagBacklog  = flag.Bool("backlog", false, "remove only once every ack is written (a backlog drained), not shortly after each")
	flagDir      = flag.String("dir", "tmp", "parent of the data directory (must be a real disk, not tmpfs)")
	flagProfile  = flag.String("cpuprofile", "", "write a CPU profile of the acks to this file")
	flagFull     = flag.Bool("fullcompact", false, "pebble: after the settle, compact the whole key space and report the CPU per ack with it (an upper bound of the compaction debt left)")
	flagKeep     = flag.Bool("keep", false, "keep the data directory")
)

// Key layout, as queue/bolt. In Pebble each bucket is a one-byte prefix.
var (
	queueName = []byte("queue")
	scopeName = []byte("scope")
)

const (
	idLen     = 20
	bodyLen   = 1024
	headerLen = 126 // record ≈ 1,150 bytes
	maxBatch  = 512 // as queue/bolt
	window    = 64  // removals in flight (delivery workers)
	scanLimit = 64
)

const (
	pMessages = 'm'
	pDue      = 'd'
	pDedupe   = 'k'
	pExpiry   = 'e'
)

var (
	bMessages = []byte("messages")
	bDue      = []byte("due")
	bDedupe   = []byte("dedupe")
	bExpiry   = []byte("expiry")
)

// ack is one webhook ack's write set, in the keys of queue/bolt (no bucket
// prefix). Its buffers belong to one writer and are reused once committed.
type ack struct {
	id, rec, due, dedupe, dedupeVal, expiry []byte
	expires                                 int64
}

// lastNanos makes ids strictly increasing (time-ordered).
var lastNanos atomic.Int64

func nextNanos() int64 {
	for {
		now, last := time.Now().UnixNano(), lastNanos.Load()
		if now <= last {
			now = last + 1
		}
		if lastNanos.CompareAndSwap(last, now) {
			return now
		}
	}
}

// writer builds acks with its own random source and buffers.
type writer struct {
	rnd  *rand.Rand
	body []byte
	a    ack
}

func newWriter(seed uint64) *writer {
	w := &writer{rnd: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
	// A JSON-ish body, about as compressible as a webhook's.
	var b strings.Builder
	b.WriteString(`{"event":"payment.succeeded","delivery":"`)
	for b.Len() < bodyLen-2 {
		fmt.Fprintf(&b, `,"f%d":"%x"`, w.rnd.IntN(1000), w.rnd.Uint64())
	}
	w.body = []byte(b.String()[:bodyLen-2] + `"}`)
	w.a.rec = make([]byte, 0, headerLen+bodyLen)
	return w
}

// next fills w.a with a new ack.
func (w *writer) next() *ack {
	a := &w.a
	nanos := nextNanos()
	a.id = binary.BigEndian.AppendUint64(a.id[:0], uint64(nanos))
	for len(a.id) < idLen {
		a.id = binary.BigEndian.AppendUint32(a.id, w.rnd.Uint32())
	}
	var v [16]byte
	binary.LittleEndian.PutUint64(v[:], w.rnd.Uint64())
	binary.LittleEndian.PutUint64(v[8:], w.rnd.Uint64())
	copy(w.body[len(`{"event":"payment.succeeded","delivery":"`):], hex.AppendEncode(nil, v[:8]))
	a.rec = a.rec[:0]
	for len(a.rec) < headerLen {
		a.rec = append(a.rec, byte(w.rnd.Uint32()))
	}
	a.rec = append(a.rec, w.body...)
	a.due = append(append(append(a.due[:0], queueName...), 0), be64(nanos)...)
	a.due = append(a.due, a.id...)
	a.dedupe = append(append(a.dedupe[:0], scopeName...), 0)
	a.dedupe = hex.AppendEncode(a.dedupe, v[:])
	a.expires = nanos + int64(24*time.Hour)
	a.dedupeVal = append(append(a.dedupeVal[:0], be64(a.expires)...), a.id...)
	a.expiry = append(append(a.expiry[:0], be64(a.expires)...), a.dedupe...)
	return a
}

func be64(n int64) []byte {
	b := make([]byte, 8)
	binary.BigEndian.PutUint64(b, uint64(n))
	return b
}

// removal is one delivered message to delete.
type removal struct{ id, due []byte }

type engine interface {
	// ack writes a's write set durably; concurrent.
	ack(a *ack) error
	// remove deletes messages; it is called by one goroutine, in order.
	remover(in <-chan removal) error
	preload(n int, rnd *rand.Rand) error
	// scan seeks to from in the due index and reads up to limit keys of the queue.
	scan(from []byte, limit int) (keys int, points uint64, first []byte, err error)
	// settle waits for background work (Pebble flushes and compactions).
	settle() error
	// syncs returns the fsyncs and commits so far.
	syncs() (fsyncs, commits int64)
	describe() string
	extra() string
	close() error
}

// ---- bbolt, as queue/bolt ----

type boltEngine struct {
	db      *bbolt.DB
	path    string
	ops     chan *boltOp
	done    chan struct{}
	wg      sync.WaitGroup
	commits atomic.Int64
	grows   atomic.Int64
	size    int64
}

type boltOp struct {
	fn  func(*bbolt.Tx) error
	err chan error
}

func openBolt(dir string) (*boltEngine, error) {
	path := filepath.Join(dir, "queue.db")
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{
		Timeout: time.Second, FreelistType: bbolt.FreelistMapType, NoFreelistSync: true, PageSize: 16 << 10,
	})
	if err != nil {
		return nil, err
	}
	err = db.Update(func(tx *bbolt.Tx) error {
		for _, b := range [][]byte{bMessages, bDue, bDedupe, bExpiry} {
			if _, err := tx.CreateBucketIfNotExists(b); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	e := &boltEngine{db: db, path: path, ops: make(chan *boltOp, maxBatch), done: make(chan struct{})}
	e.size = fileSize(path)
	e.wg.Add(1)
	go e.commitLoop()
	return e, nil
}

func fileSize(path string) int64 {
	fi, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return fi.Size()
}

func (e *boltEngine) describe() string {
	return "bbolt v1.5.0 PageSize 16 KiB, FreelistMapType, NoFreelistSync, FillPercent 0.9 on messages/due/expiry; one committer, ≤512 ops per Update"
}

func (e *boltEngine) commit(fn func(*bbolt.Tx) error) chan error {
	o := &boltOp{fn: fn, err: make(chan error, 1)}
	e.ops <- o
	return o.err
}

// gather waits for one op, then takes every op already sent, up to
// maxBatch, into batch (reused); ok is false once done is closed. Both
// engines' committers group writes as queue/bolt's does.
func gather[T any](ops <-chan T, done <-chan struct{}, batch []T) (_ []T, ok bool) {
	select {
	case o := <-ops:
		batch = append(batch[:0], o)
	case <-done:
		return batch, false
	}
	for len(batch) < maxBatch {
		select {
		case o := <-ops:
			batch = append(batch, o)
		default:
			return batch, true
		}
	}
	return batch, true
}

func (e *boltEngine) commitLoop() {
	defer e.wg.Done()
	batch := make([]*boltOp, 0, maxBatch)
	for {
		var ok bool
		if batch, ok = gather(e.ops, e.done, batch); !ok {
			return
		}
		err := e.db.Update(func(tx *bbolt.Tx) error {
			for _, o := range batch {
				if err := o.fn(tx); err != nil {
					return err
				}
			}
			return nil
		})
		e.commits.Add(1)
		// bbolt fsyncs the file when it grows it (NoGrowSync false).
		if sz := fileSize(e.path); sz != e.size {
			e.size = sz
			e.grows.Add(1)
		}
		for _, o := range batch {
			o.err <- err
		}
	}
}

func appendBucket(tx *bbolt.Tx, name []byte) *bbolt.Bucket {
	b := tx.Bucket(name)
	b.FillPercent = 0.9
	return b
}

var errDuplicate = errors.New("duplicate")

func (e *boltEngine) ack(a *ack) error {
	now := time.Now().UnixNano()
	var dup bool
	err := <-e.commit(func(tx *bbolt.Tx) error {
		keys := tx.Bucket(bDedupe)
		if old := keys.Get(a.dedupe); len(old) >= 8 {
			if int64(binary.BigEndian.Uint64(old)) > now {
				dup = true
				return nil
			}
			_ = tx.Bucket(bExpiry).Delete(append(old[:8:8], a.dedupe...))
		}
		if err := keys.Put(a.dedupe, a.dedupeVal); err != nil {
			return err
		}
		if err := appendBucket(tx, bExpiry).Put(a.expiry, nil); err != nil {
			return err
		}
		if err := appendBucket(tx, bMessages).Put(a.id, a.rec); err != nil {
			return err
		}
		return appendBucket(tx, bDue).Put(a.due, nil)
	})
	if err == nil && dup {
		err = errDuplicate
	}
	return err
}

func (e *boltEngine) remover(in <-chan removal) error {
	// Deliveries each wait for their own commit: keep up to window in flight.
	var pending []chan error
	var first error
	wait := func() {
		if err := <-pending[0]; err != nil && first == nil {
			first = err
		}
		pending = pending[1:]
	}
	for r := range in {
		pending = append(pending, e.commit(func(tx *bbolt.Tx) error {
			if err := tx.Bucket(bMessages).Delete(r.id); err != nil {
				return err
			}
			return tx.Bucket(bDue).Delete(r.due)
		}))
		if len(pending) >= window {
			wait()
		}
	}
	for len(pending) > 0 {
		wait()
	}
	return first
}

func (e *boltEngine) preload(n int, rnd *rand.Rand) error {
	e.db.NoSync = true
	defer func() { e.db.NoSync = false }()
	const chunk = 50_000
	exp := time.Now().Add(24 * time.Hour).UnixNano()
	for done := 0; done < n; done += chunk {
		keys := make([][]byte, 0, chunk)
		for i := 0; i < chunk && done+i < n; i++ {
			keys = append(keys, randomDedupe(rnd))
		}
		slices.SortFunc(keys, bytes.Compare)
		err := e.db.Update(func(tx *bbolt.Tx) error {
			kb, xb := tx.Bucket(bDedupe), appendBucket(tx, bExpiry)
			for i, k := range keys {
				x := exp - int64(n) + int64(done+i)
				if err := kb.Put(k, append(be64(x), make([]byte, idLen)...)); err != nil {
					return err
				}
				if err := xb.Put(append(be64(x), k...), nil); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
	}
	return e.db.Sync()
}

func randomDedupe(rnd *rand.Rand) []byte {
	var v [16]byte
	binary.LittleEndian.PutUint64(v[:], rnd.Uint64())
	binary.LittleEndian.PutUint64(v[8:], rnd.Uint64())
	return hex.AppendEncode(append(append([]byte{}, scopeName...), 0), v[:])
}

func (e *boltEngine) scan(from []byte, limit int) (int, uint64, []byte, error) {
	prefix := append(append([]byte{}, queueName...), 0)
	n := 0
	var first []byte
	err := e.db.View(func(tx *bbolt.Tx) error {
		c := tx.Bucket(bDue).Cursor()
		for k, _ := c.Seek(from); k != nil && bytes.HasPrefix(k, prefix) && n < limit; k, _ = c.Next() {
			if n == 0 {
				first = bytes.Clone(k)
			}
			n++
		}
		return nil
	})
	return n, uint64(n), first, err
}

func (e *boltEngine) settle() error { return nil }

func (e *boltEngine) syncs() (int64, int64) {
	// tx.Commit: fdatasync after the pages, fdatasync after the meta page;
	// grow: fsync.
	c := e.commits.Load()
	return 2*c + e.grows.Load(), c
}

func (e *boltEngine) extra() string {
	s := e.db.Stats()
	return fmt.Sprintf("commits=%d grows=%d freepages=%d", e.commits.Load(), e.grows.Load(), s.FreePageN)
}

func (e *boltEngine) close() error {
	close(e.done)
	e.wg.Wait()
	return e.db.Close()
}

// ---- Pebble ----

type pebbleEngine struct {
	db      *pebble.DB
	fs      *countFS
	opts    *pebble.Options
	ops     chan *pebbleOp
	done    chan struct{}
	wg      sync.WaitGroup
	commits atomic.Int64
}

type pebbleOp struct {
	a   *ack
	err chan error
}

func openPebble(dir string) (*pebbleEngine, error) {
	cfs := &countFS{FS: vfs.Default}
	opts := &pebble.Options{FS: cfs, Logger: quietLogger{}}
	if *flagMemtable > 0 {
		opts.MemTableSize = uint64(*flagMemtable) << 20
	}
	if *flagCache > 0 {
		opts.CacheSize = int64(*flagCache) << 20
	}
	if *flagBloom {
		for i := range opts.Levels {
			opts.Levels[i].FilterPolicy = bloom.FilterPolicy(10)
		}
	}
	db, err := pebble.Open(dir, opts)
	if err != nil {
		return nil, err
	}
	e := &pebbleEngine{db: db, fs: cfs, opts: opts, ops: make(chan *pebbleOp, maxBatch), done: make(chan struct{})}
	if *flagMode == "committer" {
		e.wg.Add(1)
		go e.commitLoop()
	}
	return e, nil
}

func (e *pebbleEngine) describe() string {
	mt := "default 4 MiB"
	if *flagMemtable > 0 {
		mt = fmt.Sprintf("%d MiB", *flagMemtable)
	}
	del := "Delete"
	if *flagSingle {
		del = "SingleDelete"
	}
	cache := "default 8 MiB"
	if *flagCache > 0 {
		cache = fmt.Sprintf("%d MiB", *flagCache)
	}
	return fmt.Sprintf("pebble v2.1.7 mode=%s MemTableSize=%s CacheSize=%s bloom=%t removals=%s NoSync; other options default", *flagMode, mt, cache, *flagBloom, del)
}

func key(prefix byte, k []byte) []byte { return append([]byte{prefix}, k...) }

// check is the duplicate check: a Get of the dedupe record.
func (e *pebbleEngine) check(kd []byte, now int64) (bool, error) {
	v, closer, err := e.db.Get(kd)
	if errors.Is(err, pebble.ErrNotFound) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	dup := len(v) >= 8 && int64(binary.BigEndian.Uint64(v)) > now
	return dup, closer.Close()
}

// put adds a's write set to b, keys prefixed by bucket. kd is the dedupe key.
func put(b *pebble.Batch, a *ack, kd []byte) {
	_ = b.Set(kd, a.dedupeVal, nil)
	_ = b.Set(key(pExpiry, a.expiry), nil, nil)
	_ = b.Set(key(pMessages, a.id), a.rec, nil)
	_ = b.Set(key(pDue, a.due), nil, nil)
}

func (e *pebbleEngine) ack(a *ack) error {
	if *flagMode == "committer" {
		o := &pebbleOp{a: a, err: make(chan error, 1)}
		e.ops <- o
		return <-o.err
	}
	kd := key(pDedupe, a.dedupe)
	dup, err := e.check(kd, time.Now().UnixNano())
	if err != nil || dup {
		return cmpErr(err, dup)
	}
	b := e.db.NewBatch()
	put(b, a, kd)
	err = b.Commit(pebble.Sync)
	e.commits.Add(1)
	return errors.Join(err, b.Close())
}

func cmpErr(err error, dup bool) error {
	if err == nil && dup {
		return errDuplicate
	}
	return err
}

// commitLoop is queue/bolt's committer over Pebble: the duplicate checks and
// the writes of every pending ack, one batch, one synced commit.
func (e *pebbleEngine) commitLoop() {
	defer e.wg.Done()
	batch := make([]*pebbleOp, 0, maxBatch)
	errs := make([]error, maxBatch)
	for {
		var ok bool
		if batch, ok = gather(e.ops, e.done, batch); !ok {
			return
		}
		now := time.Now().UnixNano()
		b := e.db.NewBatch()
		for i, o := range batch {
			kd := key(pDedupe, o.a.dedupe)
			dup, err := e.check(kd, now)
			errs[i] = cmpErr(err, dup)
			if errs[i] == nil {
				put(b, o.a, kd)
			}
		}
		err := b.Commit(pebble.Sync)
		_ = b.Close()
		e.commits.Add(1)
		for i, o := range batch {
			o.err <- errors.Join(err, errs[i])
		}
	}
}

func (e *pebbleEngine) remover(in <-chan removal) error {
	var first error
	for r := range in {
		b := e.db.NewBatch()
		if *flagSingle {
			_ = b.SingleDelete(key(pMessages, r.id), nil)
			_ = b.SingleDelete(key(pDue, r.due), nil)
		} else {
			_ = b.Delete(key(pMessages, r.id), nil)
			_ = b.Delete(key(pDue, r.due), nil)
		}
		if err := b.Commit(pebble.NoSync); err != nil && first == nil {
			first = err
		}
		_ = b.Close()
	}
	return first
}

func (e *pebbleEngine) preload(n int, rnd *rand.Rand) error {
	const chunk = 10_000
	exp := time.Now().Add(24 * time.Hour).UnixNano()
	for done := 0; done < n; done += chunk {
		b := e.db.NewBatch()
		for i := 0; i < chunk && done+i < n; i++ {
			k := randomDedupe(rnd)
			x := exp - int64(n) + int64(done+i)
			_ = b.Set(key(pDedupe, k), append(be64(x), make([]byte, idLen)...), nil)
			_ = b.Set(append(append([]byte{pExpiry}, be64(x)...), k...), nil, nil)
		}
		if err := b.Commit(pebble.NoSync); err != nil {
			return err
		}
		_ = b.Close()
	}
	if err := e.db.Flush(); err != nil {
		return err
	}
	return e.settle()
}

func (e *pebbleEngine) scan(from []byte, limit int) (int, uint64, []byte, error) {
	prefix := append([]byte{pDue}, queueName...)
	prefix = append(prefix, 0)
	upper := append(append([]byte{pDue}, queueName...), 1)
	it, err := e.db.NewIter(&pebble.IterOptions{LowerBound: prefix, UpperBound: upper})
	if err != nil {
		return 0, 0, nil, err
	}
	n := 0
	var first []byte
	for ok := it.SeekGE(key(pDue, from)); ok && n < limit; ok = it.Next() {
		if n == 0 {
			first = bytes.Clone(it.Key()[1:])
		}
		n++
	}
	pts := it.Stats().InternalStats.PointCount
	return n, pts, first, it.Close()
}

func (e *pebbleEngine) settle() error {
	if err := e.db.Flush(); err != nil {
		return err
	}
	idle := 0
	for idle < 10 {
		time.Sleep(20 * time.Millisecond)
		m := e.db.Metrics()
		if m.Compact.NumInProgress == 0 && m.Flush.NumInProgress == 0 {
			idle++
		} else {
			idle = 0
		}
	}
	return nil
}

func (e *pebbleEngine) syncs() (int64, int64) {
	return e.fs.syncs.Load(), e.commits.Load()
}

func (e *pebbleEngine) extra() string {
	m := e.db.Metrics()
	return fmt.Sprintf("commits=%d walSyncs=%d otherSyncs=%d syncTo=%d flushes=%d compactions=%d L0files=%d sstables=%d walBytesWritten=%s walOnDisk=%s compactionDebt=%s",
		e.commits.Load(), e.fs.walSyncs.Load(), e.fs.syncs.Load()-e.fs.walSyncs.Load(), e.fs.syncTo.Load(),
		m.Flush.Count, m.Compact.Count, m.Levels[0].TablesCount, m.Total().TablesCount,
		mib(int64(m.WAL.BytesWritten)), mib(int64(m.WAL.PhysicalSize+m.WAL.ObsoletePhysicalSize)), mib(int64(m.Compact.EstimatedDebt)))
}

func (e *pebbleEngine) close() error {
	close(e.done)
	e.wg.Wait()
	return e.db.Close()
}

// quietLogger drops Pebble's info messages ("Found 0 WALs").
type quietLogger struct{}

func (quietLogger) Infof(string, ...any) {}
func (quietLogger) Errorf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
}
func (quietLogger) Fatalf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "pebble: "+format+"\n", args...)
	os.Exit(2)
}

// countFS counts the fsyncs (Sync, SyncData, and SyncTo that fell back to a
// full sync) of every file Pebble opens.
type countFS struct {
	vfs.FS
	syncs, walSyncs, syncTo atomic.Int64
}

type countFile struct {
	vfs.File
	fs  *countFS
	wal bool
}

func (c *countFS) wrap(name string, f vfs.File, err error) (vfs.File, error) {
	if err != nil {
		return f, err
	}
	return &countFile{File: f, fs: c, wal: strings.HasSuffix(name, ".log")}, nil
}

func (c *countFS) Create(name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := c.FS.Create(name, cat)
	return c.wrap(name, f, err)
}

func (c *countFS) OpenReadWrite(name string, cat vfs.DiskWriteCategory, o ...vfs.OpenOption) (vfs.File, error) {
	f, err := c.FS.OpenReadWrite(name, cat, o...)
	return c.wrap(name, f, err)
}

func (c *countFS) ReuseForWrite(old, name string, cat vfs.DiskWriteCategory) (vfs.File, error) {
	f, err := c.FS.ReuseForWrite(old, name, cat)
	return c.wrap(name, f, err)
}

func (c *countFS) OpenDir(name string) (vfs.File, error) {
	f, err := c.FS.OpenDir(name)
	return c.wrap(name, f, err)
}

func (c *countFS) Unwrap() vfs.FS { return c.FS }

func (f *countFile) count() {
	f.fs.syncs.Add(1)
	if f.wal {
		f.fs.walSyncs.Add(1)
	}
}

func (f *countFile) Sync() error     { f.count(); return f.File.Sync() }
func (f *countFile) SyncData() error { f.count(); return f.File.SyncData() }
func (f *countFile) SyncTo(n int64) (bool, error) {
	full, err := f.File.SyncTo(n)
	if full {
		f.count()
	} else {
		f.fs.syncTo.Add(1)
	}
	return full, err
}

// ---- measurement ----

type sample struct {
	at    time.Time
	cpu   time.Duration
	alloc uint64
	gcs   uint32
}

func take() sample {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return sample{
		at:    time.Now(),
		cpu:   time.Duration(ru.Utime.Nano() + ru.Stime.Nano()),
		alloc: ms.TotalAlloc,
		gcs:   ms.NumGC,
	}
}

func procStatus(field string) int64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for _, l := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(l, field+":"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// diskUsage is the bytes allocated on disk under dir (as du).
func diskUsage(dir string) int64 {
	var total int64
	_ = filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		if fi, err := d.Info(); err == nil {
			if st, ok := fi.Sys().(*syscall.Stat_t); ok {
				total += st.Blocks * 512
			}
		}
		return nil
	})
	return total
}

func mib(b int64) string { return fmt.Sprintf("%.0f MiB", float64(b)/(1<<20)) }

func main() {
	flag.Parse()
	if err := run(os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "engines:", err)
		os.Exit(1)
	}
}

func run(out io.Writer) error {
	if err := os.MkdirAll(*flagDir, 0o700); err != nil {
		return err
	}
	dir, err := os.MkdirTemp(*flagDir, *flagEngine+"-")
	if err != nil {
		return err
	}
	if !*flagKeep {
		defer os.RemoveAll(dir)
	}
	var e engine
	switch *flagEngine {
	case "bbolt":
		e, err = openBolt(dir)
	case "pebble":
		e, err = openPebble(dir)
	default:
		return fmt.Errorf("unknown engine %q", *flagEngine)
	}
	if err != nil {
		return err
	}
	n := *flagN
	fmt.Fprintf(out, "engine: %s\ncase: %s  n=%d writers=%d backlog=%t  GOMAXPROCS=%d\n", e.describe(), *flagCase, n, *flagWriters, *flagBacklog, runtime.GOMAXPROCS(0))

	removeN := 0
	switch *flagCase {
	case "ingest":
	case "ingest+remove":
		removeN = n
	case "lease-scan":
		removeN = min(*flagRemoveN, n)
	case "dedupe-1m":
		t := time.Now()
		if err := e.preload(*flagPreload, rand.New(rand.NewPCG(1, 2))); err != nil {
			return err
		}
		fmt.Fprintf(out, "preloaded %d dedupe records in %v, RSS %s, disk %s\n", *flagPreload, time.Since(t).Round(time.Millisecond), mib(procStatus("VmRSS")), mib(diskUsage(dir)))
	default:
		return fmt.Errorf("unknown case %q", *flagCase)
	}

	// Writers take acks by number; the first removeN acked are removed
	// (by one remover goroutine) as soon as they are acked.
	var next, acked atomic.Int64
	removals := make(chan removal, 4096)
	var remErr error
	remDone := make(chan struct{})
	go func() {
		defer close(remDone)
		remErr = e.remover(removals)
	}()
	var removed atomic.Int64
	tenths := make([]sample, 0, 11)
	var tmu sync.Mutex
	var backlog []removal
	syncs0, commits0 := e.syncs()
	runtime.GC()
	if *flagProfile != "" {
		f, err := os.Create(*flagProfile)
		if err != nil {
			return err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	s0 := take()
	tenths = append(tenths, s0)
	var wg sync.WaitGroup
	errs := make(chan error, *flagWriters)
	for w := range *flagWriters {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wr := newWriter(uint64(w) + 1000)
			for {
				i := next.Add(1)
				if i > int64(n) {
					return
				}
				a := wr.next()
				if err := e.ack(a); err != nil {
					errs <- err
					return
				}
				c := acked.Add(1)
				if removed.Add(1) <= int64(removeN) {
					r := removal{id: bytes.Clone(a.id), due: bytes.Clone(a.due)}
					if *flagBacklog {
						tmu.Lock()
						backlog = append(backlog, r)
						tmu.Unlock()
					} else {
						removals <- r
					}
				}
				if c%int64(max(n/10, 1)) == 0 {
					s := take()
					tmu.Lock()
					tenths = append(tenths, s)
					tmu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	for _, r := range backlog {
		removals <- r
	}
	close(removals)
	<-remDone
	select {
	case err := <-errs:
		return err
	default:
	}
	if remErr != nil {
		return remErr
	}
	s1 := take()
	scanned := *flagCase == "lease-scan" || *flagCase == "ingest+remove"
	var head []byte
	if scanned {
		// Right after the removals, before any flush or compaction we wait for.
		if head, err = scans(out, e, "right after removals", nil); err != nil {
			return err
		}
		if head != nil {
			if _, err := scans(out, e, "right after, from the head", head); err != nil {
				return err
			}
		}
	}
	s1b := take()
	if err := e.settle(); err != nil {
		return err
	}
	s2 := take()
	syncs1, commits1 := e.syncs()
	s2raw := s2
	// The scans' own cost is left out of the figures.
	s2.cpu -= s1b.cpu - s1.cpu
	s2.alloc -= s1b.alloc - s1.alloc
	s2.gcs -= s1b.gcs - s1.gcs

	elapsed := s1.at.Sub(s0.at)
	perAck := func(d time.Duration) string { return fmt.Sprintf("%.1f µs", float64(d.Nanoseconds())/float64(n)/1e3) }
	fmt.Fprintf(out, "acks/s: %.0f  (%d acks, %d removed, %v)\n", float64(n)/elapsed.Seconds(), n, removeN, elapsed.Round(time.Millisecond))
	fmt.Fprintf(out, "cpu/ack: %s incl. settle (%s until the last ack; settle %v)\n", perAck(s2.cpu-s0.cpu), perAck(s1.cpu-s0.cpu), s2.at.Sub(s1.at).Round(time.Millisecond))
	fmt.Fprintf(out, "alloc/ack: %.0f B  GCs: %d\n", float64(s2.alloc-s0.alloc)/float64(n), s2.gcs-s0.gcs)
	fmt.Fprintf(out, "fsync/ack: %.3f  (%d fsyncs, %d commits, %.1f acks/commit)\n", float64(syncs1-syncs0)/float64(n), syncs1-syncs0, commits1-commits0, float64(n)/float64(max(commits1-commits0, 1)))
	fmt.Fprintf(out, "RSS: %s now, %s peak (VmHWM)  disk: %s\n", mib(procStatus("VmRSS")), mib(procStatus("VmHWM")), mib(diskUsage(dir)))
	fmt.Fprintf(out, "detail: %s\n", e.extra())
	if p, ok := e.(*pebbleEngine); ok && *flagFull {
		if err := p.db.Compact(context.Background(), []byte{0}, []byte{0xff}, false); err != nil {
			return err
		}
		s3 := take()
		cpu := s2.cpu + s3.cpu - s2raw.cpu
		fmt.Fprintf(out, "cpu/ack incl. a full compaction: %s (compaction %v)  disk after: %s\n", perAck(cpu-s0.cpu), s3.at.Sub(s2.at).Round(time.Millisecond), mib(diskUsage(dir)))
	}

	if *flagCase == "dedupe-1m" {
		sort.Slice(tenths, func(i, j int) bool { return tenths[i].at.Before(tenths[j].at) })
		var rates []string
		var first, last float64
		for i := 1; i < len(tenths); i++ {
			d := tenths[i].at.Sub(tenths[i-1].at)
			r := float64(n/10) / d.Seconds()
			cpu := float64((tenths[i].cpu - tenths[i-1].cpu).Nanoseconds()) / float64(n/10) / 1e3
			rates = append(rates, fmt.Sprintf("%.0f/s %.0fµs", r, cpu))
			if i == 1 {
				first = r
			}
			last = r
		}
		fmt.Fprintf(out, "tenths (acks/s, cpu/ack): %s\nlast/first tenth: %.2f\n", strings.Join(rates, " | "), last/first)
	}

	if scanned {
		if err := afterScans(out, e, head); err != nil {
			return err
		}
	}
	return e.close()
}

// scans times the lease scan five times: seek to from (nil: queue 0) in the
// due index and read the queue's first 64 keys. It returns the first key read.
func scans(out io.Writer, e engine, label string, from []byte) ([]byte, error) {
	seek := append(append([]byte{}, queueName...), 0)
	if from != nil {
		seek = from
	}
	var times []time.Duration
	var keys int
	var pts uint64
	var first []byte
	for range 5 {
		t := time.Now()
		k, p, f, err := e.scan(seek, scanLimit)
		if err != nil {
			return nil, err
		}
		times = append(times, time.Since(t))
		keys, pts, first = k, p, f
	}
	fmt.Fprintf(out, "scan %-34s first %-9v median of 5 %-9v keys %d, internal points %d\n", label+":", times[0].Round(time.Microsecond), median(times).Round(time.Microsecond), keys, pts)
	return first, nil
}

// afterScans times the lease scan after the settle (flush and compactions
// done), after a manual compaction of the due index (Pebble), and from a
// remembered head (the first live key) instead of queue 0.
func afterScans(out io.Writer, e engine, head []byte) error {
	if _, err := scans(out, e, "settled", nil); err != nil {
		return err
	}
	if head != nil {
		if _, err := scans(out, e, "seek from the remembered head", head); err != nil {
			return err
		}
	}
	if p, ok := e.(*pebbleEngine); ok {
		lo := []byte{pDue}
		hi := append(append([]byte{pDue}, queueName...), 1)
		t := time.Now()
		if err := p.db.Compact(context.Background(), lo, hi, false); err != nil {
			return err
		}
		fmt.Fprintf(out, "compacted the due index in %v\n", time.Since(t).Round(time.Millisecond))
		if _, err := scans(out, e, "after Compact(due)", nil); err != nil {
			return err
		}
	}
	return nil
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
