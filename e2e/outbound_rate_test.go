package e2e

import (
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rateRoutes fans every submission out to two endpoints: slow has its own
// rate, fast has none (nor has the route).
const rateRoutes = `
	route /events {
		webhook_outbound {
			name paced
			allow_http
			allow_private 127.0.0.0/8
			sign standard_webhooks {
				secret ` + outSecret + `
			}
			endpoint slow {{.Slow}} {
				rate 20/s burst 2
			}
			endpoint fast {{.Fast}}
		}
	}
`

// mostOverRate returns the largest excess, over all windows between two
// deliveries, of the deliveries in the window over rate×its length: a
// token bucket of that rate allows at most its burst.
func mostOverRate(d []delivery, rate float64) float64 {
	most := 0.0
	for i := range d {
		for j := i; j < len(d); j++ {
			most = max(most, float64(j-i+1)-rate*d[j].At.Sub(d[i].At).Seconds())
		}
	}
	return most
}

// emitAll submits n events to path at once, from concurrent clients, so
// that they are queued faster than any rate under test.
func emitAll(t *testing.T, c *caddy, path string, n int) {
	t.Helper()
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req, err := http.NewRequest(http.MethodPost, "http://"+c.HTTP+path, strings.NewReader(fmt.Sprintf(`{"id":"evt_%d"}`, i)))
			if err == nil {
				req.Header.Set("Content-Type", "application/json")
				var code int
				var body string
				if code, body, err = send(req); err == nil && code != http.StatusAccepted {
					err = fmt.Errorf("answered %d: %s", code, body)
				}
			}
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		require.NoError(t, err)
	}
}

// TestOutboundRatePerEndpoint: an endpoint with `rate 20/s burst 2` never gets
// more than 20×t + 2 deliveries in any window of length t, while another
// endpoint of the same route, without a rate, gets every message at once.
func TestOutboundRatePerEndpoint(t *testing.T) {
	const n, rate, burst = 60, 20, 2
	slow, fast := newReceiver(t), newReceiver(t)
	c := startOutbound(t, rateRoutes, map[string]any{"Slow": slow.URL, "Fast": fast.URL})

	emitAll(t, c, "/events", n)
	waitFor(t, 5*time.Second, "every message at the fast endpoint", func() bool { return len(fast.deliveries()) == n })
	assert.Less(t, len(slow.deliveries()), n/2, "the slow endpoint's rate holds back only its own messages")
	waitFor(t, 10*time.Second, "every message at the slow endpoint", func() bool { return len(slow.deliveries()) == n })

	assert.Len(t, slow.deliveredIDs(), n, "each message once")
	// One delivery of slack: a delivery leaves when its token is taken but
	// is timed on arrival, so store and network delays can bunch two.
	slowOver, fastOver := mostOverRate(slow.deliveries(), rate), mostOverRate(fast.deliveries(), rate)
	t.Logf("most deliveries beyond rate×t in a window: slow %.2f, fast %.2f", slowOver, fastOver)
	assert.LessOrEqual(t, slowOver, float64(burst+1), "deliveries in a window beyond rate×t")
	assert.Greater(t, fastOver, float64(burst+1), "the fast endpoint is not paced (else this test proves nothing)")
}
