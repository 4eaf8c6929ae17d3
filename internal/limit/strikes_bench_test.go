package limit

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkFailFull is the cost of one failure from a new address while the
// counter tracks maxClients live ones: the path an attacker with many
// addresses drives, under the mutex every request takes.
func BenchmarkFailFull(b *testing.B) {
	c := Strikes{Limit: 5}.Counter()
	for i := 0; i < maxClients; i++ {
		c.Fail(strconv.Itoa(i), t0)
	}
	now := t0.Add(time.Second)
	i := maxClients
	for b.Loop() {
		c.Fail(strconv.Itoa(i), now)
		i++
	}
}
