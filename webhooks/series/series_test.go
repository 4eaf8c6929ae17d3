package series

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type clock struct{ t time.Time }

func (c *clock) now() time.Time          { return c.t }
func (c *clock) advance(d time.Duration) { c.t = c.t.Add(d) }
func newClock() *clock                   { return &clock{time.Date(2026, 11, 30, 8, 0, 10, 0, time.UTC)} }
func last(s []int) int                   { return s[len(s)-1] }
func depth(q Queue, i int) (int, bool)   { d := q.Depth[i]; return deref(d), d != nil }
func deref(p *int) int {
	if p == nil {
		return 0
	}
	return *p
}

func TestCountsRollOverByMinute(t *testing.T) {
	c := newClock()
	r := New(c.now)
	r.Add("q", Received, 3)
	r.Add("q", Delivered, 2)
	r.Add("q", Failed, 1)
	r.Depth(map[string]int{"q": 7})

	s := r.Snapshot()
	require.Len(t, s.Queues, 1)
	q := s.Queues["q"]
	assert.Equal(t, Minutes, s.Minutes)
	assert.Len(t, q.Received, Minutes)
	assert.Equal(t, []int{3, 2, 1}, []int{last(q.Received), last(q.Delivered), last(q.Failed)})
	d, ok := depth(q, Minutes-1)
	assert.True(t, ok)
	assert.Equal(t, 7, d)
	assert.Equal(t, time.Date(2026, 11, 30, 7, 1, 0, 0, time.UTC), s.Start, "the oldest of 60 minutes ending with the current one")

	c.advance(time.Minute)
	r.Add("q", Received, 5)
	q = r.Snapshot().Queues["q"]
	assert.Equal(t, 3, q.Received[Minutes-2], "the previous minute moved one to the left")
	assert.Equal(t, 5, last(q.Received))
	_, ok = depth(q, Minutes-1)
	assert.False(t, ok, "no sample yet this minute")

	c.advance(30 * time.Minute)
	q = r.Snapshot().Queues["q"]
	assert.Equal(t, 3, q.Received[Minutes-32])
	assert.Equal(t, 5, q.Received[Minutes-31])

	c.advance(29 * time.Minute) // the first minute is now 60 minutes old
	q = r.Snapshot().Queues["q"]
	sum := 0
	for _, n := range q.Received {
		sum += n
	}
	assert.Equal(t, 5, sum, "the first minute's bucket is gone")
	assert.Equal(t, 5, q.Received[0])

	c.advance(2 * time.Hour)
	r.Add("q", Failed, 1) // reuses a slot that held an old minute
	q = r.Snapshot().Queues["q"]
	assert.Equal(t, 0, last(q.Received), "a reused slot starts empty")
	assert.Equal(t, 1, last(q.Failed))
}

func TestBoundedQueues(t *testing.T) {
	c := newClock()
	r := New(c.now)
	for i := range MaxQueues + 5 {
		r.Add(fmt.Sprint("q", i), Received, 1)
	}
	s := r.Snapshot()
	assert.Len(t, s.Queues, MaxQueues, "queues beyond the bound are not kept")
	assert.NotContains(t, s.Queues, fmt.Sprint("q", MaxQueues))

	c.advance(30 * time.Minute)
	for i := 1; i < MaxQueues; i++ {
		r.Add(fmt.Sprint("q", i), Received, 1) // all but q0 stay active
	}
	c.advance(31 * time.Minute) // q0 idle for an hour
	r.Depth(map[string]int{"new": 4})
	s = r.Snapshot()
	assert.Len(t, s.Queues, MaxQueues)
	assert.Contains(t, s.Queues, "new", "took the place of the idle queue")
	assert.NotContains(t, s.Queues, "q0")
	r.Add("newer", Received, 1)
	assert.NotContains(t, r.Snapshot().Queues, "newer", "no queue idle for an hour: not kept")
}

func TestEarlyClockDoesNotPanic(t *testing.T) {
	r := New(func() time.Time { return time.Unix(30, 0) })
	r.Add("q", Received, 1)
	assert.Equal(t, 1, last(r.Snapshot().Queues["q"].Received))
}
