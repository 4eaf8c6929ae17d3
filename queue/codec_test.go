package queue

import (
	"encoding/binary"
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func sampleMessage() Message {
	at := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)
	return Message{
		ID: NewID(at), Queue: "q", Method: http.MethodPost, URL: "http://up/hook",
		Header: http.Header{"Content-Type": {"application/json"}, "X-Multi": {"a", "b"}},
		Body:   []byte(`{"id":"evt_1"}`), DedupeKey: "evt_1", OrderKey: "cust_1",
		ReceivedAt: at, State: StateQueued, Attempts: 2, NextAttempt: at.Add(time.Minute),
		LastStatus: 503, LastError: "upstream answered 503",
	}
}

// legacyRecord is how bbolt records were written before the format byte: a
// 4-byte length, the JSON header, the body.
func legacyRecord(t *testing.T, m *Message) []byte {
	meta, err := json.Marshal(m)
	require.NoError(t, err)
	rec := binary.BigEndian.AppendUint32(nil, uint32(len(meta)))
	return append(append(rec, meta...), m.Body...)
}

func TestRecordStartsWithItsFormat(t *testing.T) {
	m := sampleMessage()
	rec := EncodeRecord(&m)
	assert.Equal(t, byte(formatV1), rec[0])
	assert.Equal(t, m.Body, rec[len(rec)-len(m.Body):], "the body is stored raw, at the end")
	assert.Less(t, len(rec)-len(m.Body), 200, "the header stays compact")
}

func TestLegacyRecordsStillRead(t *testing.T) {
	m := sampleMessage()
	m.Size = len(m.Body)
	got, err := DecodeRecord(legacyRecord(t, &m))
	require.NoError(t, err)
	assert.Equal(t, m, *got, "bbolt record with a JSON header")

	meta, err := json.Marshal(&m)
	require.NoError(t, err)
	got, err = DecodeMeta(string(meta))
	require.NoError(t, err)
	want := m
	want.Body = nil
	assert.Equal(t, want, *got, "Redis meta in JSON")
}

func TestRedisMetaRoundTrip(t *testing.T) {
	m := sampleMessage()
	meta := EncodeMeta(&m)
	assert.Equal(t, byte(formatV1), meta[0])
	got, err := DecodeMeta(meta)
	require.NoError(t, err)
	want := m
	want.Body = nil
	assert.Equal(t, want, *got)
	_, err = DecodeMeta(meta + "x")
	assert.Error(t, err, "a meta has no body")
}

// TestDecodePlacement: the fields that place a message in a store's
// indexes read the same from its header alone as from the whole record,
// of either format.
func TestDecodePlacement(t *testing.T) {
	queued := sampleMessage()
	dead := sampleMessage()
	dead.State, dead.DeadAt, dead.NextAttempt, dead.OrderKey = StateDead, dead.ReceivedAt.Add(time.Hour), time.Time{}, ""
	for _, m := range []Message{queued, dead} {
		for name, r := range map[string][]byte{"format 1": EncodeRecord(&m), "legacy": legacyRecord(t, &m)} {
			got, err := DecodePlacement(r)
			require.NoError(t, err, name)
			assert.Equal(t, m.Queue, got.Queue, name)
			assert.Equal(t, m.ID, got.ID, name)
			assert.Equal(t, m.OrderKey, got.OrderKey, name)
			assert.Equal(t, m.State, got.State, name)
			assert.True(t, m.NextAttempt.Equal(got.NextAttempt), name)
			assert.True(t, m.DeadAt.Equal(got.DeadAt), name)
		}
	}
}

func TestRecordCorruptionIsAnError(t *testing.T) {
	m := sampleMessage()
	m.Body = nil
	rec := EncodeRecord(&m)
	for i := 1; i < len(rec); i++ {
		_, err := DecodeRecord(rec[:i])
		assert.Error(t, err, "cut at %d of %d", i, len(rec))
	}
	long := append([]byte{formatV1}, binary.AppendUvarint(nil, 1<<40)...)
	_, err := DecodeRecord(long)
	assert.Error(t, err, "a header length past the end")
	_, err = DecodePlacement(long)
	assert.Error(t, err)
}

