package bolt

import (
	"bytes"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	bbolt "go.etcd.io/bbolt"

	"github.com/hookgate/hookgate/queue"
)

// fillBolt opens a store holding n queued messages of queue q, each with a
// body of size bytes and, if orderKey is set, that OrderKey. The messages
// are written directly, a thousand per transaction, to set up quickly.
func fillBolt(tb testing.TB, q string, n, size int, orderKey string) *Store {
	tb.Helper()
	s, err := Open(filepath.Join(tb.TempDir(), "queue.db"), time.Second)
	require.NoError(tb, err)
	tb.Cleanup(func() { _ = s.Close() })
	body := bytes.Repeat([]byte("x"), size)
	at := time.Now().Add(-time.Hour)
	for i := 0; i < n; i += 1000 {
		require.NoError(tb, s.update(func(tx *bbolt.Tx) error {
			for j := i; j < min(i+1000, n); j++ {
				m := newMsg(q, at.Add(time.Duration(j)*time.Microsecond))
				m.Body, m.OrderKey, m.State = body, orderKey, queue.StateQueued
				rec := queue.EncodeRecord(m)
				if err := s.put(tx, m, rec); err != nil {
					return err
				}
			}
			return nil
		}))
	}
	return s
}

// BenchmarkLeaseDuringStats measures Lease on a small queue while Stats
// runs in a loop over 100k queued messages of another queue, as a scrape
// or a dashboard poll does. Stats used to hold the lease lock through its
// scan, so each Lease waited for a whole scan.
//
//	go test -run '^$' -bench LeaseDuringStats -benchtime 2000x ./queue/
func BenchmarkLeaseDuringStats(b *testing.B) {
	s := fillBolt(b, "bulk", 100_000, 256, "")
	hot := newMsg("hot", time.Now().Add(-time.Minute))
	_, err := s.Enqueue(hot, queue.Key{})
	require.NoError(b, err)

	start := time.Now()
	_, err = s.Stats()
	require.NoError(b, err)
	statsTook := time.Since(start)

	stop := make(chan struct{})
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
				_, _ = s.Stats()
			}
		}
	}()
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		t := time.Now()
		got, _, err := s.Lease("hot", time.Now(), 10, time.Minute)
		lat = append(lat, time.Since(t))
		if err != nil || len(got) != 1 {
			b.Fatalf("lease: %v, %d messages", err, len(got))
		}
		s.unlease(hot.ID)
	}
	b.StopTimer()
	close(stop)
	<-done
	slices.Sort(lat)
	b.ReportMetric(float64(statsTook.Microseconds())/1000, "ms/stats")
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "µs-p50/lease")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "µs-p99/lease")
	b.ReportMetric(float64(lat[len(lat)-1].Microseconds()), "µs-max/lease")
}

// BenchmarkLeaseHeldBack: 10k queued messages of one OrderKey with 16 KiB
// bodies, the first leased: each Lease finds every other held back by it,
// and needs only their headers to know.
//
//	go test -run '^$' -bench LeaseHeldBack -benchmem ./queue/
func BenchmarkLeaseHeldBack(b *testing.B) {
	s := fillBolt(b, "q", 10_000, 16<<10, "customer-1")
	first, _, err := s.Lease("q", time.Now(), 1, time.Hour)
	require.NoError(b, err)
	require.Len(b, first, 1)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		got, _, err := s.Lease("q", time.Now(), 10, time.Hour)
		if err != nil || len(got) != 0 {
			b.Fatalf("lease: %v, %d messages", err, len(got))
		}
	}
}
