package queue

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/http"
	"time"
)

// The record codec: how a message is laid out in a store. Both backends
// write the same format 1; each still reads the records it wrote before it.
//
// A stored message is a record: a format byte, then the format's layout.
// Records written before the format byte existed start with a zero byte
// (bbolt: a 4-byte length of a JSON header, then the body) or with '{'
// (Redis: the JSON header alone); decode still reads both.
//
// Format 1: 0x01, uvarint n, n bytes of header fields, then the raw body.
// The header's fields are length-prefixed strings (uvarint length), 64-bit
// big-endian times and uvarints, in the order of encodeHeader. The fields
// that place a message in the indexes come first, so that removing or
// replacing a message reads them without decoding the rest.
//
// Format 2 is a delivery of a fan-out group (Message.Group set): 0x02,
// uvarint n, n bytes of header — the group id (a length-prefixed string),
// then the fields of format 1 — and no body: the group's one body is kept
// by the store beside its deliveries (see queue.Store.EnqueueAll). Only
// fan-out writes it; a message without a group is written in format 1, as
// before, so older binaries read every record of a single-upstream route.
const (
	formatV1 = 1
	formatV2 = 2
)

// Bits of the header's flags byte: which times are set. A zero time is not
// written, so that it reads back as the zero time.
const (
	hasReceived = 1 << iota
	hasNext
	hasDead
)

var errCorrupt = errors.New("truncated or corrupt")

// appendRecord appends m in format 1, with body when withBody, or, when m
// has a group, in format 2 (never with a body).
func appendRecord(out []byte, m *Message, withBody bool) []byte {
	format := byte(formatV1)
	if m.Group != "" {
		format, withBody = formatV2, false
	}
	out = append(out, format)
	// The header is encoded in place, after room for the longest length
	// prefix; the prefix is then written and the header moved up to it:
	// one buffer, as EncodeRecord sizes it, and no second copy.
	at := len(out)
	out = append(out, make([]byte, binary.MaxVarintLen64)...)
	hdr := len(out)
	if m.Group != "" {
		out = appendStr(out, m.Group)
	}
	out = encodeHeader(out, m)
	n := len(out) - hdr
	at += binary.PutUvarint(out[at:], uint64(n))
	copy(out[at:], out[hdr:])
	out = out[:at+n]
	if withBody {
		out = append(out, m.Body...)
	}
	return out
}

// sizeHint is about the length of m's record header, enough in most cases.
func sizeHint(m *Message) int {
	n := 128 + len(m.Group) + len(m.Queue) + len(m.ID) + len(m.OrderKey) + len(m.Method) + len(m.URL) +
		len(m.DedupeKey) + len(m.LastError) + len(m.TraceParent) + len(m.EventType) + 64*len(m.History)
	for name, vs := range m.Header {
		n += len(name) + 2
		for _, v := range vs {
			n += len(v) + 2
		}
	}
	return n
}

// setSize sets m.Size from its body, unless m is a delivery of a group
// whose body was not loaded (List's messages): its Size stays.
func setSize(m *Message) {
	if m.Body != nil || m.Group == "" {
		m.Size = len(m.Body)
	}
}

func encodeHeader(b []byte, m *Message) []byte {
	b = appendStr(b, m.Queue)
	b = appendStr(b, m.ID)
	b = appendStr(b, m.OrderKey)
	b = appendStr(b, string(m.State))
	flags := byte(0)
	for i, t := range []time.Time{m.ReceivedAt, m.NextAttempt, m.DeadAt} {
		if !t.IsZero() {
			flags |= 1 << i
		}
	}
	b = append(b, flags)
	for _, t := range []time.Time{m.ReceivedAt, m.NextAttempt, m.DeadAt} {
		if !t.IsZero() {
			b = binary.BigEndian.AppendUint64(b, uint64(t.UnixNano()))
		}
	}
	b = appendStr(b, m.Method)
	b = appendStr(b, m.URL)
	b = appendStr(b, m.DedupeKey)
	b = appendStr(b, m.LastError)
	b = binary.AppendUvarint(b, uint64(m.Attempts))
	b = binary.AppendUvarint(b, uint64(m.LastStatus))
	b = binary.AppendUvarint(b, uint64(m.Size))
	b = appendHeader(b, m.Header)
	return appendExtensions(b, m)
}

