package chaos

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestCheckFindsEachBreachOfThePromise feeds Check a ledger and deliveries
// with one message of each kind and expects each classified.
func TestCheckFindsEachBreachOfThePromise(t *testing.T) {
	l := NewLedger()
	l.Record(1, 202)                                       // acked, delivered twice: one duplicate
	l.Record(2, 0)                                         // no answer, then acked after a retry…
	l.Record(2, 200)                                       // …(a "duplicate" answer): delivered once
	l.Record(3, 503)                                       // refused, then acked, never delivered: lost
	l.Record(3, 202)                                       //
	l.Record(4, 503)                                       // refused every time, yet delivered: phantom
	l.Record(4, 401)                                       //
	l.Record(5, 0)                                         // no answer ever: unknown, delivered or not
	l.Record(6, 413)                                       // refused, not delivered: fine
	delivered := map[int]int{1: 2, 2: 1, 4: 1, 5: 1, 9: 1} // 9 was never sent: stray

	r := Check("unit", l, delivered, map[string]int{"kill": 1})
	assert.False(t, r.OK())
	assert.Equal(t, 6, r.Messages)
	assert.Equal(t, 3, r.Acked)
	assert.Equal(t, 2, r.Refused)
	assert.Equal(t, 1, r.Unknown)
	assert.Equal(t, []int{3}, r.Lost)
	assert.Equal(t, []int{4}, r.Phantom)
	assert.Equal(t, []int{9}, r.Stray)
	assert.Equal(t, 1, r.Duplicates)
	assert.Equal(t, 6, r.Deliveries)
	assert.Equal(t, map[int]int{0: 2, 200: 1, 202: 2, 401: 1, 413: 1, 503: 2}, r.Answers)
	assert.Contains(t, r.String(), "lost 1, phantom 1, duplicates 1")

	ok := Check("unit", l, map[int]int{1: 1, 2: 1, 3: 1}, nil)
	assert.True(t, ok.OK(), "every acked message delivered, no refused one")
}
