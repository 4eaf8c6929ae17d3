package queue

import (
	"encoding/binary"
	"math"
	"time"
)

// Attempt is one delivery attempt of a message as the store keeps it: when,
// the upstream's status (0: no answer), how long it took, the error, and,
// when the upstream keeps responses (keep_responses), the start of the
// answer's body.
type Attempt struct {
	At        time.Time `json:"at"`
	Status    int       `json:"status,omitempty"`
	LatencyMS float64   `json:"latency_ms"`
	Error     string    `json:"error,omitempty"`
	Response  string    `json:"response,omitempty"`
}

// MaxHistory bounds the attempts kept with a message: the last ones.
const MaxHistory = 20

// MaxResponse bounds the part of an answer's body an attempt keeps.
const MaxResponse = 1 << 10

// Record appends a to m's history, keeping the last MaxHistory attempts.
func (m *Message) Record(a Attempt) {
	if len(a.Response) > MaxResponse {
		a.Response = a.Response[:MaxResponse]
	}
	if n := len(m.History); n >= MaxHistory {
		m.History = append(m.History[:0:0], m.History[n-MaxHistory+1:]...)
	}
	m.History = append(m.History, a)
}

// The history extension of a record's header (formats 1 and 2): written
// after the header's fields only when a message has a delivery time, a keep
// time or attempts, so that other records keep the layout older binaries
// read; a header that ends without it reads as no history.
//
// Layout: a flags byte (hasDelivered, hasKeep), those times, a uvarint
// count of attempts, and each attempt: its time, uvarint status, uvarint
// latency in µs, length-prefixed error and response.
const (
	hasDelivered = 1 << iota
	hasKeep
)

func hasExtension(m *Message) bool {
	return !m.DeliveredAt.IsZero() || !m.KeepUntil.IsZero() || len(m.History) > 0
}

func appendExtension(b []byte, m *Message) []byte {
	if !hasExtension(m) {
		return b
	}
	flags := byte(0)
	if !m.DeliveredAt.IsZero() {
		flags |= hasDelivered
	}
	if !m.KeepUntil.IsZero() {
		flags |= hasKeep
	}
	b = append(b, flags)
	for _, t := range []time.Time{m.DeliveredAt, m.KeepUntil} {
		if !t.IsZero() {
			b = binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
		}
	}
	b = binary.AppendUvarint(b, uint64(len(m.History)))
	for _, a := range m.History {
		at := int64(0) // the zero time, not 1754's nanoseconds
		if !a.At.IsZero() {
			at = a.At.UnixNano()
		}
		b = binary.BigEndian.AppendUint64(b, uint64(at))
		b = binary.AppendUvarint(b, uint64(max(a.Status, 0)))
		b = binary.AppendUvarint(b, uint64(max(math.Round(a.LatencyMS*1000), 0))) // µs: exact again after decoding
		b = appendStr(b, a.Error)
		b = appendStr(b, a.Response)
	}
	return b
}

// readExtension reads the extension, if the header goes on.
func readExtension(r *reader[string], m *Message) {
	if len(r.b) == 0 || r.err != nil {
		return
	}
	flags := r.byte()
	m.DeliveredAt, m.KeepUntil = r.time(flags, hasDelivered), r.time(flags, hasKeep)
	n := r.int()
	if n > len(r.b) { // each attempt takes bytes: a larger count is corrupt
		r.fail()
		return
	}
	if n > 0 {
		m.History = make([]Attempt, n)
	}
	for i := range m.History {
		a := &m.History[i]
		if a.At = r.time(1, 1); a.At.UnixNano() == 0 {
			a.At = time.Time{}
		}
		a.Status = r.int()
		a.LatencyMS = float64(r.uvarint()) / 1000
		a.Error, a.Response = r.str(), r.str()
	}
}