// appendHeader writes the number of names and of values first, so that
// decoding allocates all the values at once.
func appendHeader(b []byte, h http.Header) []byte {
	values := 0
	for _, vs := range h {
		values += len(vs)
	}
	b = binary.AppendUvarint(b, uint64(len(h)))
	b = binary.AppendUvarint(b, uint64(values))
	for name, vs := range h {
		b = appendStr(b, name)
		b = binary.AppendUvarint(b, uint64(len(vs)))
		for _, v := range vs {
			b = appendStr(b, v)
		}
	}
	return b
}

func appendStr(b []byte, s string) []byte {
	b = binary.AppendUvarint(b, uint64(len(s)))
	return append(b, s...)
}

// reader reads header fields from a string (decoding: one allocation for
// every string of a message) or from bytes (index keys: none). The first
// error sticks; later reads return zero values.
type reader[T string | []byte] struct {
	b   T
	err error
}

func (r *reader[T]) uvarint() uint64 {
	var x uint64
	for i, shift := 0, 0; i < len(r.b) && shift < 64; i, shift = i+1, shift+7 {
		c := r.b[i]
		x |= uint64(c&0x7f) << shift
		if c < 0x80 {
			r.b = r.b[i+1:]
			return x
		}
	}
	r.fail()
	return 0
}

func (r *reader[T]) str() T {
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		r.fail()
		return r.b[:0]
	}
	s := r.b[:n]
	r.b = r.b[n:]
	return s
}

