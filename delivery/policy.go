package delivery

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"time"

	"github.com/caddyserver/caddy/v2"

	"github.com/hookgate/hookgate/delivery/upstreamauth"
	"github.com/hookgate/hookgate/internal/limit"
	"github.com/hookgate/hookgate/internal/netguard"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
)

// Defaults of a delivery Policy.
const (
	DefaultTimeout     = 30 * time.Second
	DefaultBackoffMin  = time.Second
	DefaultBackoffMax  = time.Hour
	DefaultMaxAttempts = 10
	DefaultConcurrency = 8
	maxRetryAfter      = 24 * time.Hour
)

// Policy says where and how a queue's messages are delivered.
type Policy struct {
	// URL of the upstream. A URL without a path keeps the path and query the
	// webhook was received on (as reverse_proxy does); a URL with a path is
	// used as it is.
	URL string `json:"url,omitempty"`
	// Timeout of one delivery attempt. Default: 30s.
	Timeout caddy.Duration `json:"timeout,omitempty"`
	// Retry is an explicit schedule: the delay before the 2nd, 3rd, …
	// attempt. Past its end the last delay repeats until MaxAttempts. When
	// empty, delays grow exponentially from BackoffMin to BackoffMax with
	// full jitter.
	Retry []caddy.Duration `json:"retry,omitempty"`
	// BackoffMin is the first exponential delay. Default: 1s.
	BackoffMin caddy.Duration `json:"backoff_min,omitempty"`
	// BackoffMax caps the exponential delay. Default: 1h.
	BackoffMax caddy.Duration `json:"backoff_max,omitempty"`
	// MaxAttempts bounds the attempts before a message is dead-lettered.
	// Default: len(Retry)+1 with an explicit schedule, else 10.
	MaxAttempts int `json:"max_attempts,omitempty"`
	// MaxAge dead-letters a message whose next attempt would come later than
	// this after it was received. Default: no limit.
	MaxAge caddy.Duration `json:"max_age,omitempty"`
	// Concurrency bounds the deliveries in flight to this upstream. Default: 8.
	Concurrency int `json:"concurrency,omitempty"`
	// Rate bounds the attempts per period to this upstream (per Caddy
	// instance), with bursts. Whatever it is, a 429 or 503 from the upstream
	// pauses the queue for its Retry-After, else for a delay that doubles
	// (1s to 1m) until an attempt succeeds. Default: no rate.
	Rate *limit.Rate `json:"rate,omitempty"`
	// Sign re-signs every delivery attempt, at send time, with this scheme
	// (normally "standard_webhooks"): the message id it signs is the dedupe
	// key (see MessageID), and Webhook-Received-At is added. Its secrets are
	// placeholders ({env.X}, {file./path}), resolved at provisioning and
	// never stored. Default: deliveries keep only the sender's headers.
	Sign *signature.Config `json:"sign,omitempty"`
	// TransportRaw is the round tripper of deliveries: Caddy's own
	// reverse_proxy transport module, "protocol": "http" with any of its
	// options (tls, tls_client_auth, tls_trust_pool, versions, dial_timeout,
	// keepalive, forward proxy, …), as in reverse_proxy. Redirects are still
	// not followed, and the outbound SSRF guard still checks every address
	// dialled. Default: Hookgate's own client (10s dial and TLS handshake
	// timeouts, keep-alive connections up to Concurrency, no proxy).
	TransportRaw json.RawMessage `json:"transport,omitempty" caddy:"namespace=http.reverse_proxy.transport inline_key=protocol"`
	// Auth authenticates every attempt with a bearer token: a static one, or
	// an OAuth 2.0 client-credentials token fetched and cached. Default: none.
	Auth *upstreamauth.Config `json:"auth,omitempty"`
	// HeaderUp sets static header fields on every delivery attempt,
	// replacing the sender's fields of the same name (Webhook-Id,
	// Webhook-Attempt, Idempotency-Key and a re-signature are set after
	// them and win). Values may hold {env.X} and {file./path}
	// placeholders, resolved at provisioning and never stored with the
	// messages. Default: none.
	HeaderUp http.Header `json:"header_up,omitempty"`
	// KeepDelivered keeps a delivered message, with its attempts, for this
	// long instead of removing it: the admin API lists it (state
	// "delivered") and replays it like a dead letter, and the store's purge
	// removes it afterwards. Default: 0, a delivered message is removed.
	KeepDelivered caddy.Duration `json:"keep_delivered,omitempty"`
	// KeepResponses stores the first 1 KiB of each answer's body with the
	// attempt, in the message's attempts (which may hold customer data).
	// Default: off, attempts keep status, latency and error only.
	KeepResponses bool `json:"keep_responses,omitempty"`
	// Guard, when set, refuses connections to the addresses it blocks,
	// checked on the address dialled (outbound SSRF guard). Set by the
	// outbound handler, not part of the JSON config.
	Guard *netguard.Rules `json:"-"`
	// PerDestination: the queue's messages name their own destinations
	// (outbound destination_header), which are paced and capped apart (see
	// pacing.DestinationCap). Set by the outbound handler, not part of the JSON
	// config.
	PerDestination bool `json:"-"`

	target        *url.URL
	signer        signature.Signer     // built from Sign by provisionSign
	signSecrets   []string             // Sign's resolved secrets
	signKeys      []string             // Sign's resolved keys (Ed25519, v1a)
	transportJSON []byte               // TransportRaw as configured
	transport     http.RoundTripper    // loaded from TransportRaw
	auth          *upstreamauth.Source // made from Auth
	headerUp      http.Header          // HeaderUp, canonical names, placeholders resolved
}