// FuzzDecodeRecord: no input makes decoding panic or allocate without
// bound, and what decodes re-encodes to a record that decodes the same.
func FuzzDecodeRecord(f *testing.F) {
	m := sampleMessage()
	rec := EncodeRecord(&m)
	f.Add(rec)
	f.Add(rec[:len(rec)/2])
	f.Add([]byte{formatV1, 0})
	m.State, m.DeliveredAt, m.KeepUntil = StateDelivered, m.ReceivedAt, m.ReceivedAt.Add(time.Hour)
	m.Record(Attempt{At: m.ReceivedAt, Status: 200, LatencyMS: 0.003, Error: "e", Response: "r"})
	f.Add(EncodeRecord(&m))
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = DecodePlacement(b)
		_, _ = DecodeMeta(string(b))
		m, err := DecodeRecord(b)
		if err != nil || b[0] != formatV1 {
			return
		}
		again := EncodeRecord(m)
		got, err := DecodeRecord(again)
		require.NoError(t, err)
		assert.Equal(t, m, got)
	})
}

// A delivery of a fan-out group is written in format 2: its group, its
// header, no body; every decoder reads the group back.
func TestGroupRecordFormat2(t *testing.T) {
	m := sampleMessage()
	m.Group = NewID(m.ReceivedAt)
	rec := EncodeRecord(&m)
	assert.Equal(t, byte(formatV2), rec[0])
	assert.Equal(t, len(m.Body), m.Size)
	assert.NotContains(t, string(rec), string(m.Body), "no body in the record")

	got, err := DecodeRecord(rec)
	require.NoError(t, err)
	want := m
	want.Body = nil
	assert.Equal(t, want, *got)

	p, err := DecodePlacement(rec)
	require.NoError(t, err)
	assert.Equal(t, m.Group, p.Group)
	assert.Equal(t, m.ID, p.ID)
	assert.Equal(t, m.Queue, p.Queue)
	assert.True(t, m.NextAttempt.Equal(p.NextAttempt))

	meta := EncodeMeta(&m)
	assert.Equal(t, byte(formatV2), meta[0])
	got, err = DecodeMeta(meta)
	require.NoError(t, err)
	assert.Equal(t, want, *got)

	// Re-encoded without the body loaded (a listed message), Size stays.
	EncodeRecord(got)
	assert.Equal(t, len(m.Body), got.Size)

	_, err = DecodeRecord(append(rec, 'x'))
	assert.Error(t, err, "a format-2 record carries no body")
}

// A message without a group is written in format 1, as before.
func TestNoGroupFormat1(t *testing.T) {
	m := sampleMessage()
	assert.Equal(t, byte(formatV1), EncodeRecord(&m)[0])
	assert.Equal(t, byte(formatV1), EncodeMeta(&m)[0])
}

func TestFanoutQueueAndCheckGroup(t *testing.T) {
	assert.Equal(t, "github>ci", FanoutQueue("github", "ci"))
	for q, route := range map[string]string{"github": "github", "github>ci": "github", "a>b>c": "a", "outbound:x:y": "outbound:x:y"} {
		assert.Equal(t, route, QueueRoute(q), q)
	}
	m := func(q, body string) *Message { return &Message{ID: NewID(time.Now()), Queue: q, Body: []byte(body)} }
	require.NoError(t, CheckGroup([]*Message{m("r", "x"), m("r>b", "x"), m("r>c", "x")}))
	require.NoError(t, CheckGroup([]*Message{m("r>b", "x")}))
	for name, ms := range map[string][]*Message{
		"empty":       nil,
		"two routes":  {m("r", "x"), m("s>b", "x")},
		"two lengths": {m("r", "x"), m("r>b", "xy")},
	} {
		assert.ErrorIs(t, CheckGroup(ms), ErrBadGroup, name)
	}
	a := m("r", "x")
	assert.ErrorIs(t, CheckGroup([]*Message{a, a}), ErrBadGroup, "one id twice")
}

// TestEncodeRecordAllocatesOnce: a webhook's record, forwarded headers and
// 1 KiB body included, is written into one buffer sized up front.
func TestEncodeRecordAllocatesOnce(t *testing.T) {
	m := sampleMessage()
	m.Body = make([]byte, 1024)
	m.TraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"
	for _, h := range []string{"User-Agent", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host", "X-Webhook-Signature", "Accept-Encoding"} {
		m.Header.Set(h, "a value of about sixty-four bytes, like a signature or an agent")
	}
	assert.Equal(t, 1.0, testing.AllocsPerRun(100, func() { EncodeRecord(&m) }))
	got, err := DecodeRecord(EncodeRecord(&m))
	require.NoError(t, err)
	assert.Equal(t, m.Header, got.Header)
	assert.Equal(t, m.Body, got.Body)
}
