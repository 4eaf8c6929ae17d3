package bolt

import (
	"fmt"
	"sort"
	"sync"
	"testing"
	"time"
)

func TestPacedLatencyDebug(t *testing.T) {
	s := openBolt(t)
	var mu sync.Mutex
	var lat []time.Duration
	var wg sync.WaitGroup
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for i := 0; i < 3000; i++ {
		<-tick.C
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			m := newMsg("q", t0)
			start := time.Now()
			_, err := s.Enqueue(m, key(fmt.Sprint("k", i)))
			d := time.Since(start)
			if err != nil {
				t.Error(err)
			}
			mu.Lock()
			lat = append(lat, d)
			mu.Unlock()
			time.Sleep(500 * time.Microsecond)
			if err := s.Delivered(m.ID); err != nil {
				t.Error(err)
			}
		}(i)
	}
	wg.Wait()
	sort.Slice(lat, func(i, j int) bool { return lat[i] < lat[j] })
	t.Logf("p50 %v p99 %v max %v", lat[len(lat)/2], lat[len(lat)*99/100], lat[len(lat)-1])
}
