package jobs

import (
	"testing"
	"time"

	"github.com/hookgate/hookgate/queue"
)

var now = time.Date(2026, 11, 30, 12, 0, 0, 0, time.UTC)

func TestCompileRefuses(t *testing.T) {
	for _, tc := range []struct {
		name string
		f    Filter
		want string
	}{
		{"unknown state", Filter{State: "leased"}, "state must be dead, delivered or queued"},
		{"since not a time", Filter{Since: "yesterday"}, `since: "yesterday" is neither an RFC 3339 time nor a positive duration`},
		{"negative duration", Filter{Since: "-2h"}, `since: "-2h" is neither an RFC 3339 time nor a positive duration`},
		{"until before since", Filter{Since: "1h", Until: "2h"}, "until must be after since"},
		{"status too big", Filter{Status: "600"}, `status: "600" is neither a status code (100-599) nor a class (5xx)`},
		{"status class 6xx", Filter{Status: "6xx"}, `status: "6xx" is neither a status code (100-599) nor a class (5xx)`},
		{"status words", Filter{Status: "server error"}, `status: "server error" is neither a status code (100-599) nor a class (5xx)`},
		{"rate", Filter{Rate: "fast"}, "rate: "},
		{"long error", Filter{Error: string(make([]byte, 300))}, "error: longer than 256 bytes"},
		{"queue with NUL", Filter{Queue: "a\x00b"}, "malformed queue name"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := tc.f.Compile(now)
			if err == nil || len(err.Error()) < len(tc.want) || err.Error()[:len(tc.want)] != tc.want {
				t.Fatalf("Compile(%+v) = %v, want %q", tc.f, err, tc.want)
			}
		})
	}
	q, err := (Filter{State: "delivered", EventType: "invoice.paid"}).Compile(now)
	if err != nil || q.State != queue.StateDelivered || q.EventType != "invoice.paid" {
		t.Fatalf("delivered, event type: %+v, %v", q, err)
	}
}

func TestCompileDefaults(t *testing.T) {
	q, err := Filter{Since: "2h", Until: "2026-11-30T11:30:00Z", Rate: "50/s", DryRun: true}.Compile(now)
	if err != nil {
		t.Fatal(err)
	}
	if q.State != queue.StateDead || !q.Since.Equal(now.Add(-2*time.Hour)) || !q.Until.Equal(now.Add(-30*time.Minute)) ||
		q.Rate == nil || q.Rate.Events != 50 || !q.DryRun {
		t.Fatalf("compiled %+v", q)
	}
}

func TestMatch(t *testing.T) {
	msg := func(queueName string, ago time.Duration, status int, lastErr string) *queue.Message {
		return &queue.Message{Queue: queueName, ReceivedAt: now.Add(-ago), LastStatus: status, LastError: lastErr, State: queue.StateDead}
	}
	typed := func(eventType string) *queue.Message {
		m := msg("a", time.Hour, 0, "")
		m.EventType = eventType
		return m
	}
	for _, tc := range []struct {
		name string
		f    Filter
		m    *queue.Message
		want bool
	}{
		{"empty filter takes all", Filter{}, msg("a", time.Hour, 0, ""), true},
		{"class 5xx takes 503", Filter{Status: "5xx"}, msg("a", time.Hour, 503, ""), true},
		{"class 5xx takes 500", Filter{Status: "5XX"}, msg("a", time.Hour, 500, ""), true},
		{"class 5xx refuses 429", Filter{Status: "5xx"}, msg("a", time.Hour, 429, ""), false},
		{"class 5xx refuses no answer", Filter{Status: "5xx"}, msg("a", time.Hour, 0, "connection refused"), false},
		{"code 503 takes 503", Filter{Status: "503"}, msg("a", time.Hour, 503, ""), true},
		{"code 503 refuses 502", Filter{Status: "503"}, msg("a", time.Hour, 502, ""), false},
		{"class 4xx takes 410", Filter{Status: "4xx"}, msg("a", time.Hour, 410, ""), true},
		{"since takes newer", Filter{Since: "2h"}, msg("a", time.Hour, 0, ""), true},
		{"since refuses older", Filter{Since: "2h"}, msg("a", 3*time.Hour, 0, ""), false},
		{"since takes its instant", Filter{Since: "2h"}, msg("a", 2*time.Hour, 0, ""), true},
		{"until refuses its instant", Filter{Until: "2h"}, msg("a", 2*time.Hour, 0, ""), false},
		{"until takes older", Filter{Until: "2h"}, msg("a", 3*time.Hour, 0, ""), true},
		{"RFC 3339 since", Filter{Since: "2026-11-30T11:00:00Z"}, msg("a", 30*time.Minute, 0, ""), true},
		{"error substring", Filter{Error: "refused"}, msg("a", time.Hour, 0, "dial tcp: connection refused"), true},
		{"error substring misses", Filter{Error: "timeout"}, msg("a", time.Hour, 0, "dial tcp: connection refused"), false},
		{"queue", Filter{Queue: "b"}, msg("a", time.Hour, 0, ""), false},
		{"event type", Filter{EventType: "invoice.paid"}, typed("invoice.paid"), true},
		{"event type misses", Filter{EventType: "invoice.paid"}, typed("invoice.voided"), false},
		{"event type misses untyped", Filter{EventType: "invoice.paid"}, msg("a", time.Hour, 0, ""), false},
		{"all together", Filter{Queue: "a", Since: "2h", Status: "5xx", Error: "503"}, msg("a", time.Hour, 503, "status 503"), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, err := tc.f.Compile(now)
			if err != nil {
				t.Fatal(err)
			}
			if got := q.Match(tc.m); got != tc.want {
				t.Fatalf("Match = %v, want %v", got, tc.want)
			}
		})
	}
}
