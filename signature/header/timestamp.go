package header

import (
	"strconv"
	"time"

	"github.com/hookgate/hookgate/signature/ext"
)

// TimeFormat is how a scheme writes its timestamp.
type TimeFormat uint8

const (
	UnixSeconds TimeFormat = iota // decimal unix seconds (most senders)
	UnixMillis                    // decimal unix milliseconds (HubSpot)
	RFC3339                       // RFC 3339 (Twitch)
)

// Parse reads a timestamp. Only plain decimal digits are accepted for the unix
// forms (no sign, no spaces, at most 18 digits, so no overflow).
func (f TimeFormat) Parse(s string) (time.Time, bool) {
	if f == RFC3339 {
		if len(s) > 64 {
			return time.Time{}, false
		}
		t, err := time.Parse(time.RFC3339Nano, s)
		return t, err == nil
	}
	if s == "" || len(s) > 18 {
		return time.Time{}, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return time.Time{}, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	if f == UnixMillis {
		return time.UnixMilli(n), true
	}
	return time.Unix(n, 0), true
}

// Format writes t.
func (f TimeFormat) Format(t time.Time) string {
	switch f {
	case UnixMillis:
		return strconv.FormatInt(t.UnixMilli(), 10)
	case RFC3339:
		return t.UTC().Format(time.RFC3339Nano)
	}
	return strconv.FormatInt(t.Unix(), 10)
}

// Within reports whether t is no further than tol from now, either way.
// Written without negating a duration, which may saturate.
func Within(now, t time.Time, tol time.Duration) bool {
	d := now.Sub(t)
	return d <= tol && d >= -tol
}

// CheckWindow fails with ext.Stale when t is beyond tol from now; a
// negative tol disables the check.
func CheckWindow(now, t time.Time, tol time.Duration) *ext.Error {
	if tol < 0 || Within(now, t, tol) {
		return nil
	}
	return ext.Fail(ext.Stale, "timestamp is %s from now, beyond the %s tolerance", now.Sub(t).Round(time.Second), tol)
}
