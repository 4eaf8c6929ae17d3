package jobs

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/limit"
	"github.com/hookgate/hookgate/queue"
)

// Lister is what a snapshot reads: queue.Store's List.
type Lister interface {
	List(state queue.State, queue string, limit int) ([]*queue.Message, error)
}

// MaxSnapshot bounds how many messages one query reads from a store (and
// so how many one job acts on): a store lists oldest first, without
// bodies, in one call.
const MaxSnapshot = 50_000

// Item is a message a job acts on.
type Item struct {
	ID    string
	Queue string
}

// Snapshot lists the messages of q's state (and queue) and returns those
// that match, oldest first; truncated when the store held more than
// MaxSnapshot messages of that state.
func Snapshot(s Lister, q *Query) (items []Item, truncated bool, err error) {
	msgs, err := s.List(q.State, q.Queue, MaxSnapshot+1)
	if err != nil {
		return nil, false, err
	}
	if len(msgs) > MaxSnapshot {
		msgs, truncated = msgs[:MaxSnapshot], true
	}
	for _, m := range msgs {
		if q.Match(m) {
			items = append(items, Item{m.ID, m.Queue})
		}
	}
	return items, truncated, nil
}

// Job states.
const (
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// Status is what GET /webhooks/jobs/{id} answers.
type Status struct {
	ID       string    `json:"id"`
	Kind     string    `json:"kind"` // replay or delete
	State    string    `json:"state"`
	Total    int       `json:"total"`
	Done     int       `json:"done"`
	Failed   int       `json:"failed"`
	Started  time.Time `json:"started"`
	Finished time.Time `json:"finished,omitzero"`
	// Error is why a failed job stopped.
	Error string `json:"error,omitempty"`
}

// Job acts on a snapshot of ids in the background.
type Job struct {
	mu   sync.Mutex
	st   Status
	done chan struct{}
}

// Finished is closed when the job ends.
func (j *Job) Finished() <-chan struct{} { return j.done }

// Status returns a copy of the job's progress.
func (j *Job) Status() Status {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.st
}

// Action acts on one message. An error wrapping ErrStop stops the job as
// failed; any other error counts the message as failed and goes on (it was
// deleted or replayed meanwhile, say).
type Action func(it Item) error

// ErrStop, wrapped by an Action's error, stops the job.
var ErrStop = errors.New("job stopped")

// Pacer returns the bucket that paces an item (nil: unpaced).
type Pacer func(it Item) *limit.Bucket

// Pace returns the pacer of a job: one bucket for the whole job at rate,
// or when rate is nil one per queue at the rate queueRate gives (nil:
// that queue is unpaced).
func Pace(rate *limit.Rate, queueRate func(queue string) *limit.Rate) Pacer {
	if rate != nil {
		b := rate.Bucket()
		return func(Item) *limit.Bucket { return b }
	}
	buckets := map[string]*limit.Bucket{}
	return func(it Item) *limit.Bucket {
		b, ok := buckets[it.Queue]
		if !ok {
			if r := queueRate(it.Queue); r != nil {
				b = r.Bucket()
			}
			buckets[it.Queue] = b
		}
		return b
	}
}

// Clock is the time a Registry's jobs run on: tests inject a fake one.
type Clock struct {
	Now func() time.Time
	// Sleep waits d or until ctx is done.
	Sleep func(ctx context.Context, d time.Duration) error
}

func realSleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// Keep is how many jobs a Registry remembers.
const Keep = 100

// Registry runs jobs and remembers the last Keep of them.
type Registry struct {
	Clock Clock

	mu    sync.Mutex
	jobs  map[string]*Job
	order []string // ids, oldest first
}

// NewRegistry returns a Registry on the real clock.
func NewRegistry() *Registry {
	return &Registry{Clock: Clock{Now: time.Now, Sleep: realSleep}}
}

// Get returns a job by id.
func (r *Registry) Get(id string) (*Job, bool) {
	r.mu.Lock()
	defer r.mu.Unlock()
	j, ok := r.jobs[id]
	return j, ok
}

// Start starts a job of kind on items, paced by pace, acting with act;
// it runs until done or until ctx ends (then it is failed).
func (r *Registry) Start(ctx context.Context, kind string, items []Item, pace Pacer, act Action) *Job {
	j := &Job{done: make(chan struct{}), st: Status{ID: newJobID(), Kind: kind, State: Running, Total: len(items), Started: r.Clock.Now()}}
	r.mu.Lock()
	if r.jobs == nil {
		r.jobs = map[string]*Job{}
	}
	r.jobs[j.st.ID] = j
	r.order = append(r.order, j.st.ID)
	for len(r.order) > Keep {
		delete(r.jobs, r.order[0])
		r.order = r.order[1:]
	}
	r.mu.Unlock()
	go r.run(ctx, j, items, pace, act)
	return j
}

// run acts on items one after the other, each once.
func (r *Registry) run(ctx context.Context, j *Job, items []Item, pace Pacer, act Action) {
	var stop error
	for _, it := range items {
		if err := r.wait(ctx, pace, it); err != nil {
			stop = err
			break
		}
		err := act(it)
		if errors.Is(err, ErrStop) {
			stop = err
			break
		}
		j.mu.Lock()
		if err != nil {
			j.st.Failed++
		} else {
			j.st.Done++
		}
		j.mu.Unlock()
	}
	j.mu.Lock()
	j.st.State, j.st.Finished = Done, r.Clock.Now()
	if stop != nil {
		j.st.State, j.st.Error = Failed, stop.Error()
	}
	j.mu.Unlock()
	close(j.done)
}

// wait takes a token of its queue's (or the job's) bucket, sleeping until there is one.
func (r *Registry) wait(ctx context.Context, pace Pacer, it Item) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	b := pace(it)
	if b == nil {
		return nil
	}
	for {
		ok, d := b.Take(r.Clock.Now())
		if ok {
			return nil
		}
		if err := r.Clock.Sleep(ctx, d); err != nil {
			return err
		}
	}
}

func newJobID() string {
	var b [8]byte
	_, _ = rand.Read(b[:])
	return "job_" + hex.EncodeToString(b[:])
}
