package limit

import (
	"net/netip"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var (
	ipA = netip.MustParseAddr("192.0.2.1")
	ipB = netip.MustParseAddr("192.0.2.2")
	ipC = netip.MustParseAddr("192.0.2.3")
	ipD = netip.MustParseAddr("192.0.2.4")
)

// at is t0 plus d, the fake clock of these tests.
func at(d time.Duration) time.Time { return t0.Add(d) }

func strikes3() Strikes {
	return Strikes{Limit: 3, Window: caddy.Duration(time.Minute), Block: caddy.Duration(10 * time.Minute)}
}

func blocked(c *Counter, a netip.Addr, now time.Time) bool {
	_, b := c.Blocked(a, now)
	return b
}

func TestStrikesBlockAfterLimitWithinWindow(t *testing.T) {
	c := strikes3().Counter()
	assert.False(t, c.Fail(ipA, t0))
	assert.False(t, c.Fail(ipA, at(10*time.Second)))
	assert.False(t, blocked(c, ipA, at(20*time.Second)))
	assert.True(t, c.Fail(ipA, at(20*time.Second)), "the third failure blocks")
	until, isBlocked := c.Blocked(ipA, at(21*time.Second))
	assert.True(t, isBlocked)
	assert.Equal(t, at(20*time.Second+10*time.Minute), until)
	assert.False(t, blocked(c, ipB, at(21*time.Second)), "other clients are not blocked")
	assert.False(t, blocked(c, ipA, until), "the block ends")
}

func TestStrikesWindowResets(t *testing.T) {
	c := Strikes{Limit: 2, Window: caddy.Duration(time.Minute)}.Counter()
	assert.False(t, c.Fail(ipA, t0))
	assert.False(t, c.Fail(ipA, at(2*time.Minute)), "the first failure's window is over")
	assert.True(t, c.Fail(ipA, at(2*time.Minute+time.Second)))
}

// A provider's shared egress address that delivered a verified webhook
// within the block period is never blocked by bad signatures from it.
func TestStrikesVerifiedClientIsNotBlocked(t *testing.T) {
	for _, tc := range []struct {
		name        string
		verified    netip.Addr
		verifiedAt  time.Duration
		failFrom    time.Duration // limit failures, one second apart, from ipA
		wantBlocked bool
	}{
		{"no verified request", netip.Addr{}, 0, time.Minute, true},
		{"verified just before", ipA, 0, time.Second, false},
		{"verified 9m59s before the last failure", ipA, 0, 10*time.Minute - 3*time.Second, false},
		{"verified a block period before the last failure", ipA, 0, 10*time.Minute - 2*time.Second, true},
		{"another address verified", ipB, 0, time.Second, true},
		{"another /64 verified", netip.MustParseAddr("2001:db8:0:1::1"), 0, time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := strikes3().Counter()
			if tc.verified.IsValid() {
				c.Succeed(tc.verified, at(tc.verifiedAt))
			}
			var blocks bool
			for i := range 3 {
				blocks = c.Fail(ipA, at(tc.failFrom+time.Duration(i)*time.Second)) || blocks
			}
			last := at(tc.failFrom + 2*time.Second)
			assert.Equal(t, tc.wantBlocked, blocks, "a failure blocked")
			assert.Equal(t, tc.wantBlocked, blocked(c, ipA, last))
		})
	}
}

func TestStrikesVerifiedRequestLiftsABlock(t *testing.T) {
	c := strikes3().Counter()
	for i := range 3 {
		c.Fail(ipA, at(time.Duration(i)*time.Second))
	}
	require.True(t, blocked(c, ipA, at(3*time.Second)))
	c.Succeed(ipA, at(3*time.Second)) // verified while the block was set
	assert.False(t, blocked(c, ipA, at(3*time.Second)))
	for i := range 5 {
		assert.False(t, c.Fail(ipA, at(4*time.Second+time.Duration(i)*time.Second)))
	}
}

