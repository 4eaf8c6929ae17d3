// Package ext holds what the sub-packages of complex schemes (awssns, oidc,
// plaid, adyen, microsoft) share: their failure type, which package
// signature turns into its own *signature.Error, and a bounded, caching
// HTTPS fetcher for the keys and certificates some senders publish.
//
// Like every sub-package of signature, it never imports signature.
package ext

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"sync"
	"time"
)

// The reasons a verification fails; they match signature.Reason.
const (
	Missing   = "missing"
	Malformed = "malformed"
	Mismatch  = "mismatch"
	Stale     = "stale"
)

// Error is a verification failure. Its message never holds a secret, a
// signature or a URL beyond its scheme and host.
type Error struct {
	Reason string
	Detail string
}

func (e *Error) Error() string { return "signature " + e.Reason + ": " + e.Detail }

// Fail returns an *Error.
func Fail(reason, format string, args ...any) *Error {
	return &Error{Reason: reason, Detail: fmt.Sprintf(format, args...)}
}

// Verifier is a complex scheme's verifier: it returns the SHA-256 of what
// the signature covers (nil when it covers no content) or an *Error.
type Verifier interface {
	Verify(r *http.Request, body []byte, now time.Time) (digest []byte, err error)
}

// Limits bound every fetch.
const (
	FetchTimeout  = 5 * time.Second
	MaxFetchBytes = 256 << 10
)

// Client is the HTTP client fetches use by default: a timeout, no
// redirects (a redirect could leave the allowed host).
func Client() *http.Client {
	return &http.Client{
		Timeout:       FetchTimeout,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// Cache is a bounded cache of fetched documents, keyed by URL (or any key),
// each kept for its TTL. Concurrent misses of one key fetch once.
type Cache struct {
	TTL time.Duration
	Max int // entries; the oldest is evicted beyond it

	mu      sync.Mutex
	entries map[string]*entry
}

type entry struct {
	ready   chan struct{}
	val     any
	err     error
	fetched time.Time
}

// Get returns the cached value of key, or calls fetch once to fill it.
// Failures are cached for a few seconds only, so that a burst of forged
// requests naming a missing key does not turn into a burst of fetches.
func (c *Cache) Get(key string, now time.Time, fetch func() (any, error)) (any, error) {
	c.mu.Lock()
	if c.entries == nil {
		c.entries = map[string]*entry{}
	}
	if e, ok := c.entries[key]; ok {
		select {
		case <-e.ready:
			ttl := c.TTL
			if e.err != nil {
				ttl = 5 * time.Second
			}
			if now.Sub(e.fetched) < ttl {
				c.mu.Unlock()
				return e.val, e.err
			}
		default:
			c.mu.Unlock()
			<-e.ready
			return e.val, e.err
		}
	}
	if c.Max > 0 && len(c.entries) >= c.Max {
		c.evictOldest()
	}
	e := &entry{ready: make(chan struct{})}
	c.entries[key] = e
	c.mu.Unlock()
	e.val, e.err = fetch()
	e.fetched = now
	close(e.ready)
	return e.val, e.err
}

func (c *Cache) evictOldest() {
	var oldest string
	var at time.Time
	for k, e := range c.entries {
		select {
		case <-e.ready:
		default:
			continue
		}
		if oldest == "" || e.fetched.Before(at) {
			oldest, at = k, e.fetched
		}
	}
	if oldest != "" {
		delete(c.entries, oldest)
	}
}

// Fetch sends req with client and returns the body of a 200 answer, read
// up to MaxFetchBytes (a longer one is an error).
func Fetch(ctx context.Context, client *http.Client, req *http.Request) ([]byte, error) {
	ctx, cancel := context.WithTimeout(ctx, FetchTimeout)
	defer cancel()
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		return nil, fmt.Errorf("fetch %s://%s: %w", req.URL.Scheme, req.URL.Host, errors.Unwrap(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("fetch %s://%s: status %d", req.URL.Scheme, req.URL.Host, resp.StatusCode)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, MaxFetchBytes+1))
	if err != nil {
		return nil, fmt.Errorf("fetch %s://%s: %w", req.URL.Scheme, req.URL.Host, err)
	}
	if len(b) > MaxFetchBytes {
		return nil, fmt.Errorf("fetch %s://%s: answer larger than %d bytes", req.URL.Scheme, req.URL.Host, MaxFetchBytes)
	}
	return b, nil
}
