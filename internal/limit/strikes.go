package limit

import (
	"fmt"
	"net/netip"
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
	return s.counter(maxClients)
}

// counter returns an empty strike counter tracking up to size clients.
func (s Strikes) counter(size int) *Counter {
	c := &Counter{limit: s.Limit, window: time.Duration(s.Window), block: time.Duration(s.Block),
		capacity: max(size, 1), clients: make(map[netip.Addr]*client)}
	if c.window == 0 {
		c.window = time.Minute
	}
	if c.block == 0 {
		c.block = 10 * time.Minute
	}
	c.lru.prev, c.lru.next = &c.lru, &c.lru
	return c
}

// Counter counts failures per client, safe for concurrent use.
//
// A client that sent a verified request within the block period is never
// blocked: a provider's shared egress addresses deliver real webhooks, and
// an attacker who points their own account of the same provider at the
// route with a wrong secret must not get them blocked.
//
// Clients live in a map and in a list ordered by last touch, so that when
// the table is full the least recently touched is evicted in O(1), and a
// client whose state has lapsed is reset when next looked up, never swept.
type Counter struct {
	limit         int
	window, block time.Duration
	capacity      int

	mu      sync.Mutex
	clients map[netip.Addr]*client
	lru     client // sentinel: lru.next is the least recently touched
}

type client struct {
	key          netip.Addr
	prev, next   *client
	failures     int
	windowStart  time.Time
	blockedUntil time.Time
	verifiedAt   time.Time // of the last verified request; zero: none
}

// ClientKey is the client an address belongs to: an IPv4 address (or an
// IPv4-mapped IPv6 one) is one client; an IPv6 address counts with its /64,
// which a single host or subscriber is usually given whole, so that walking
// it gains an attacker no fresh budget. Invalid addresses are one client.
func ClientKey(a netip.Addr) netip.Addr {
	a = a.Unmap()
	if !a.Is6() {
		return a
	}
	p, _ := a.WithZone("").Prefix(64)
	return p.Addr()
}

// Blocked reports whether the client of addr is blocked at now, and until when.
func (c *Counter) Blocked(addr netip.Addr, now time.Time) (time.Time, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.clients[ClientKey(addr)]
	if cl == nil || !now.Before(cl.blockedUntil) {
		return time.Time{}, false
	}
	c.touch(cl) // a client still knocking keeps its block
	return cl.blockedUntil, true
}

// Fail counts a failure of the client of addr at now. It reports true when
// this failure blocks the client, once per block.
func (c *Counter) Fail(addr netip.Addr, now time.Time) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	cl := c.get(ClientKey(addr), now)
	if now.Sub(cl.windowStart) >= c.window {
		cl.failures, cl.windowStart = 0, now
	}
	cl.failures++
	if cl.failures < c.limit || now.Before(cl.blockedUntil) || c.vouched(cl, now) {
		return false
	}
	cl.blockedUntil, cl.failures = now.Add(c.block), 0
	return true
}

// Succeed records a verified request from the client of addr at now: for
// the block period, its failures no longer block it, and a block (set while
// the request was being verified) is lifted. It is on every verified
// request's path: one short critical section, no allocation once the client
// is tracked or the table is full.
func (c *Counter) Succeed(addr netip.Addr, now time.Time) {
	c.mu.Lock()
	cl := c.get(ClientKey(addr), now)
	cl.verifiedAt, cl.blockedUntil, cl.failures = now, time.Time{}, 0
	c.mu.Unlock()
}

// vouched reports whether cl sent a verified request within the block period.
func (c *Counter) vouched(cl *client, now time.Time) bool {
	return !cl.verifiedAt.IsZero() && now.Sub(cl.verifiedAt) < c.block
}

// lapsed reports whether cl holds nothing that still matters at now.
func (c *Counter) lapsed(cl *client, now time.Time) bool {
	return now.Sub(cl.windowStart) >= c.window && !now.Before(cl.blockedUntil) && !c.vouched(cl, now)
}

// get returns key's client, touched, tracking it afresh when it is new or
// its state has lapsed. It drops at most two lapsed clients from the
// oldest end, so expiry costs O(1) per call, and evicts the least recently
// touched client when the table is full.
func (c *Counter) get(key netip.Addr, now time.Time) *client {
	if cl := c.clients[key]; cl != nil {
		if c.lapsed(cl, now) {
			*cl = client{key: key, prev: cl.prev, next: cl.next, windowStart: now}
		}
		c.touch(cl)
		return cl
	}
	for i := 0; i < 2 && c.lru.next != &c.lru && c.lapsed(c.lru.next, now); i++ {
		c.drop(c.lru.next)
	}
	var cl *client
	if len(c.clients) >= c.capacity {
		cl = c.lru.next // reused: no allocation when full
		c.drop(cl)
	}
	if cl == nil {
		cl = new(client)
	}
	*cl = client{key: key, windowStart: now}
	c.clients[key] = cl
	c.pushBack(cl)
	return cl
}

func (c *Counter) touch(cl *client) {
	cl.prev.next, cl.next.prev = cl.next, cl.prev
	c.pushBack(cl)
}

func (c *Counter) pushBack(cl *client) {
	cl.prev, cl.next = c.lru.prev, &c.lru
	c.lru.prev.next, c.lru.prev = cl, cl
}

func (c *Counter) drop(cl *client) {
	cl.prev.next, cl.next.prev = cl.next, cl.prev
	cl.prev, cl.next = nil, nil
	delete(c.clients, cl.key)
}
