package chaos

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Sender posts numbered webhooks from Workers goroutines until its context
// ends, retrying each like a provider does: after no answer, a 5xx, 408 or
// 429, with backoff, up to Attempts times. Every answer goes to the Ledger.
type Sender struct {
	Ledger   *Ledger
	Workers  int
	Attempts int           // per message; default 12
	Pause    time.Duration // between messages of a worker, to hold the rate down
	// Request builds the request of message n with body.
	Request func(n int, body string) (*http.Request, error)
	// Pad is the size of the body's padding, in bytes.
	Pad int

	next   atomic.Int64
	client *http.Client
}

// Body is the JSON body of message n: a unique id and the number the
// Receiver counts by.
func Body(run string, n, pad int) string {
	return fmt.Sprintf(`{"id":"%s-%d","n":%d,"pad":%q}`, run, n, n, strings.Repeat("p", pad))
}

// Run sends until ctx ends, then finishes the messages under way (their
// retries included) and returns.
func (s *Sender) Run(ctx context.Context, run string) {
	if s.Attempts == 0 {
		s.Attempts = 12
	}
	// Fresh connections per attempt would hide keep-alive races; a timeout
	// keeps a stuck attempt from stalling a worker forever.
	s.client = &http.Client{Timeout: 10 * time.Second}
	var wg sync.WaitGroup
	for range s.Workers {
		wg.Go(func() {
			for ctx.Err() == nil {
				n := int(s.next.Add(1))
				s.send(n, Body(run, n, s.Pad))
				if s.Pause > 0 {
					time.Sleep(s.Pause)
				}
			}
		})
	}
	wg.Wait()
}

// Sent is the number of messages started.
func (s *Sender) Sent() int { return int(s.next.Load()) }

func (s *Sender) send(n int, body string) {
	backoff := 50 * time.Millisecond
	for range s.Attempts {
		status := s.attempt(n, body)
		s.Ledger.Record(n, status)
		if !retryable(status) {
			return
		}
		time.Sleep(backoff/2 + rand.N(backoff))
		backoff = min(2*backoff, time.Second)
	}
}

func (s *Sender) attempt(n int, body string) int {
	req, err := s.Request(n, body)
	if err != nil {
		return 0
	}
	resp, err := s.client.Do(req)
	if err != nil {
		return 0
	}
	defer resp.Body.Close()
	if _, err := io.Copy(io.Discard, resp.Body); err != nil {
		// The answer was cut: the sender cannot know it was a 2xx.
		return 0
	}
	return resp.StatusCode
}

func retryable(status int) bool {
	return status == 0 || status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}
