package limit

import (
	"strconv"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var t0 = time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)

func TestParseRate(t *testing.T) {
	for in, want := range map[string]Rate{
		"50/s":   {Events: 50, Per: caddy.Duration(time.Second)},
		"3000/m": {Events: 3000, Per: caddy.Duration(time.Minute)},
		"5/10s":  {Events: 5, Per: caddy.Duration(10 * time.Second)},
	} {
		got, err := ParseRate(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "50", "0/s", "-1/s", "x/s", "5/", "5/0s", "5/lots"} {
		_, err := ParseRate(bad)
		assert.Error(t, err, bad)
	}
}

func TestBucketBurstThenRate(t *testing.T) {
	b := Rate{Events: 10, Per: caddy.Duration(time.Second), Burst: 3}.Bucket()
	for i := 0; i < 3; i++ {
		ok, _ := b.Take(t0)
		require.True(t, ok, "burst token %d", i)
	}
	ok, wait := b.Take(t0)
	assert.False(t, ok)
	assert.Equal(t, 100*time.Millisecond, wait)
	ok, _ = b.Take(t0.Add(100 * time.Millisecond))
	assert.True(t, ok, "one token earned per 100ms")
	ok, _ = b.Take(t0.Add(100 * time.Millisecond))
	assert.False(t, ok)
	for i := 0; i < 3; i++ { // a long pause refills up to the burst only
		ok, _ = b.Take(t0.Add(time.Hour))
		assert.True(t, ok)
	}
	ok, _ = b.Take(t0.Add(time.Hour))
	assert.False(t, ok)
}

func TestBucketIgnoresAClockGoingBack(t *testing.T) {
	b := Rate{Events: 1}.Bucket()
	ok, _ := b.Take(t0)
	require.True(t, ok)
	ok, _ = b.Take(t0.Add(-time.Hour))
	assert.False(t, ok)
}

func TestStrikesBlockAfterLimitWithinWindow(t *testing.T) {
	c := Strikes{Limit: 3, Window: caddy.Duration(time.Minute), Block: caddy.Duration(10 * time.Minute)}.Counter()
	assert.False(t, c.Fail("a", t0))
	assert.False(t, c.Fail("a", t0.Add(10*time.Second)))
	_, blocked := c.Blocked("a", t0.Add(20*time.Second))
	assert.False(t, blocked)
	assert.True(t, c.Fail("a", t0.Add(20*time.Second)), "the third failure blocks")
	until, blocked := c.Blocked("a", t0.Add(21*time.Second))
	assert.True(t, blocked)
	assert.Equal(t, t0.Add(20*time.Second+10*time.Minute), until)
	_, blocked = c.Blocked("b", t0.Add(21*time.Second))
	assert.False(t, blocked, "other clients are not blocked")
	_, blocked = c.Blocked("a", until)
	assert.False(t, blocked, "the block ends")
}

func TestStrikesWindowResets(t *testing.T) {
	c := Strikes{Limit: 2, Window: caddy.Duration(time.Minute)}.Counter()
	assert.False(t, c.Fail("a", t0))
	assert.False(t, c.Fail("a", t0.Add(2*time.Minute)), "the first failure's window is over")
	assert.True(t, c.Fail("a", t0.Add(2*time.Minute+time.Second)))
}

func TestStrikesBounded(t *testing.T) {
	c := Strikes{Limit: 5}.Counter()
	c.clients = make(map[string]*client, maxClients)
	for i := 0; i < maxClients; i++ {
		c.clients[strconv.Itoa(i)] = &client{failures: 1, windowStart: t0}
	}
	c.Fail("new", t0.Add(time.Second))
	assert.Equal(t, maxClients, len(c.clients), "live clients are kept; the new one goes uncounted")
	_, tracked := c.clients["new"]
	assert.False(t, tracked)
	c.Fail("new", t0.Add(2*time.Minute))
	assert.Equal(t, 1, len(c.clients), "a sweep forgets clients whose window is over")
}

func TestBucketTakeUpTo(t *testing.T) {
	b := Rate{Events: 10, Burst: 4}.Bucket()
	n, _ := b.TakeUpTo(3, t0)
	assert.Equal(t, 3, n)
	n, _ = b.TakeUpTo(3, t0)
	assert.Equal(t, 1, n, "only the burst's last token")
	n, wait := b.TakeUpTo(3, t0)
	assert.Zero(t, n)
	assert.Equal(t, 100*time.Millisecond, wait)
}
