package limit

import (
	"net/netip"
	"testing"
	"time"
)

// addrN is the n-th IPv4 address, for filling a counter.
func addrN(n int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(n >> 16), byte(n >> 8), byte(n)})
}

// BenchmarkFailFull is the cost of one failure from a new address while the
// counter tracks maxClients live ones: the path an attacker with many
// addresses drives, under the mutex every request takes.
func BenchmarkFailFull(b *testing.B) {
	c := Strikes{Limit: 5}.Counter()
	for i := 0; i < maxClients; i++ {
		c.Fail(addrN(i), t0)
	}
	now := t0.Add(time.Second)
	i := maxClients
	for b.Loop() {
		c.Fail(addrN(i), now)
		i++
	}
}

// BenchmarkSucceed is the cost the strike counter adds to every verified
// request, from a client it already tracks among maxClients.
func BenchmarkSucceed(b *testing.B) {
	c := Strikes{Limit: 5}.Counter()
	for i := 0; i < maxClients; i++ {
		c.Succeed(addrN(i), t0)
	}
	now := t0.Add(time.Second)
	i := 0
	for b.Loop() {
		c.Succeed(addrN(i%maxClients), now)
		i++
	}
}
