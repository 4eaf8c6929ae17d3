package loadgen

import (
	"math"
	"math/bits"
	"time"
)

// subBits is the number of bits kept below a value's leading one: each
// power-of-two range is split into 2^subBits linear sub-buckets, so a bucket
// is at most 1/2^subBits = 0.78 % of its values wide (HdrHistogram's "two
// significant digits" precision). Values below 2^(subBits+1) are exact.
const (
	subBits    = 7
	subCount   = 1 << subBits
	histBucket = (64-subBits)*subCount + subCount
)

// Hist is a log-bucketed latency histogram in the manner of HdrHistogram:
// constant memory, O(1) recording, percentiles within 1 % of the true value.
// It holds durations in nanoseconds. A Hist is not safe for concurrent use;
// give each goroutine its own and Merge them.
type Hist struct {
	counts [histBucket]uint64
	n      uint64
	sum    float64
	min    int64
	max    int64
}

// NewHist returns an empty histogram.
func NewHist() *Hist { return &Hist{min: math.MaxInt64} }

// bucketOf returns the index of the bucket holding v (v ≥ 0).
func bucketOf(v uint64) int {
	shift := bits.Len64(v) - (subBits + 1)
	if shift <= 0 {
		return int(v)
	}
	return shift*subCount + int(v>>uint(shift))
}

// bucketRange returns the smallest and largest value bucket i holds.
func bucketRange(i int) (lo, hi uint64) {
	if i < 2*subCount {
		return uint64(i), uint64(i)
	}
	shift := i/subCount - 1
	top := uint64(i - shift*subCount)
	return top << uint(shift), (top+1)<<uint(shift) - 1
}

// Record adds one observation.
func (h *Hist) Record(d time.Duration) {
	v := int64(d)
	if v < 0 {
		v = 0
	}
	h.counts[bucketOf(uint64(v))]++
	h.n++
	h.sum += float64(v)
	h.min = min(h.min, v)
	h.max = max(h.max, v)
}

// Merge adds every observation of o to h.
func (h *Hist) Merge(o *Hist) {
	if o.n == 0 {
		return
	}
	for i, c := range o.counts {
		h.counts[i] += c
	}
	h.n += o.n
	h.sum += o.sum
	h.min = min(h.min, o.min)
	h.max = max(h.max, o.max)
}

// Count returns the number of observations.
func (h *Hist) Count() uint64 { return h.n }

// Max returns the largest observation (exact).
func (h *Hist) Max() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.max)
}

// Min returns the smallest observation (exact).
func (h *Hist) Min() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.min)
}

// Mean returns the arithmetic mean (exact up to float rounding).
func (h *Hist) Mean() time.Duration {
	if h.n == 0 {
		return 0
	}
	return time.Duration(h.sum / float64(h.n))
}

// Quantile returns the value at percentile p (0 < p ≤ 100): the smallest
// recorded value v such that at least p % of the observations are ≤ v,
// reported as the middle of its bucket and clamped to [Min, Max].
func (h *Hist) Quantile(p float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	rank := uint64(math.Ceil(p / 100 * float64(h.n)))
	rank = max(1, min(rank, h.n))
	var seen uint64
	for i, c := range h.counts {
		if c == 0 {
			continue
		}
		seen += c
		if seen >= rank {
			lo, hi := bucketRange(i)
			v := int64(lo + (hi-lo)/2)
			return time.Duration(max(h.min, min(v, h.max)))
		}
	}
	return time.Duration(h.max)
}
