package header

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func FuzzTimestamp(f *testing.F) {
	for _, s := range []string{"1531420618", "1700000000123", "2023-05-01T12:00:00.123456789Z", "0", "", "-1", "+5",
		"999999999999999999", "9999999999999999999", " 1", "1e9", "2023-13-01T00:00:00Z", "0001-01-01T00:00:00Z"} {
		f.Add(uint8(0), s)
	}
	f.Fuzz(func(t *testing.T, which uint8, s string) {
		fmtr := []TimeFormat{UnixSeconds, UnixMillis, RFC3339}[int(which)%3]
		ts, ok := fmtr.Parse(s)
		if !ok {
			return
		}
		if fmtr != RFC3339 && strings.TrimLeft(s, "0123456789") != "" {
			t.Fatalf("%q accepted as a unix timestamp", s)
		}
		again, ok := fmtr.Parse(fmtr.Format(ts))
		if !ok || !again.Equal(ts) {
			t.Fatalf("round trip of %q: %v → %q → %v %v", s, ts, fmtr.Format(ts), again, ok)
		}
		_ = CheckWindow(time.Unix(1700000000, 0), ts, 5*time.Minute) // no overflow panic
	})
}

func TestWithinSaturates(t *testing.T) {
	assert.False(t, Within(time.Unix(0, 0), time.Unix(1<<62, 0), time.Hour))
	assert.False(t, Within(time.Unix(1<<62, 0), time.Unix(-1<<62, 0), time.Hour))
}
