package bolt

import (
	"errors"
	"fmt"
	"os"
	"runtime/debug"
	"time"

	bbolt "go.etcd.io/bbolt"
	bolterrors "go.etcd.io/bbolt/errors"
)

// ErrCorrupt is wrapped by the error of Open when the database file is
// damaged: truncated, or with pages that are not what the tree says.
var ErrCorrupt = errors.New("the database file is damaged")

// minFileSize is the smallest file bbolt writes: two meta pages, a freelist
// page and an empty root leaf, of at least 4 KiB each.
const minFileSize = 4 * 4096

// checkFile refuses a damaged existing database file with an error that
// names it, before the write open. It exists because bbolt's write open of a
// file with no synced freelist (ours: NoFreelistSync) rebuilds the freelist
// by walking the tree in a goroutine of its own, where a damaged page is an
// unrecoverable panic that names no file ("assertion failed: Page expected
// to be: 118, but self identifies as 0"), and a truncated file is a SIGBUS
// on the mmap; an empty file is silently made a new, empty database. Here a
// read-only open (which builds no freelist) walks the same pages on our
// goroutine, where both failures are recovered into an error, so Caddy
// refuses to start rather than crash obscurely or drop queued messages.
func checkFile(path string, lockTimeout time.Duration) error {
	fi, err := os.Stat(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil // a new store
	}
	if err != nil {
		return fmt.Errorf("opening %s: %w", path, err)
	}
	refuse := func(err error) error {
		return fmt.Errorf("opening %s: %w; Caddy refuses to start rather than lose or overwrite queued messages: "+
			"restore the file from a backup, or move it aside to start with an empty store", path, err)
	}
	if fi.Size() < minFileSize {
		return refuse(fmt.Errorf("%w: truncated to %d bytes", ErrCorrupt, fi.Size()))
	}
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, Timeout: lockTimeout})
	switch {
	case errors.Is(err, bolterrors.ErrTimeout):
		return fmt.Errorf("opening %s: locked by another process (is another Caddy using it?)", path)
	case err != nil:
		return refuse(fmt.Errorf("%w: %w", ErrCorrupt, err))
	}
	defer db.Close()
	if err := walkFile(db, fi.Size()); err != nil {
		return refuse(err)
	}
	return nil
}

// walkFile reads every key and the last byte of every value, which touches
// every branch, leaf and overflow page the tree reaches.
func walkFile(db *bbolt.DB, size int64) (err error) {
	defer debug.SetPanicOnFault(debug.SetPanicOnFault(true)) // a fault on the mmap becomes a panic…
	defer func() {                                           // …recovered here, as are bbolt's own assertion failures
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrCorrupt, r)
		}
	}()
	return db.View(func(tx *bbolt.Tx) error {
		if need := tx.Size(); need > size {
			return fmt.Errorf("%w: truncated to %d bytes, its pages need %d", ErrCorrupt, size, need)
		}
		return tx.ForEach(func(_ []byte, b *bbolt.Bucket) error { return walk(b) })
	})
}

func walk(b *bbolt.Bucket) error {
	c := b.Cursor()
	var sink byte
	for k, v := c.First(); k != nil; k, v = c.Next() {
		if v == nil { // a nested bucket
			if nb := b.Bucket(k); nb != nil {
				if err := walk(nb); err != nil {
					return err
				}
			}
			continue
		}
		if len(v) > 0 {
			sink ^= v[len(v)-1]
		}
	}
	_ = sink
	return nil
}
