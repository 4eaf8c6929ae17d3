package loadgen

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestBucketBoundsHoldTheirValues(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	check := func(v uint64) {
		i := bucketOf(v)
		require.Less(t, i, histBucket, "v=%d", v)
		lo, hi := bucketRange(i)
		require.LessOrEqual(t, lo, v, "v=%d", v)
		require.GreaterOrEqual(t, hi, v, "v=%d", v)
		if lo > 0 {
			assert.LessOrEqual(t, float64(hi-lo)/float64(lo), 1.0/subCount, "bucket of %d too wide", v)
		}
	}
	for v := uint64(0); v < 5000; v++ {
		check(v)
	}
	for range 100000 {
		check(rng.Uint64N(math.MaxInt64))
		check(uint64(math.Exp(rng.Float64() * 40)))
	}
	check(math.MaxInt64)
	// Buckets are contiguous: each one starts where the previous ended.
	for i := 1; i < histBucket; i++ {
		_, prevHi := bucketRange(i - 1)
		lo, _ := bucketRange(i)
		require.Equal(t, prevHi+1, lo, "bucket %d", i)
		if lo > math.MaxInt64/2 {
			break
		}
	}
}

func TestSmallValuesAreExact(t *testing.T) {
	h := NewHist()
	for v := 1; v <= 100; v++ {
		h.Record(time.Duration(v))
	}
	assert.Equal(t, time.Duration(50), h.Quantile(50))
	assert.Equal(t, time.Duration(99), h.Quantile(99))
	assert.Equal(t, time.Duration(100), h.Quantile(99.9))
	assert.Equal(t, time.Duration(100), h.Quantile(100))
	assert.Equal(t, time.Duration(1), h.Min())
	assert.Equal(t, time.Duration(100), h.Max())
	assert.Equal(t, uint64(100), h.Count())
}

// exactQuantile is the reference: the smallest value with at least p % of
// the sorted sample at or below it.
func exactQuantile(sorted []time.Duration, p float64) time.Duration {
	rank := int(math.Ceil(p / 100 * float64(len(sorted))))
	rank = max(1, min(rank, len(sorted)))
	return sorted[rank-1]
}

func TestPercentilesWithinOnePercent(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	dists := map[string]func() time.Duration{
		"uniform 0-100ms": func() time.Duration { return time.Duration(rng.Int64N(int64(100 * time.Millisecond))) },
		// A latency-like long tail: lognormal around 2 ms.
		"lognormal": func() time.Duration {
			return time.Duration(float64(2*time.Millisecond) * math.Exp(rng.NormFloat64()))
		},
		// Bimodal: fast acks plus a 2 s slow mode.
		"bimodal": func() time.Duration {
			if rng.IntN(100) == 0 {
				return 2*time.Second + time.Duration(rng.Int64N(int64(50*time.Millisecond)))
			}
			return time.Duration(300_000 + rng.Int64N(700_000))
		},
	}
	for name, gen := range dists {
		t.Run(name, func(t *testing.T) {
			h := NewHist()
			vals := make([]time.Duration, 200_000)
			for i := range vals {
				vals[i] = gen()
				h.Record(vals[i])
			}
			sort.Slice(vals, func(i, j int) bool { return vals[i] < vals[j] })
			for _, p := range []float64{1, 50, 90, 99, 99.9, 99.99, 100} {
				want := exactQuantile(vals, p)
				got := h.Quantile(p)
				assert.InEpsilon(t, float64(want), float64(got), 0.01, "p%g: want %s got %s", p, want, got)
			}
			var sum float64
			for _, v := range vals {
				sum += float64(v)
			}
			assert.InEpsilon(t, sum/float64(len(vals)), float64(h.Mean()), 1e-6)
			assert.Equal(t, vals[0], h.Min())
			assert.Equal(t, vals[len(vals)-1], h.Max())
		})
	}
}

func TestMergeEqualsOneHistogram(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 6))
	all := NewHist()
	parts := []*Hist{NewHist(), NewHist(), NewHist(), NewHist()}
	for i := range 50_000 {
		v := time.Duration(rng.Int64N(int64(time.Second)))
		all.Record(v)
		parts[i%len(parts)].Record(v)
	}
	merged := NewHist()
	merged.Merge(NewHist()) // merging an empty one changes nothing
	for _, p := range parts {
		merged.Merge(p)
	}
	assert.Equal(t, all.Count(), merged.Count())
	assert.Equal(t, all.Min(), merged.Min())
	assert.Equal(t, all.Max(), merged.Max())
	for _, p := range []float64{50, 99, 99.9} {
		assert.Equal(t, all.Quantile(p), merged.Quantile(p))
	}
}

func TestEmptyAndNegative(t *testing.T) {
	h := NewHist()
	assert.Equal(t, time.Duration(0), h.Quantile(99))
	assert.Equal(t, time.Duration(0), h.Mean())
	assert.Equal(t, time.Duration(0), h.Min())
	h.Record(-5) // clock skew: counted as zero
	assert.Equal(t, time.Duration(0), h.Quantile(50))
	assert.Equal(t, uint64(1), h.Count())
}

func TestQuantileClampedToObservedRange(t *testing.T) {
	h := NewHist()
	h.Record(1_000_001) // a single value in a wide bucket
	assert.Equal(t, time.Duration(1_000_001), h.Quantile(50))
	assert.Equal(t, time.Duration(1_000_001), h.Quantile(99.9))
}
