// Package queue holds the durable message queue of Hookgate: the message
// model, the Store and EndpointStore interfaces that its backends implement
// (queue/bolt: embedded; queue/redis: shared), the storage module interface
// they register, and the record codec (codec.go). queue/storetest is the
// contract suite every backend runs. Delivering the messages is the
// delivery package's work.
package queue

import (
	"crypto/rand"
	"encoding/binary"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"
)

// State is where a message is in its life.
type State string

// The states a stored message can be in. A delivered message is removed,
// unless its upstream keeps delivered messages (keep_delivered): then it
// stays as delivered until KeepUntil, listable and replayable.
const (
	StateQueued    State = "queued"
	StateDead      State = "dead"
	StateDelivered State = "delivered"
)

// Message is one webhook waiting for delivery. Body and Header are the
// request as received; they are never logged.
type Message struct {
	ID        string      `json:"id"`
	Queue     string      `json:"queue"`
	Method    string      `json:"method"`
	URL       string      `json:"url"` // the delivery target
	Header    http.Header `json:"header,omitempty"`
	Body      []byte      `json:"-"`
	Size      int         `json:"size"` // of Body, kept when Body is not loaded
	DedupeKey string      `json:"dedupe_key,omitempty"`
	// OrderKey, when set, orders delivery: of the queued messages with one
	// OrderKey, only the oldest (by id: acceptance order) is attempted, so
	// they are delivered one at a time, in order. A dead letter no longer
	// holds its key back.
	OrderKey   string    `json:"order_key,omitempty"`
	ReceivedAt time.Time `json:"received_at"`
	// Group, set by Store.EnqueueAll on the deliveries of one webhook
	// fanned out to several queues, is the id of the group's first
	// delivery (the holder of its dedupe key); the deliveries share one
	// stored body. Empty for a message of its own.
	Group string `json:"group,omitempty"`

	State       State     `json:"state"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"next_attempt,omitzero"`
	LastStatus  int       `json:"last_status,omitempty"`
	LastError   string    `json:"last_error,omitempty"`
	DeadAt      time.Time `json:"dead_at,omitzero"`

	// TraceParent is the W3C traceparent of the request that brought the
	// message in, when Caddy's tracing was on for it: each delivery
	// attempt is a span of that trace, a child of the request's span.
	// Empty without tracing. See codec_ext.go for how it is stored.
	TraceParent string `json:"traceparent,omitempty"`
	// EventType is the event type of an outbound route's message (its
	// event_type template), so that replays and deletes can select by it.
	// Empty elsewhere. Stored as a header extension (codec_ext.go).
	EventType string `json:"event_type,omitempty"`
	// DeliveredAt is when a kept delivered message was delivered, and
	// KeepUntil when it goes (the store's Purge removes it after).
	DeliveredAt time.Time `json:"delivered_at,omitzero"`
	KeepUntil   time.Time `json:"keep_until,omitzero"`
	// History is the message's last attempts (at most MaxHistory), oldest
	// first. The admin API shows it on its own (see Attempt).
	History []Attempt `json:"-"`
}

// Key is a dedupe record to claim: Value within Scope, held until Expires.
type Key struct {
	Scope   string
	Value   string
	Expires time.Time
}

// Empty reports whether there is no key to claim.
func (k Key) Empty() bool { return k.Value == "" }

// Errors returned by stores.
var (
	// ErrDuplicate: the dedupe key is already held by an unexpired record.
	ErrDuplicate = errors.New("duplicate")
	// ErrNotFound: no message with that id.
	ErrNotFound = errors.New("message not found")
	// ErrClosed: the store has been closed.
	ErrClosed = errors.New("store closed")
)

// idAlphabet is Crockford's base32, in which ids are written.
const idAlphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// NewID returns a new message id: "msg_" and 26 Crockford base32 characters,
// sortable by creation time (ULID layout: 48-bit milliseconds, 80 random
// bits). Within one millisecond the ids of a process increase (the random
// part of the last one plus one, as ULID's monotonic mode does): order_by
// delivers a key's messages in id order, and two webhooks accepted one
// after the other in the same millisecond must keep their order.
func NewID(now time.Time) string {
	b := lastID.next(uint64(now.UnixMilli()))
	var out [26]byte
	hi, lo := binary.BigEndian.Uint64(b[:8]), binary.BigEndian.Uint64(b[8:])
	for i := 25; i >= 0; i-- {
		out[i] = idAlphabet[lo&31]
		lo = lo>>5 | hi<<59
		hi >>= 5
	}
	return "msg_" + string(out[:])
}

// idState is the last id made, so that the next one of the same
// millisecond is made from it.
type idState struct {
	mu   sync.Mutex
	last [16]byte
}

var lastID idState

func (s *idState) next(ms uint64) [16]byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.last
	if binary.BigEndian.Uint64(b[:8])>>16 != ms || !increment(b[6:]) {
		binary.BigEndian.PutUint64(b[:8], ms<<16)
		_, _ = rand.Read(b[6:])
	}
	s.last = b
	return b
}

// increment adds one to the big-endian number r; false if it overflowed.
func increment(r []byte) bool {
	for i := len(r) - 1; i >= 0; i-- {
		if r[i]++; r[i] != 0 {
			return true
		}
	}
	return false
}

// IDTime returns the creation time that a valid id carries, to the
// millisecond: its first ten characters are the 48-bit milliseconds.
func IDTime(id string) time.Time {
	var ms int64
	for _, c := range strings.TrimPrefix(id, "msg_")[:10] {
		ms = ms<<5 | int64(strings.IndexRune(idAlphabet, c))
	}
	return time.UnixMilli(ms)
}

// ValidID reports whether s has the shape of a message id, so that admin
// requests with garbage ids are refused before they reach a store.
func ValidID(s string) bool {
	rest, ok := strings.CutPrefix(s, "msg_")
	if !ok || len(rest) != 26 {
		return false
	}
	for _, c := range rest {
		if !strings.ContainsRune(idAlphabet, c) {
			return false
		}
	}
	return true
}
