// Package limit holds the small rate limiters of Hookgate: a token bucket
// for request and delivery rates, and a strike counter that blocks a client
// after too many failures.
package limit

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// Rate is Events per Per, with bursts of up to Burst at once.
type Rate struct {
	// Events allowed per Per, on average.
	Events int `json:"events"`
	// Per is the period of Events. Default: 1s.
	Per caddy.Duration `json:"per,omitempty"`
	// Burst is how many may come at once. Default: Events.
	Burst int `json:"burst,omitempty"`
}

// ParseRate reads "<events>/<period>", where period is s, m, h or a
// duration such as 10s: "50/s", "3000/m", "5/10s".
func ParseRate(s string) (Rate, error) {
	n, per, ok := strings.Cut(s, "/")
	events, err := strconv.Atoi(n)
	if !ok || err != nil || events < 1 {
		return Rate{}, fmt.Errorf("rate %q: want <events>/<period>, e.g. 50/s", s)
	}
	switch per {
	case "s", "m", "h":
		per = "1" + per
	}
	d, err := caddy.ParseDuration(per)
	if err != nil || d <= 0 {
		return Rate{}, fmt.Errorf("rate %q: invalid period %q", s, per)
	}
	return Rate{Events: events, Per: caddy.Duration(d)}, nil
}

// Validate checks the rate.
func (r Rate) Validate() error {
	if r.Events < 1 || r.Per < 0 || r.Burst < 0 {
		return fmt.Errorf("rate: events must be positive, per and burst not negative")
	}
	return nil
}

// Bucket returns a token bucket for the rate, full.
func (r Rate) Bucket() *Bucket {
	per := time.Duration(r.Per)
	if per == 0 {
		per = time.Second
	}
	burst := r.Burst
	if burst == 0 {
		burst = r.Events
	}
	return &Bucket{perToken: per / time.Duration(r.Events), burst: float64(burst), tokens: float64(burst)}
}

// Bucket is a token bucket, safe for concurrent use.
type Bucket struct {
	mu       sync.Mutex
	perToken time.Duration // time to earn one token
	burst    float64
	tokens   float64
	last     time.Time
}

// Take takes a token at now if there is one; otherwise it reports how long
// until there will be.
func (b *Bucket) Take(now time.Time) (ok bool, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.last.IsZero() && now.After(b.last) {
		b.tokens = math.Min(b.burst, b.tokens+float64(now.Sub(b.last))/float64(b.perToken))
	}
	if b.last.IsZero() || now.After(b.last) {
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	return false, time.Duration((1 - b.tokens) * float64(b.perToken))
}

// TakeUpTo takes up to n tokens at now and returns how many it took; when
// it took none, it reports how long until there will be one.
func (b *Bucket) TakeUpTo(n int, now time.Time) (int, time.Duration) {
	taken := 0
	for taken < n {
		ok, wait := b.Take(now)
		if !ok {
			if taken == 0 {
				return 0, wait
			}
			break
		}
		taken++
	}
	return taken, 0
}

// Refund gives back n tokens taken but not used, up to the burst.
func (b *Bucket) Refund(n int) {
	b.mu.Lock()
	b.tokens = math.Min(b.burst, b.tokens+float64(n))
	b.mu.Unlock()
}
