// Package chaos checks Hookgate's promise that a 2xx means "will be
// delivered" while faults are injected. A Sender posts uniquely numbered
// webhooks and writes every answer into a Ledger; a Receiver (the upstream
// app) records every delivery it processes; Check compares the two:
//
//   - every message answered 2xx was delivered at least once (else: lost);
//   - a message whose every attempt was answered with a non-2xx status was
//     never delivered (else: phantom: Caddy refused it but kept it anyway);
//   - deliveries beyond the first are duplicates (at-least-once allows them;
//     they are counted and reported).
//
// A message with an attempt that got no answer at all (connection reset by
// a kill -9) and no 2xx may or may not have been stored: either outcome is
// allowed, and it is reported as unknown.
package chaos

import (
	"fmt"
	"sort"
	"strings"
	"sync"
)

// Ledger is the sender's record: the answer of every attempt of every
// message. It is safe for concurrent use.
type Ledger struct {
	mu       sync.Mutex
	attempts map[int][]int // message number → status of each attempt; 0: no answer
}

// NewLedger returns an empty ledger.
func NewLedger() *Ledger { return &Ledger{attempts: map[int][]int{}} }

// Record notes one attempt of message n: its status, 0 for no answer.
func (l *Ledger) Record(n, status int) {
	l.mu.Lock()
	l.attempts[n] = append(l.attempts[n], status)
	l.mu.Unlock()
}

// Acked reports whether message n got a 2xx.
func (l *Ledger) Acked(n int) bool {
	l.mu.Lock()
	defer l.mu.Unlock()
	return acked(l.attempts[n])
}

// AckedSet returns the numbers of the messages answered 2xx.
func (l *Ledger) AckedSet() []int {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []int
	for n, a := range l.attempts {
		if acked(a) {
			out = append(out, n)
		}
	}
	return out
}

// Status counts the answers of every attempt by status (0: no answer).
func (l *Ledger) Status() map[int]int {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := map[int]int{}
	for _, a := range l.attempts {
		for _, s := range a {
			out[s]++
		}
	}
	return out
}

func acked(a []int) bool {
	for _, s := range a {
		if s >= 200 && s < 300 {
			return true
		}
	}
	return false
}

func answered(a []int) bool {
	for _, s := range a {
		if s == 0 {
			return false
		}
	}
	return true
}

// Report is the outcome of one run.
type Report struct {
	Name       string
	Messages   int            // distinct messages sent
	Acked      int            // answered 2xx (at least once)
	Refused    int            // every attempt answered non-2xx: must not be delivered
	Unknown    int            // no 2xx, but an attempt got no answer
	Delivered  int            // distinct messages delivered
	Deliveries int            // deliveries in all
	Duplicates int            // deliveries beyond the first of a message
	Lost       []int          // acked, never delivered
	Phantom    []int          // refused, delivered anyway
	Stray      []int          // delivered, never sent
	Faults     map[string]int // faults injected, by kind
	Answers    map[int]int    // answers to the sender, by status (0: none)
}

// OK reports whether the promise held.
func (r Report) OK() bool { return len(r.Lost) == 0 && len(r.Phantom) == 0 && len(r.Stray) == 0 }

// Check compares the sender's ledger with the receiver's deliveries (message
// number → times processed).
func Check(name string, l *Ledger, delivered map[int]int, faults map[string]int) Report {
	l.mu.Lock()
	defer l.mu.Unlock()
	r := Report{Name: name, Messages: len(l.attempts), Faults: faults, Answers: map[int]int{}}
	for n, a := range l.attempts {
		for _, s := range a {
			r.Answers[s]++
		}
		d := delivered[n]
		switch {
		case acked(a):
			r.Acked++
			if d == 0 {
				r.Lost = append(r.Lost, n)
			}
		case answered(a):
			r.Refused++
			if d > 0 {
				r.Phantom = append(r.Phantom, n)
			}
		default:
			r.Unknown++
		}
	}
	for n, d := range delivered {
		if _, sent := l.attempts[n]; !sent {
			r.Stray = append(r.Stray, n)
		}
		if d > 0 {
			r.Delivered++
			r.Deliveries += d
			r.Duplicates += d - 1
		}
	}
	sort.Ints(r.Lost)
	sort.Ints(r.Phantom)
	sort.Ints(r.Stray)
	return r
}

// String is one line of figures.
func (r Report) String() string {
	return fmt.Sprintf("%s: messages %d, acked %d, refused %d, unknown %d; answers %s; faults %s; lost %d, phantom %d, duplicates %d",
		r.Name, r.Messages, r.Acked, r.Refused, r.Unknown, FormatCounts(r.Answers), FormatCounts(r.Faults), len(r.Lost), len(r.Phantom), r.Duplicates)
}

// FormatCounts writes counts as "a=1 b=2", sorted by key.
func FormatCounts[K comparable](m map[K]int) string {
	keys := make([]string, 0, len(m))
	byKey := map[string]int{}
	for k, v := range m {
		s := fmt.Sprint(k)
		keys = append(keys, s)
		byKey[s] = v
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%d", k, byKey[k])
	}
	return strings.Join(parts, " ")
}