func (r *reader[T]) byte() byte {
	if len(r.b) < 1 {
		r.fail()
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return c
}

// time reads a time when flags has bit; unset times are zero.
func (r *reader[T]) time(flags, bit byte) time.Time {
	if flags&bit == 0 {
		return time.Time{}
	}
	if len(r.b) < 8 {
		r.fail()
		return time.Time{}
	}
	var n uint64
	for i := range 8 {
		n = n<<8 | uint64(r.b[i])
	}
	r.b = r.b[8:]
	return time.Unix(0, int64(n)).UTC()
}

func (r *reader[T]) int() int {
	n := r.uvarint()
	if n > math.MaxInt32 {
		r.fail()
	}
	return int(n)
}

func (r *reader[T]) fail() {
	if r.err == nil {
		r.err = errCorrupt
	}
	r.b = r.b[:0]
}

// splitV1 returns the header and body of a format-1 (or format-2) record.
func splitV1[T string | []byte](rec T) (hdr, body T, err error) {
	r := reader[T]{b: rec[1:]}
	n := r.uvarint()
	if r.err != nil || n > uint64(len(r.b)) {
		return rec[:0], rec[:0], errCorrupt
	}
	return r.b[:n], r.b[n:], nil
}

// decodeHeader reads the fields of a format-1 header, or of a format-2 one
// (the group id first) when v2.
func decodeHeader(hdr string, v2 bool) (*Message, error) {
	r := reader[string]{b: hdr}
	var group string
	if v2 {
		group = r.str()
	}
	m := &Message{Group: group, Queue: r.str(), ID: r.str(), OrderKey: r.str(), State: State(r.str())}
	flags := r.byte()
	m.ReceivedAt, m.NextAttempt, m.DeadAt = r.time(flags, hasReceived), r.time(flags, hasNext), r.time(flags, hasDead)
	m.Method, m.URL, m.DedupeKey, m.LastError = r.str(), r.str(), r.str(), r.str()
	m.Attempts, m.LastStatus, m.Size = r.int(), r.int(), r.int()
	m.Header = readHeader(&r)
	readExtensions(&r, m)
	return m, r.err
}

func readHeader(r *reader[string]) http.Header {
	names, values := r.int(), r.int()
	// Each name and value takes a byte at least: larger counts are corrupt,
	// and must not size an allocation.
	if names == 0 || r.err != nil || names > len(r.b) || values > len(r.b) {
		return nil
	}
	h := make(http.Header, names)
	all := make([]string, values)
	for range names {
		name, n := r.str(), r.int()
		if n > len(all) {
			r.fail()
			return nil
		}
		for i := range n {
			all[i] = r.str()
		}
		h[name], all = all[:n:n], all[n:]
	}
	return h
}

// DecodePlacement reads the fields of a stored record (body included, as
// EncodeRecord writes it) that place the message in a store's indexes —
// Queue, ID, OrderKey, State, NextAttempt, DeadAt, KeepUntil and Group — without
// decoding the rest. Other fields may be left zero.
func DecodePlacement(rec []byte) (Message, error) {
	if len(rec) == 0 || (rec[0] != formatV1 && rec[0] != formatV2) {
		m, err := DecodeRecord(rec)
		if err != nil {
			return Message{}, err
		}
		return *m, nil
	}
	hdr, _, err := splitV1(rec)
	if err != nil {
		return Message{}, err
	}
	r := reader[[]byte]{b: hdr}
	var m Message
	if rec[0] == formatV2 {
		m.Group = string(r.str())
	}
	m.Queue, m.ID, m.OrderKey = string(r.str()), string(r.str()), string(r.str())
	m.State = State(r.str())
	flags := r.byte()
	r.time(flags, hasReceived)
	m.NextAttempt, m.DeadAt = r.time(flags, hasNext), r.time(flags, hasDead)
	if r.err != nil {
		return Message{}, r.err
	}
	if m.State == StateDelivered { // KeepUntil is in the extension, at the end
		full, err := decodeHeader(string(hdr), rec[0] == formatV2)
		if err != nil {
			return Message{}, err
		}
		m.DeliveredAt, m.KeepUntil = full.DeliveredAt, full.KeepUntil
	}
	return m, nil
}

// EncodeRecord lays out m as a record in the current format: a compact
// binary header, then the raw body (format 1), or, for a delivery of a
// fan-out group, the header alone (format 2: the store keeps the body
// apart). It sets m.Size (from m.Body, if loaded).
func EncodeRecord(m *Message) []byte {
	setSize(m)
	n := 1 + binary.MaxVarintLen64 + sizeHint(m)
	if m.Group == "" {
		n += len(m.Body)
	}
	return appendRecord(make([]byte, 0, n), m, true)
}

// DecodeRecord reads a record with its body, of any format: the current
// ones, or the length-prefixed JSON header of the embedded store's records
// written before them. A delivery of a group (format 2) comes without its
// body: the store fills it in.
func DecodeRecord(b []byte) (*Message, error) {
	if len(b) > 0 && (b[0] == formatV1 || b[0] == formatV2) {
		hdr, body, err := splitV1(b)
		if err == nil && b[0] == formatV2 && len(body) != 0 {
			err = errCorrupt
		}
		if err != nil {
			return nil, fmt.Errorf("message record: %w", err)
		}
		m, err := decodeHeader(string(hdr), b[0] == formatV2)
		if err != nil {
			return nil, fmt.Errorf("message record: %w", err)
		}
		m.Body = append([]byte(nil), body...)
		return m, nil
	}
	return decodeJSON(b)
}

// decodeJSON reads a record written before the format byte: a 4-byte
// length, that many bytes of JSON header, then the body.
func decodeJSON(b []byte) (*Message, error) {
	if len(b) < 4 {
		return nil, fmt.Errorf("message record too short (%d bytes)", len(b))
	}
	n := int(binary.BigEndian.Uint32(b))
	if n > len(b)-4 {
		return nil, fmt.Errorf("message record truncated")
	}
	m := new(Message)
	if err := json.Unmarshal(b[4:4+n], m); err != nil {
		return nil, fmt.Errorf("message record: %w", err)
	}
	m.Body = append([]byte(nil), b[4+n:]...)
	return m, nil
}

// EncodeMeta is a message without its body, for a store that keeps the
// body beside it (Redis), so that listing and updating never move bodies: a
// format-1 record with no body (format 2 for a delivery of a group). It
// sets m.Size if m has a body.
func EncodeMeta(m *Message) string {
	if m.Body != nil {
		m.Size = len(m.Body)
	}
	return string(appendRecord(make([]byte, 0, 1+binary.MaxVarintLen64+sizeHint(m)), m, false))
}

// DecodeMeta reads a meta of EncodeMeta, or the JSON of one written by the
// Redis store before format 1.
func DecodeMeta(meta string) (*Message, error) {
	if len(meta) == 0 || (meta[0] != formatV1 && meta[0] != formatV2) {
		m := new(Message)
		if err := json.Unmarshal([]byte(meta), m); err != nil {
			return nil, fmt.Errorf("message record: %w", err)
		}
		return m, nil
	}
	hdr, body, err := splitV1(meta)
	if err == nil && len(body) != 0 {
		err = errCorrupt
	}
	if err != nil {
		return nil, fmt.Errorf("message record: %w", err)
	}
	m, err := decodeHeader(hdr, meta[0] == formatV2)
	if err != nil {
		return nil, fmt.Errorf("message record: %w", err)
	}
	return m, nil
}
