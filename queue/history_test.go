package queue

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestHistoryRoundTrip(t *testing.T) {
	m := sampleMessage()
	plain := EncodeRecord(&m)
	m.State, m.NextAttempt, m.OrderKey = StateDelivered, time.Time{}, ""
	m.DeliveredAt = m.ReceivedAt.Add(time.Second)
	m.KeepUntil = m.DeliveredAt.Add(24 * time.Hour)
	m.Record(Attempt{At: m.ReceivedAt, Status: 503, LatencyMS: 12.345, Error: "upstream answered 503", Response: "busy"})
	m.Record(Attempt{At: m.DeliveredAt, Status: 200, LatencyMS: 1.5, Response: strings.Repeat("x", 2000)})
	require.Len(t, m.History[1].Response, MaxResponse)

	rec := EncodeRecord(&m)
	assert.Greater(t, len(rec), len(plain))
	got, err := DecodeRecord(rec)
	require.NoError(t, err)
	assert.Equal(t, m, *got)

	meta, err := DecodeMeta(EncodeMeta(&m))
	require.NoError(t, err)
	assert.Equal(t, m.History, meta.History)

	p, err := DecodePlacement(rec)
	require.NoError(t, err)
	assert.Equal(t, m.KeepUntil, p.KeepUntil, "a delivered message is placed by its keep time")

	g := m
	g.Group = m.ID
	got, err = DecodeRecord(EncodeRecord(&g))
	require.NoError(t, err)
	assert.Equal(t, g.History, got.History, "format 2 carries the history too")
}

func TestRecordWithoutHistoryIsUnchanged(t *testing.T) {
	m := sampleMessage()
	m.Header = map[string][]string{"Content-Type": {"application/json"}}
	rec := EncodeRecord(&m)
	got, err := DecodeRecord(rec)
	require.NoError(t, err)
	assert.Nil(t, got.History, "an old record has no attempts")
	// The layout older binaries read: the header ends with the header map.
	hdr, _, err := splitV1(rec)
	require.NoError(t, err)
	assert.Equal(t, appendHeader(nil, m.Header), hdr[len(hdr)-len(appendHeader(nil, m.Header)):])
}

// Latencies survive any number of rewrites (each Update re-encodes them).
func TestHistoryLatencyStable(t *testing.T) {
	m := sampleMessage()
	for us := range 2000 {
		m.History = nil
		m.Record(Attempt{LatencyMS: float64(us) / 1000})
		got, err := DecodeRecord(EncodeRecord(&m))
		require.NoError(t, err)
		again, err := DecodeRecord(EncodeRecord(got))
		require.NoError(t, err)
		require.Equal(t, m.History, again.History, "%d µs", us)
	}
}

func TestHistoryKeepsTheLastAttempts(t *testing.T) {
	var m Message
	for i := range MaxHistory + 5 {
		m.Record(Attempt{Status: i})
	}
	require.Len(t, m.History, MaxHistory)
	assert.Equal(t, 5, m.History[0].Status)
	assert.Equal(t, MaxHistory+4, m.History[MaxHistory-1].Status)
}