func TestClientKey(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"192.0.2.1", "192.0.2.1"},
		{"::ffff:192.0.2.1", "192.0.2.1"},
		{"2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"},
		{"2001:db8:1:2::", "2001:db8:1:2::"},
		{"2001:db8:1:2:ffff:ffff:ffff:ffff", "2001:db8:1:2::"},
		{"2001:db8:1:3::1", "2001:db8:1:3::"},
		{"fe80::1%eth0", "fe80::"},
		{"::1", "::"},
	} {
		assert.Equal(t, netip.MustParseAddr(tc.want), ClientKey(netip.MustParseAddr(tc.in)), tc.in)
	}
	assert.Equal(t, netip.Addr{}, ClientKey(netip.Addr{}), "invalid addresses are one client")
}

func TestStrikesCountIPv6Per64(t *testing.T) {
	c := strikes3().Counter()
	assert.False(t, c.Fail(netip.MustParseAddr("2001:db8::1"), t0))
	assert.False(t, c.Fail(netip.MustParseAddr("2001:db8::2"), t0))
	assert.True(t, c.Fail(netip.MustParseAddr("2001:db8::ffff:1:2:3"), t0), "a third address of the /64 blocks it")
	assert.True(t, blocked(c, netip.MustParseAddr("2001:db8::99"), t0), "the whole /64")
	assert.False(t, blocked(c, netip.MustParseAddr("2001:db8:0:1::1"), t0), "not the next /64")

	assert.False(t, c.Fail(netip.MustParseAddr("::ffff:192.0.2.1"), t0))
	assert.False(t, c.Fail(ipA, t0))
	assert.True(t, c.Fail(netip.MustParseAddr("::ffff:192.0.2.1"), t0), "IPv4-mapped counts as IPv4")
	assert.True(t, blocked(c, ipA, t0))
	assert.False(t, blocked(c, ipB, t0), "IPv4 counts per address")
}

// keys lists the tracked clients from the least to the most recently touched.
func keys(c *Counter) []netip.Addr {
	var ks []netip.Addr
	for cl := c.lru.next; cl != &c.lru; cl = cl.next {
		ks = append(ks, cl.key)
	}
	return ks
}

func TestStrikesBounded(t *testing.T) {
	c := strikes3().counter(3)
	for i := range 100 {
		a := netip.AddrFrom4([4]byte{10, 0, 0, byte(i)})
		c.Fail(a, at(time.Duration(i)*time.Millisecond))
		c.Succeed(a, at(time.Duration(i)*time.Millisecond))
		require.LessOrEqual(t, len(c.clients), 3)
	}
	assert.Len(t, c.clients, 3)
	assert.Len(t, keys(c), 3, "the list and the map agree")
}

func TestStrikesEvictTheLeastRecentlyTouched(t *testing.T) {
	for _, tc := range []struct {
		name  string
		touch func(c *Counter) // after A, B, C failed in that order
		want  []netip.Addr     // after D fails: oldest first
	}{
		{"none touched since", func(*Counter) {}, []netip.Addr{ipB, ipC, ipD}},
		{"A failed again", func(c *Counter) { c.Fail(ipA, t0) }, []netip.Addr{ipC, ipA, ipD}},
		{"A verified", func(c *Counter) { c.Succeed(ipA, t0) }, []netip.Addr{ipC, ipA, ipD}},
		{"B blocked and knocking", func(c *Counter) {
			c.Fail(ipB, t0)
			c.Fail(ipB, t0)
			c.Blocked(ipA, t0) // not blocked: not touched
			c.Blocked(ipB, t0)
		}, []netip.Addr{ipC, ipB, ipD}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := strikes3().counter(3)
			for _, a := range []netip.Addr{ipA, ipB, ipC} {
				c.Fail(a, t0)
			}
			tc.touch(c)
			c.Fail(ipD, t0)
			assert.Equal(t, tc.want, keys(c))
			assert.Len(t, c.clients, 3)
		})
	}
}

func TestStrikesLapsedClientsAreDroppedLazily(t *testing.T) {
	c := strikes3().counter(10)
	c.Fail(ipA, t0)
	c.Fail(ipA, t0)
	c.Fail(ipB, t0)
	c.Succeed(ipC, t0) // vouched for 10m
	c.Fail(ipD, at(2*time.Minute))
	assert.Equal(t, []netip.Addr{ipC, ipD}, keys(c), "A and B's windows are over; C is still vouched for")
	assert.Len(t, c.clients, 2)

	c.Fail(ipD, at(2*time.Minute))
	assert.False(t, c.Fail(ipD, at(4*time.Minute)), "a lapsed client starts afresh")
}
