package queue

import (
	"net/http"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMessageEncodeDecode(t *testing.T) {
	at := time.Date(2025, 3, 1, 12, 0, 0, 123456789, time.UTC)
	binary := make([]byte, 256)
	for i := range binary {
		binary[i] = byte(i) // every byte value, NUL and 0xff included
	}
	for _, tc := range []struct {
		name string
		msg  Message
	}{
		{name: "binary body and every field", msg: Message{
			ID: NewID(at), Queue: "q", Method: http.MethodPost, URL: "http://up/hook?a=1",
			Header:    http.Header{"Content-Type": {"application/octet-stream"}, "X-Multi": {"a", "b"}},
			Body:      binary,
			DedupeKey: "evt_1", ReceivedAt: at, State: StateDead, Attempts: 3,
			NextAttempt: at.Add(time.Minute), LastStatus: 503, LastError: "upstream answered 503",
			DeadAt: at.Add(time.Hour),
		}},
		{name: "body that looks like a header", msg: Message{
			ID: NewID(at), Queue: "q", Method: http.MethodPut, Body: []byte("\x00\x00\x00\x02{}"),
			ReceivedAt: at, State: StateQueued,
		}},
		{name: "no body, no header", msg: Message{ID: NewID(at), Queue: "q", Method: http.MethodPost, ReceivedAt: at, State: StateQueued}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.msg
			rec := EncodeRecord(&m)
			assert.Equal(t, len(m.Body), m.Size, "encode records the body size")

			got, err := DecodeRecord(rec)
			require.NoError(t, err)
			assert.Equal(t, len(tc.msg.Body), got.Size)
			if len(tc.msg.Body) == 0 {
				assert.Empty(t, got.Body)
				got.Body = m.Body
			}
			assert.Equal(t, m, *got)
			assert.True(t, tc.msg.ReceivedAt.Equal(got.ReceivedAt))
		})
	}
}

func TestMessageDecodeCorrupt(t *testing.T) {
	good := EncodeRecord(&Message{ID: "msg_x", Body: []byte("body")})
	for _, tc := range []struct {
		name string
		rec  []byte
		want string
	}{
		{name: "empty", rec: nil, want: "too short"},
		{name: "short", rec: []byte{0, 0, 1}, want: "too short"},
		{name: "length past end", rec: []byte{0, 0, 1, 0, '{', '}'}, want: "truncated"},
		{name: "bad json", rec: []byte{0, 0, 0, 2, '{', 'x'}, want: "message record"},
		{name: "meta cut short", rec: good[:10], want: "truncated"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := DecodeRecord(tc.rec)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestNewIDSortableAndValid(t *testing.T) {
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var ids []string
	seen := map[string]bool{}
	for i := range 200 {
		// Millisecond steps, up to years apart, so that the time prefix differs.
		at := base.Add(time.Duration(i*i*i) * time.Millisecond * 997)
		id := NewID(at)
		require.True(t, ValidID(id), "NewID output %q refused by ValidID", id)
		require.Len(t, id, len("msg_")+26)
		require.Equal(t, at.UnixMilli(), IDTime(id).UnixMilli(), "IDTime of %s", id)
		require.False(t, seen[id], "duplicate id %q", id)
		seen[id] = true
		ids = append(ids, id)
	}
	assert.True(t, sort.StringsAreSorted(ids), "ids of increasing times must sort in time order")

	// Same millisecond: the random part still makes the ids unique.
	a, b := NewID(base), NewID(base)
	assert.NotEqual(t, a, b)
	assert.Equal(t, a[:4+10], b[:4+10], "the first 10 characters encode the millisecond")
}

func TestValidID(t *testing.T) {
	good := NewID(time.Now())
	body := good[4:]                    // the 26 characters
	swapLast := func(r string) string { // body with its last byte(s) replaced, still 26 bytes
		return "msg_" + body[:26-len(r)] + r
	}
	for _, tc := range []struct {
		id   string
		want bool
	}{
		{good, true},
		{"msg_01H" + strings.Repeat("Z", 23), true},
		{"msg_" + strings.Repeat("0", 26), true},
		{"", false},
		{"msg_", false},
		{body, false},                           // no prefix
		{"evt_" + body, false},                  // other prefix
		{"MSG_" + body, false},                  // the prefix is case-sensitive
		{good[:len(good)-1], false},             // 25 characters
		{good + "0", false},                     // 27 characters
		{"msg_" + strings.ToLower(body), false}, // lowercase
		{swapLast("U"), false},                  // U is not Crockford base32
		{swapLast("I"), false},                  // nor I, L, O
		{swapLast("L"), false},
		{swapLast("O"), false},
		{swapLast("/."), false},     // path tricks
		{swapLast("\u00e9"), false}, // non-ASCII, 2 bytes
		{swapLast(" "), false},
		{swapLast("\x00"), false},
		{"../../etc/passwd", false},
	} {
		assert.Equal(t, tc.want, ValidID(tc.id), "ValidID(%q)", tc.id)
	}
}

// TestNewIDIncreasesWithinAMillisecond: ids made one after the other in
// the same millisecond sort in the order they were made (order_by relies on
// it); a new millisecond starts from fresh random bits.
func TestNewIDIncreasesWithinAMillisecond(t *testing.T) {
	now := time.UnixMilli(1_800_000_000_000)
	prev := NewID(now)
	for range 10_000 {
		id := NewID(now)
		require.Less(t, prev, id)
		require.Equal(t, now, IDTime(id))
		prev = id
	}
	later := NewID(now.Add(time.Millisecond))
	assert.Less(t, prev, later)
	assert.Equal(t, now.Add(time.Millisecond), IDTime(later))
}
