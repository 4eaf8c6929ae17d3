package e2e

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const limitsCaddyfile = `{
	admin {{.Admin}}
}
http://{{.HTTP}} {
	route /hooks/limited {
		webhook_inbound {
			name limited
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			max_rate 5/m burst 5
			upstream {{.Upstream}}
		}
	}
	route /hooks/guarded {
		webhook_inbound {
			name guarded
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			bad_signatures 3 per 1m block 10m
			upstream {{.Upstream}} {
				concurrency 2
			}
		}
	}
	route /hooks/paced {
		webhook_inbound {
			name paced
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Upstream}} {
				concurrency 16
				rate 50/s burst 10
				retry 100ms
			}
		}
	}
}
`

// clientFrom is an HTTP client whose connections come from ip (any
// 127.0.0.0/8 address works on Linux's loopback).
func clientFrom(ip string) *http.Client {
	dialer := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, addr)
		},
	}}
}

func postFrom(t *testing.T, client *http.Client, c *caddy, path, body, sig string) *http.Response {
	t.Helper()
	req := c.request(path, body, map[string]string{"X-Webhook-Signature": sig})
	resp, err := client.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp
}

func TestMaxRateAnswers429BeyondTheBurst(t *testing.T) {
	rc := newReceiver(t)
	c := startCaddy(t, limitsCaddyfile, map[string]any{"Upstream": rc.URL})
	codes := map[int]int{}
	var retryAfter string
	for i := 0; i < 8; i++ {
		body := fmt.Sprintf(`{"id":"evt_rate_%d"}`, i)
		resp := postFrom(t, http.DefaultClient, c, "/hooks/limited", body, sign(body))
		codes[resp.StatusCode]++
		if resp.StatusCode == http.StatusTooManyRequests {
			retryAfter = resp.Header.Get("Retry-After")
		}
	}
	assert.Equal(t, map[int]int{http.StatusAccepted: 5, http.StatusTooManyRequests: 3}, codes, "5 a minute: the burst, then 429")
	assert.NotEmpty(t, retryAfter)
	assert.NotEqual(t, "0", retryAfter)
	waitFor(t, 5*time.Second, "the accepted five delivered", func() bool { return len(rc.deliveries()) == 5 })
	assert.Equal(t, 3.0, c.metric("hookgate_received_total", `result="rate_limited"`))
}

func TestBadSignaturesThrottleTheirClientOnly(t *testing.T) {
	rc := newReceiver(t)
	c := startCaddy(t, limitsCaddyfile, map[string]any{"Upstream": rc.URL})
	bad, good := clientFrom("127.0.0.2"), clientFrom("127.0.0.3")

	for i := 0; i < 3; i++ {
		resp := postFrom(t, bad, c, "/hooks/guarded", `{"id":"evt_forged"}`, strings.Repeat("0", 64))
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "attempt %d", i)
	}
	body := `{"id":"evt_from_bad_client"}`
	resp := postFrom(t, bad, c, "/hooks/guarded", body, sign(body))
	assert.Equal(t, http.StatusTooManyRequests, resp.StatusCode, "blocked, even with a good signature")
	assert.NotEmpty(t, resp.Header.Get("Retry-After"))

	body = `{"id":"evt_from_good_client"}`
	resp = postFrom(t, good, c, "/hooks/guarded", body, sign(body))
	assert.Equal(t, http.StatusAccepted, resp.StatusCode, "another client is not blocked")
	waitFor(t, 5*time.Second, "the good client's webhook delivered", func() bool { return len(rc.deliveries()) == 1 })
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="throttled"`))
	assert.Equal(t, 1, strings.Count(c.logs(), "client blocked after bad signatures"), "logged once per block")
}

// An attacker who points their own account of a provider at the route with
// a wrong secret sends from the provider's shared addresses: an address that
// has delivered a verified webhook must not be blocked by that, and its real
// webhooks must keep being accepted (GitHub does not retry).
func TestBadSignaturesSpareAnAddressThatDeliveredAVerifiedWebhook(t *testing.T) {
	rc := newReceiver(t)
	c := startCaddy(t, limitsCaddyfile, map[string]any{"Upstream": rc.URL})
	provider := clientFrom("127.0.0.4")

	body := `{"id":"evt_real_0"}`
	require.Equal(t, http.StatusAccepted, postFrom(t, provider, c, "/hooks/guarded", body, sign(body)).StatusCode)
	for i := 0; i < 6; i++ { // twice the limit of 3
		resp := postFrom(t, provider, c, "/hooks/guarded", `{"id":"evt_forged"}`, strings.Repeat("0", 64))
		require.Equal(t, http.StatusUnauthorized, resp.StatusCode, "bad signature %d: counted, never a block", i)
	}
	for i := 1; i <= 3; i++ {
		body := fmt.Sprintf(`{"id":"evt_real_%d"}`, i)
		resp := postFrom(t, provider, c, "/hooks/guarded", body, sign(body))
		assert.Equal(t, http.StatusAccepted, resp.StatusCode, "real webhook %d", i)
	}
	waitFor(t, 5*time.Second, "the four real webhooks delivered", func() bool { return len(rc.deliveries()) == 4 })
	assert.Equal(t, 6.0, c.metric("hookgate_received_total", `result="unauthorized"`))
	assert.LessOrEqual(t, c.metric("hookgate_received_total", `result="throttled"`), 0.0, "none throttled (-1: no series)")
	assert.NotContains(t, c.logs(), "client blocked after bad signatures")
}

func TestUpstreamRateIsNeverExceededBeyondItsBurst(t *testing.T) {
	const n, rate, burst = 150, 50, 10
	rc := newReceiver(t)
	c := startCaddy(t, limitsCaddyfile, map[string]any{"Upstream": rc.URL})
	for i := 0; i < n; i++ {
		body := fmt.Sprintf(`{"id":"evt_paced_%d"}`, i)
		resp := postFrom(t, http.DefaultClient, c, "/hooks/paced", body, sign(body))
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
	}
	waitFor(t, 10*time.Second, "every webhook delivered", func() bool { return len(rc.deliveries()) == n })
	d := rc.deliveries()
	most := 0
	for i := range d {
		inSecond := 0
		for j := i; j < len(d) && d[j].At.Sub(d[i].At) < time.Second; j++ {
			inSecond++
		}
		most = max(most, inSecond)
	}
	assert.LessOrEqual(t, most, rate+burst, "deliveries in any one second")
	assert.Greater(t, d[n-1].At.Sub(d[0].At), time.Second, "150 at 50/s take more than a second")
}

func TestA429SlowsItsUpstreamDown(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ *http.Request, _ http.ResponseWriter) int {
		if n == 1 {
			return http.StatusTooManyRequests // no Retry-After: the queue pauses 1s
		}
		return http.StatusOK
	})
	c := startCaddy(t, limitsCaddyfile, map[string]any{"Upstream": rc.URL})
	for i := 0; i < 3; i++ {
		body := fmt.Sprintf(`{"id":"evt_slow_%d"}`, i)
		resp := postFrom(t, http.DefaultClient, c, "/hooks/paced", body, sign(body))
		require.Equal(t, http.StatusAccepted, resp.StatusCode)
		if i == 0 {
			waitFor(t, 5*time.Second, "the first attempt", func() bool { return len(rc.deliveries()) == 1 })
		}
	}
	waitFor(t, 5*time.Second, "all delivered", func() bool { return len(rc.deliveries()) == 4 })
	d := rc.deliveries()
	assert.GreaterOrEqual(t, d[1].At.Sub(d[0].At), 900*time.Millisecond, "no attempt during the pause")
}
