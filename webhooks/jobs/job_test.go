package jobs

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/hookgate/hookgate/internal/limit"
	"github.com/hookgate/hookgate/queue"
)

// fakeStore lists dead messages, oldest first.
type fakeStore struct {
	mu   sync.Mutex
	msgs []*queue.Message
}

func (s *fakeStore) List(state queue.State, q string, n int) ([]*queue.Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*queue.Message
	for _, m := range s.msgs {
		if m.State == state && (q == "" || m.Queue == q) && len(out) < n {
			c := *m
			out = append(out, &c)
		}
	}
	return out, nil
}

func (s *fakeStore) add(id string, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.msgs = append(s.msgs, &queue.Message{ID: id, Queue: "q", State: queue.StateDead, LastStatus: status, ReceivedAt: now})
}

// fakeClock advances only when a job sleeps.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) clock() Clock {
	return Clock{
		Now: func() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t },
		Sleep: func(_ context.Context, d time.Duration) error {
			c.mu.Lock()
			c.t = c.t.Add(d)
			c.mu.Unlock()
			return nil
		},
	}
}

func wait(t *testing.T, j *Job) Status {
	t.Helper()
	select {
	case <-j.Finished():
	case <-time.After(5 * time.Second):
		t.Fatal("job did not finish")
	}
	return j.Status()
}

func TestJobActsOnTheSnapshotOnly(t *testing.T) {
	s := &fakeStore{}
	for i := range 10 {
		s.add(fmt.Sprintf("msg_%02d", i), []int{503, 404}[i%2])
	}
	q, err := Filter{Status: "5xx"}.Compile(now)
	if err != nil {
		t.Fatal(err)
	}
	items, truncated, err := Snapshot(s, q)
	if err != nil || truncated || len(items) != 5 {
		t.Fatalf("snapshot: %v %v %v", items, truncated, err)
	}
	// A message that dies after the job started, and matches, is not acted on.
	gate := make(chan struct{})
	var mu sync.Mutex
	var acted []string
	r := NewRegistry()
	j := r.Start(context.Background(), "replay", items, Pace(nil, func(string) *limit.Rate { return nil }), func(it Item) error {
		<-gate
		mu.Lock()
		acted = append(acted, it.ID)
		mu.Unlock()
		return nil
	})
	s.add("msg_late", 503)
	close(gate)
	st := wait(t, j)
	if st.State != Done || st.Total != 5 || st.Done != 5 || st.Failed != 0 || st.Finished.IsZero() {
		t.Fatalf("status %+v", st)
	}
	want := []string{"msg_00", "msg_02", "msg_04", "msg_06", "msg_08"}
	if fmt.Sprint(acted) != fmt.Sprint(want) {
		t.Fatalf("acted on %v, want %v", acted, want)
	}
	if got, ok := r.Get(st.ID); !ok || got != j {
		t.Fatal("job not found by id")
	}
}

func TestJobCountsFailuresAndStops(t *testing.T) {
	items := []Item{{"a", "q"}, {"b", "q"}, {"c", "q"}, {"d", "q"}}
	r := NewRegistry()
	unpaced := Pace(nil, func(string) *limit.Rate { return nil })
	st := wait(t, r.Start(context.Background(), "delete", items, unpaced, func(it Item) error {
		if it.ID == "b" {
			return queue.ErrNotFound
		}
		return nil
	}))
	if st.State != Done || st.Done != 3 || st.Failed != 1 {
		t.Fatalf("status %+v", st)
	}
	st = wait(t, r.Start(context.Background(), "delete", items, unpaced, func(it Item) error {
		if it.ID == "c" {
			return fmt.Errorf("store: %w", ErrStop)
		}
		return nil
	}))
	if st.State != Failed || st.Done != 2 || st.Error == "" {
		t.Fatalf("status %+v", st)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	st = wait(t, r.Start(ctx, "replay", items, unpaced, func(Item) error { return nil }))
	if st.State != Failed || st.Done != 0 || !errors.Is(ctx.Err(), context.Canceled) {
		t.Fatalf("status %+v", st)
	}
}

func TestJobPacing(t *testing.T) {
	items := make([]Item, 30)
	for i := range items {
		items[i] = Item{fmt.Sprint(i), "q"}
	}
	for _, tc := range []struct {
		name      string
		rate      *limit.Rate
		queueRate *limit.Rate
		took      time.Duration
	}{
		// A burst of 10, then one every 100ms: the 30th at 2s.
		{"job rate", &limit.Rate{Events: 10}, nil, 2 * time.Second},
		{"queue's rate", nil, &limit.Rate{Events: 5}, 5 * time.Second},
		{"job rate wins", &limit.Rate{Events: 30}, &limit.Rate{Events: 1}, 0},
		{"unpaced", nil, nil, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := &fakeClock{t: now}
			r := NewRegistry()
			r.Clock = c.clock()
			var at []time.Time
			st := wait(t, r.Start(context.Background(), "replay", items, Pace(tc.rate, func(string) *limit.Rate { return tc.queueRate }), func(Item) error {
				at = append(at, r.Clock.Now())
				return nil
			}))
			if st.Done != 30 {
				t.Fatalf("status %+v", st)
			}
			if took := at[29].Sub(now); took < tc.took-time.Millisecond || took > tc.took+time.Millisecond {
				t.Fatalf("the last one at +%v, want +%v", took, tc.took)
			}
			if got := st.Finished.Sub(st.Started); got != at[29].Sub(now) {
				t.Fatalf("took %v", got)
			}
		})
	}
}

func TestRegistryKeepsTheLastJobs(t *testing.T) {
	r := NewRegistry()
	var first, last *Job
	for i := range Keep + 5 {
		j := r.Start(context.Background(), "replay", nil, Pace(nil, func(string) *limit.Rate { return nil }), nil)
		wait(t, j)
		if i == 0 {
			first = j
		}
		last = j
	}
	if _, ok := r.Get(first.Status().ID); ok {
		t.Fatal("the oldest job is still kept")
	}
	if _, ok := r.Get(last.Status().ID); !ok {
		t.Fatal("the newest job is gone")
	}
}
