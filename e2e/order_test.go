package e2e

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const orderCaddyfile = `{
	admin {{.Admin}}
}
http://{{.HTTP}} {
	route /hooks/ordered {
		webhook_inbound {
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			order_by {json.sourceId}
			upstream {{.Upstream}} {
				concurrency 8
				retry 20ms
				max_attempts 100
			}
		}
	}
}
`

// TestOrderByKeepsEachKeysOrderThroughFailures sends 1,000 webhooks over 20
// keys to an upstream that fails one attempt in five; the receiver checks
// that each key's webhooks arrive one at a time, in the order accepted.
func TestOrderByKeepsEachKeysOrderThroughFailures(t *testing.T) {
	const keys, perKey = 20, 50
	type event struct {
		ID, SourceID string
		Seq          int
	}
	var mu sync.Mutex
	inFlight := map[string]bool{}
	delivered := map[string][]int{} // per key, the seqs answered 2xx, in order
	var overlaps []string
	rc := newReceiver(t)
	rc.setAnswer(func(_ int, r *http.Request, _ http.ResponseWriter) int {
		var e event
		_ = json.NewDecoder(r.Body).Decode(&e)
		mu.Lock()
		if inFlight[e.SourceID] {
			overlaps = append(overlaps, e.ID)
		}
		inFlight[e.SourceID] = true
		mu.Unlock()
		time.Sleep(time.Millisecond)
		fail := rand.IntN(5) == 0
		mu.Lock()
		inFlight[e.SourceID] = false
		if !fail {
			delivered[e.SourceID] = append(delivered[e.SourceID], e.Seq)
		}
		mu.Unlock()
		if fail {
			return http.StatusInternalServerError
		}
		return http.StatusOK
	})
	c := startCaddy(t, orderCaddyfile, map[string]any{"Upstream": rc.URL})

	var wg sync.WaitGroup
	for k := 0; k < keys; k++ {
		wg.Add(1)
		go func() { // one sender per key, so a key's acceptance order is its seq order
			defer wg.Done()
			for seq := 0; seq < perKey; seq++ {
				body := fmt.Sprintf(`{"id":"evt_%d_%d","sourceId":"src_%d","seq":%d}`, k, seq, k, seq)
				code, resp, err := send(c.request("/hooks/ordered", body, nil))
				if err != nil || code != http.StatusAccepted {
					t.Errorf("%s: %d %s %v", body, code, resp, err)
				}
			}
		}()
	}
	wg.Wait()
	waitFor(t, 60*time.Second, "every webhook delivered", func() bool {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, seqs := range delivered {
			n += len(seqs)
		}
		return n >= keys*perKey
	})
	mu.Lock()
	defer mu.Unlock()
	assert.Empty(t, overlaps, "two deliveries of one key at once")
	for k := 0; k < keys; k++ {
		seqs := delivered[fmt.Sprintf("src_%d", k)]
		want := make([]int, perKey)
		for i := range want {
			want[i] = i
		}
		require.Equal(t, want, seqs, "key src_%d: delivered in acceptance order, each once", k)
	}
}
