package delivery

import "time"

// Outcome is how an attempt ended for its message. Its values are the
// "outcome" label of the attempt metrics and of the admin API's attempts.
type Outcome string

// The outcomes of an attempt.
const (
	// Delivered: the upstream answered 2xx; the message left the store.
	Delivered Outcome = "delivered"
	// Retry: the attempt failed and the message is queued for a later one.
	Retry Outcome = "retry"
	// Dead: the attempt failed for good, or was the last one allowed; the
	// message is in the dead-letter queue.
	Dead Outcome = "dead"
)

// Attempt is the result of one delivery attempt, for metrics.
type Attempt struct {
	ID      string // the message's
	Queue   string
	Outcome Outcome
	Status  int // 0 when no response came
	At      time.Time
	Took    time.Duration
}

// Reporter learns of the end of every attempt that was recorded (not of
// those cut short by Close). Whoever runs the dispatcher hands one down
// (the webhooks app: metrics, dashboard, endpoint state, events), so that
// reports flow up without a package global. Attempted is called in the
// delivery's goroutine: it must be quick and must not wait for anything
// that waits for the dispatcher (its Apply or Close).
type Reporter interface {
	Attempted(Attempt)
}

// ReporterFunc is a function as a Reporter.
type ReporterFunc func(Attempt)

// Attempted implements Reporter.
func (f ReporterFunc) Attempted(a Attempt) { f(a) }
