// Package jobs selects messages by a filter and acts on them in the
// background: the engine behind the admin API's replay and delete by
// query (POST /webhooks/messages/replay, /webhooks/messages/delete).
//
// A filter is compiled once (Filter.Compile) and matched against the
// messages a store lists; a job acts on a snapshot of the matching ids,
// paced by a token bucket, and reports its progress.
package jobs

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/hookgate/hookgate/internal/limit"
	"github.com/hookgate/hookgate/queue"
)

// Filter is the JSON body of a replay or delete by query.
type Filter struct {
	// Queue restricts to one queue. Default: every queue.
	Queue string `json:"queue,omitempty"`
	// State is dead (default), delivered or queued.
	State string `json:"state,omitempty"`
	// Since and Until bound when a message was received: RFC 3339, or a
	// duration ("2h") meaning that long ago.
	Since string `json:"since,omitempty"`
	Until string `json:"until,omitempty"`
	// Status matches the message's last status: a code (503) or a class
	// (5xx).
	Status string `json:"status,omitempty"`
	// Error matches a substring of the message's last error.
	Error string `json:"error,omitempty"`
	// EventType matches the event type of an outbound route's message.
	EventType string `json:"event_type,omitempty"`
	// DryRun counts the matching messages and changes nothing.
	DryRun bool `json:"dry_run,omitempty"`
	// Rate paces the job ("50/s"). Default: each queue's own rate, if it
	// has one, else unpaced.
	Rate string `json:"rate,omitempty"`
}

// Query is a compiled Filter.
type Query struct {
	Queue        string
	State        queue.State
	Since, Until time.Time // zero: unbounded
	Error        string
	EventType    string
	DryRun       bool
	// Rate paces the job; nil: the queues' own.
	Rate *limit.Rate

	statusLo, statusHi int // 0, 0: any
}

// maxErrorLen bounds the error substring.
const maxErrorLen = 256

// Compile validates f against now (the clock durations count back from).
func (f Filter) Compile(now time.Time) (*Query, error) {
	q := &Query{Queue: f.Queue, Error: f.Error, EventType: f.EventType, DryRun: f.DryRun}
	switch queue.State(f.State) {
	case "", queue.StateDead:
		q.State = queue.StateDead
	case queue.StateQueued:
		q.State = queue.StateQueued
	case queue.StateDelivered:
		q.State = queue.StateDelivered
	default:
		return nil, fmt.Errorf("state must be dead, delivered or queued")
	}
	if len(f.Queue) > 256 || strings.ContainsAny(f.Queue, "\x00\n") {
		return nil, fmt.Errorf("malformed queue name")
	}
	var err error
	if q.Since, err = parseWhen(f.Since, now); err != nil {
		return nil, fmt.Errorf("since: %w", err)
	}
	if q.Until, err = parseWhen(f.Until, now); err != nil {
		return nil, fmt.Errorf("until: %w", err)
	}
	if !q.Since.IsZero() && !q.Until.IsZero() && !q.Until.After(q.Since) {
		return nil, fmt.Errorf("until must be after since")
	}
	if q.statusLo, q.statusHi, err = parseStatus(f.Status); err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	if len(f.Error) > maxErrorLen {
		return nil, fmt.Errorf("error: longer than %d bytes", maxErrorLen)
	}
	if f.Rate != "" {
		r, err := limit.ParseRate(f.Rate)
		if err != nil {
			return nil, fmt.Errorf("rate: %w", err)
		}
		q.Rate = &r
	}
	return q, nil
}

// parseWhen reads an RFC 3339 time or a duration back from now.
func parseWhen(s string, now time.Time) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil || d <= 0 {
		return time.Time{}, fmt.Errorf("%q is neither an RFC 3339 time nor a positive duration", s)
	}
	return now.Add(-d), nil
}

// parseStatus reads a code (100-599) or a class (1xx-5xx).
func parseStatus(s string) (lo, hi int, err error) {
	if s == "" {
		return 0, 0, nil
	}
	if len(s) == 3 && (s[1:] == "xx" || s[1:] == "XX") && s[0] >= '1' && s[0] <= '5' {
		c := int(s[0]-'0') * 100
		return c, c + 99, nil
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 100 || n > 599 {
		return 0, 0, fmt.Errorf("%q is neither a status code (100-599) nor a class (5xx)", s)
	}
	return n, n, nil
}

// Match reports whether m matches every condition of q but its state and
// queue, which the listing selects.
func (q *Query) Match(m *queue.Message) bool {
	switch {
	case q.Queue != "" && m.Queue != q.Queue:
		return false
	case !q.Since.IsZero() && m.ReceivedAt.Before(q.Since):
		return false
	case !q.Until.IsZero() && !m.ReceivedAt.Before(q.Until):
		return false
	case q.statusHi != 0 && (m.LastStatus < q.statusLo || m.LastStatus > q.statusHi):
		return false
	case q.Error != "" && !strings.Contains(m.LastError, q.Error):
		return false
	case q.EventType != "" && m.EventType != q.EventType:
		return false
	}
	return true
}
