package queue

import (
	"errors"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Storage is a webhooks.storage module (the app's "storage" config): a way
// to open a Store. Each backend registers its own.
type Storage interface {
	// Key identifies the store: configs with the same key share one
	// open store and its workers across reloads.
	Key() string
	// Open opens the store. It is called at most once per key at a time.
	Open(log *zap.Logger) (Store, error)
}

// Store is the durable state behind the queue: messages, their schedule, the
// dead-letter queue and dedupe records. Every write is durable (on disk, or
// confirmed by Redis) when the call returns.
type Store interface {
	// Enqueue stores m as queued and, unless key is empty, claims key for
	// m.ID in the same atomic commit. When the key is already held, nothing
	// is stored and Enqueue returns the holder's id with ErrDuplicate.
	// A store may keep dedupe records per route (Redis does, so that a
	// message and its record share a cluster slot): a key is a duplicate
	// within the route (QueueRoute) of the message that holds it.
	Enqueue(m *Message, key Key) (string, error)
	// EnqueueAll stores ms, one delivery each (each in its own ms[i].Queue), and claims key
	// for ms[0].ID, all in one atomic commit; the ms share one body (ms[i].Body are the same
	// bytes), which is stored once. When key is already held, nothing is stored and the holder's
	// id is returned with ErrDuplicate. len(ms) == 1 behaves exactly as Enqueue (same records).
	//
	// With several ms, EnqueueAll sets each one's Group to ms[0].ID; the
	// group's body goes with its last delivery (Delivered, Delete, Purge),
	// and Lease, Get and Replay fill it in. Their queues must be of one
	// route (see FanoutQueue and CheckGroup): the key is claimed in the
	// route's dedupe records, the same as Enqueue's into any of them.
	EnqueueAll(ms []*Message, key Key) (string, error)
	// Claim claims key for id without storing a message (verify-only
	// routes); like Enqueue, it returns the holder's id with ErrDuplicate.
	// Claims may live apart from the records of queued messages. A claim
	// by the holder itself, or by id of a key held by Hold(id), takes the
	// key over until key.Expires.
	Claim(key Key, id string) (string, error)
	// Confirm turns the hold of Hold(id) on key into id's claim until
	// key.Expires, as Claim(key, id) does, but need not wait for the disk:
	// an embedded store commits it with its next write, which sees it.
	// Until it lands, and after a crash before it does, the hold stands and
	// lapses by itself, so a sender's retry is answered as "in progress",
	// never as a duplicate of a webhook that was not handed on.
	Confirm(key Key, id string) error
	// Release drops key, taken with Claim, if id still holds it, so a retry
	// of a message that could not be handed on is not taken for a duplicate.
	Release(key Key, id string) error

	// Lease returns up to limit queued messages of queue that are due at now,
	// not leased and first of their OrderKey (if any), and leases them for d (a shared store may lease for
	// less and renew the lease while the caller holds the message). next is when the earliest
	// message not returned becomes due (zero if unknown or none).
	Lease(queue string, now time.Time, limit int, d time.Duration) (msgs []*Message, next time.Time, err error)
	// Delivered removes a delivered message and its lease.
	Delivered(id string) error
	// Update stores m after an attempt, as queued for m.NextAttempt, as
	// dead (m.State) or, for an upstream that keeps what it delivered, as
	// delivered until m.KeepUntil (its group's body stays while it does),
	// and drops its lease. It returns ErrNotFound if the
	// message was deleted meanwhile.
	Update(m *Message) error

	// Get returns one message with its body.
	Get(id string) (*Message, error)
	// List returns messages in state, of queue if not empty, oldest first,
	// without bodies.
	List(state State, queue string, limit int) ([]*Message, error)
	// Replay queues a dead or kept delivered message again, due at now,
	// its attempts reset (its History stays). Other messages are returned
	// unchanged.
	Replay(id string, now time.Time) (*Message, error)
	// Delete removes a message, queued or dead. Its dedupe record stays.
	Delete(id string) error
	// Stats counts messages per queue.
	Stats() (map[string]Stats, error)
	// Purge drops expired dedupe records, dead messages that died
	// before deadBefore and delivered messages kept until before now, in
	// bounded chunks. It returns how many records it removed.
	Purge(now, deadBefore time.Time) (int, error)

	Close() error
}

// ErrLeaseLost: another instance holds an unexpired lease on the message,
// so this instance's result of an attempt is not recorded (a shared store's
// Update returns it).
var ErrLeaseLost = errors.New("lease held by another instance")

// Stats describes one queue.
type Stats struct {
	Queued int `json:"queued"`
	Leased int `json:"in_flight"`
	Dead   int `json:"dead"`
	// Delivered counts the delivered messages kept (keep_delivered).
	Delivered int `json:"delivered"`
	// Oldest is when the oldest queued message was received (zero if the
	// queue is empty or the store does not know).
	Oldest time.Time `json:"oldest_queued,omitzero"`
}

// HoldPrefix marks a holder id as a hold (see Hold). It is not a character
// of message ids. A store that compares holders itself (Redis's scripts)
// uses it.
const HoldPrefix = "~"

// Hold is the holder id under which a verify-only route holds a dedupe key
// while the webhook is handed on: briefly, so that if Caddy dies meanwhile
// the key lapses and the sender's retry passes. Claim(key, id) then takes
// the key over for the dedupe window.
func Hold(id string) string { return HoldPrefix + id }

// HeldBy returns the id of a holder returned with ErrDuplicate, and whether
// it is a hold (the webhook is still being handed on) rather than a claim.
func HeldBy(holder string) (id string, held bool) {
	id, held = strings.CutPrefix(holder, HoldPrefix)
	return id, held
}
