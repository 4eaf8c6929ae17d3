package limit

import (
	"fmt"
	"sync"
	"time"

	"github.com/caddyserver/caddy/v2"
)

// Strikes configures blocking a client that fails too often: after Limit
// failures within Window, it is blocked for Block.
type Strikes struct {
	// Limit is the number of failures that blocks a client.
	Limit int `json:"limit"`
	// Window is the period over which failures count. Default: 1m.
	Window caddy.Duration `json:"window,omitempty"`
	// Block is how long a client stays blocked. Default: 10m.
	Block caddy.Duration `json:"block,omitempty"`
}

// Validate checks the configuration.
func (s Strikes) Validate() error {
	if s.Limit < 1 || s.Window < 0 || s.Block < 0 {
		return fmt.Errorf("limit must be positive, window and block not negative")
	}
	return nil
}

// maxClients bounds the clients a Counter tracks, so that a flood of
// addresses cannot grow it without end.
const maxClients = 100_000

// Counter returns an empty strike counter for the configuration.
func (s Strikes) Counter() *Counter {
	c := &Counter{limit: s.Limit, window: time.Duration(s.Window), block: time.Duration(s.Block), clients: map[string]*client{}}
	if c.window == 0 {
		c.window = time.Minute
	}
	if c.block == 0 {
		c.block = 10 * time.Minute
	}
	return c
}

// Counter counts failures per client, safe for concurrent use.
type Counter struct {
	limit         int
	window, block time.Duration

	mu      sync.Mutex
	clients map[string]*client
}

type client struct {
	failures     int
	windowStart  time.Time
	blockedUntil time.Time
}

// Blocked reports whether the client is blocked at now, and until when.
func (c *Counter) Blocked(key string, now time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.clients[key]
	if cl == nil || !now.Before(cl.blockedUntil) {
		return time.Time{}, false
	}
	return cl.blockedUntil, true
}

// Fail counts a failure of the client at now. It reports true when this
// failure blocks the client, once per block.
func (c *Counter) Fail(key string, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.clients[key]
	if cl == nil {
		if len(c.clients) >= maxClients && !c.sweep(now) {
			return false // full of live clients: this one goes uncounted
		}
		cl = &client{windowStart: now}
		c.clients[key] = cl
	}
	if now.Sub(cl.windowStart) >= c.window {
		cl.failures, cl.windowStart = 0, now
	}
	cl.failures++
	if cl.failures < c.limit || now.Before(cl.blockedUntil) {
		return false
	}
	cl.blockedUntil, cl.failures = now.Add(c.block), 0
	return true
}

// sweep forgets clients whose window and block are over; it reports
// whether it freed room.
func (c *Counter) sweep(now time.Time) bool {
	for key, cl := range c.clients {
		if now.Sub(cl.windowStart) >= c.window && !now.Before(cl.blockedUntil) {
			delete(c.clients, key)
		}
	}
	return len(c.clients) < maxClients
}