// Provision fills in defaults and parses the URL.
func (p *Policy) Provision() error {
	u, err := url.Parse(p.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return fmt.Errorf("upstream %q: want an http:// or https:// URL with a host", p.URL)
	}
	p.target = u
	if p.Timeout <= 0 {
		p.Timeout = caddy.Duration(DefaultTimeout)
	}
	if p.BackoffMin <= 0 {
		p.BackoffMin = caddy.Duration(DefaultBackoffMin)
	}
	if p.BackoffMax <= 0 {
		p.BackoffMax = caddy.Duration(DefaultBackoffMax)
	}
	if p.BackoffMax < p.BackoffMin {
		return fmt.Errorf("backoff maximum %s is below its minimum %s", time.Duration(p.BackoffMax), time.Duration(p.BackoffMin))
	}
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = DefaultMaxAttempts
		if len(p.Retry) > 0 {
			p.MaxAttempts = len(p.Retry) + 1
		}
	}
	if p.Concurrency <= 0 {
		p.Concurrency = DefaultConcurrency
	}
	if p.Rate != nil {
		if err := p.Rate.Validate(); err != nil {
			return err
		}
	}
	if p.TransportRaw != nil && p.transport == nil {
		return errors.New("upstream transport: not loaded (LoadTransport)")
	}
	if p.Auth != nil && p.auth == nil {
		return errors.New("upstream auth: not loaded (LoadTransport)")
	}
	if p.KeepDelivered < 0 {
		return fmt.Errorf("keep_delivered %s is negative", time.Duration(p.KeepDelivered))
	}
	for _, d := range p.Retry {
		if d < 0 {
			return fmt.Errorf("retry delay %s is negative", time.Duration(d))
		}
	}
	p.provisionHeaderUp()
	return p.provisionSign()
}

// provisionHeaderUp resolves the placeholders of HeaderUp's values.
func (p *Policy) provisionHeaderUp() {
	p.headerUp = nil
	if len(p.HeaderUp) == 0 {
		return
	}
	repl := caddy.NewReplacer()
	p.headerUp = make(http.Header, len(p.HeaderUp))
	for name, values := range p.HeaderUp {
		for _, v := range values {
			p.headerUp.Add(name, repl.ReplaceKnown(v, ""))
		}
	}
}

// Target returns the URL a request received on path (with query) is
// delivered to.
func (p *Policy) Target(requestURI string) string {
	if p.target.Path != "" && p.target.Path != "/" {
		return p.target.String()
	}
	return p.target.Scheme + "://" + p.target.Host + requestURI
}

// Next returns when to try m again after its attempt number m.Attempts
// failed, or ok=false when it must be dead-lettered. retryAfter is the
// upstream's Retry-After (0 if none): it is honoured when longer than the
// schedule's own delay.
func (p *Policy) Next(m *queue.Message, now time.Time, retryAfter time.Duration) (at time.Time, ok bool) {
	if m.Attempts >= p.MaxAttempts {
		return time.Time{}, false
	}
	delay := p.delay(m.Attempts)
	if retryAfter > delay {
		delay = min(retryAfter, maxRetryAfter)
	}
	at = now.Add(delay)
	if p.MaxAge > 0 && at.Sub(m.ReceivedAt) > time.Duration(p.MaxAge) {
		return time.Time{}, false
	}
	return at, true
}

// delay is the schedule's wait after the failed attempt number n (n ≥ 1).
func (p *Policy) delay(n int) time.Duration {
	if len(p.Retry) > 0 {
		return time.Duration(p.Retry[min(n, len(p.Retry))-1])
	}
	// min·2^(n-1), capped: compared before shifting, since the shift
	// overflows long before 40 (1s<<34 is negative, and rand.N panics).
	ceiling := time.Duration(p.BackoffMax)
	if shift := n - 1; shift < 63 && time.Duration(p.BackoffMin) <= ceiling>>shift {
		ceiling = time.Duration(p.BackoffMin) << shift
	}
	return rand.N(ceiling + 1) // full jitter: uniform in [0, ceiling]
}
