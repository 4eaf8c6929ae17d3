package queue

import (
	"encoding/binary"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const sampleTraceParent = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

// A message without a traceparent is written exactly as before
// extensions existed; one with it reads back with it, in every form.
func TestTraceParentExtension(t *testing.T) {
	m := sampleMessage()
	plain := EncodeRecord(&m)
	plainMeta := EncodeMeta(&m)

	traced := m
	traced.TraceParent = sampleTraceParent
	rec := EncodeRecord(&traced)
	assert.Greater(t, len(rec), len(plain), "the traceparent is stored")
	got, err := DecodeRecord(rec)
	require.NoError(t, err)
	assert.Equal(t, traced, *got)

	meta := EncodeMeta(&traced)
	gotMeta, err := DecodeMeta(meta)
	require.NoError(t, err)
	assert.Equal(t, sampleTraceParent, gotMeta.TraceParent)
	assert.Greater(t, len(meta), len(plainMeta))

	got, err = DecodeRecord(plain)
	require.NoError(t, err)
	assert.Empty(t, got.TraceParent, "records without it behave as today")

	place, err := DecodePlacement(rec)
	require.NoError(t, err)
	assert.Equal(t, m.ID, place.ID)

	grouped := traced
	grouped.Group = grouped.ID
	got, err = DecodeMeta(EncodeMeta(&grouped))
	require.NoError(t, err)
	assert.Equal(t, sampleTraceParent, got.TraceParent, "format 2 too")
}

// Reading a header: an unknown extension (a newer binary's) is skipped; a
// truncated or oversized one is corrupt.
func TestExtensionsDecoding(t *testing.T) {
	m := sampleMessage()
	m.Body = nil
	base := encodeHeader(nil, &m)
	record := func(h []byte) []byte {
		return append(binary.AppendUvarint([]byte{formatV1}, uint64(len(h))), h...)
	}

	unknown := appendStr(binary.AppendUvarint(append([]byte(nil), base...), 99), "future")
	unknown = appendStr(binary.AppendUvarint(unknown, extTraceParent), sampleTraceParent)
	got, err := DecodeRecord(record(unknown))
	require.NoError(t, err)
	assert.Equal(t, sampleTraceParent, got.TraceParent)

	cut := binary.AppendUvarint(append([]byte(nil), base...), extTraceParent)
	_, err = DecodeRecord(record(append(cut, 10, 'x')))
	assert.Error(t, err, "a value shorter than its length")

	long := appendStr(binary.AppendUvarint(append([]byte(nil), base...), extTraceParent), string(make([]byte, maxTraceParent+1)))
	_, err = DecodeRecord(record(long))
	assert.Error(t, err, "an oversized traceparent")
}

// The JSON of the admin API and of legacy records carries it under
// "traceparent", and leaves it out when empty.
func TestTraceParentJSON(t *testing.T) {
	m := sampleMessage()
	m.TraceParent = sampleTraceParent
	got, err := DecodeRecord(legacyRecord(t, &m))
	require.NoError(t, err)
	assert.Equal(t, sampleTraceParent, got.TraceParent)
}

// The three extensions together (traceparent, history, event type) read
// back whole, in records and Redis metas alike.
func TestAllExtensionsTogether(t *testing.T) {
	m := sampleMessage()
	m.TraceParent, m.EventType = sampleTraceParent, "invoice.paid"
	m.Record(Attempt{At: m.ReceivedAt, Status: 503, LatencyMS: 12.5, Error: "upstream answered 503"})
	got, err := DecodeRecord(EncodeRecord(&m))
	require.NoError(t, err)
	assert.Equal(t, m, *got)
	meta, err := DecodeMeta(EncodeMeta(&m))
	require.NoError(t, err)
	assert.Equal(t, "invoice.paid", meta.EventType)
	assert.Equal(t, sampleTraceParent, meta.TraceParent)
	assert.Len(t, meta.History, 1)
}
