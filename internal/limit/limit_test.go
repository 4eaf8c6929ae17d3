package limit

import (
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
