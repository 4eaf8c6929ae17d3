package queue

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Endpoint is a subscriber of an outbound route: where its messages go,
// which events it takes and whether it is active. Endpoints created
// through the admin API are stored whole; for those of the config only the
// state (Disabled and why) is stored, the rest comes from the config.
type Endpoint struct {
	ID    string `json:"id"`
	Route string `json:"route"`
	// URL is the delivery target.
	URL string `json:"url,omitempty"`
	// Events filters the event types taken: exact names or "prefix.*";
	// empty takes every event.
	Events []string `json:"events,omitempty"`
	// Secrets sign the deliveries of an endpoint created through the admin
	// API, newest first; the older ones sign too until PreviousUntil (a
	// rotation's grace period). Never shown by the admin API nor logged.
	Secrets       []string  `json:"secrets,omitempty"`
	PreviousUntil time.Time `json:"previous_until,omitzero"`
	// Config marks an endpoint of the config: the stored record only holds
	// its state.
	Config bool `json:"config,omitempty"`

	Disabled       bool      `json:"disabled,omitempty"`
	DisabledReason string    `json:"disabled_reason,omitempty"`
	DisabledAt     time.Time `json:"disabled_at,omitzero"`
	CreatedAt      time.Time `json:"created_at,omitzero"`
	UpdatedAt      time.Time `json:"updated_at,omitzero"`
}

// Queue is the queue of the endpoint's messages: its own, so that retries,
// dead letters, concurrency and pauses are per endpoint. The endpoint of a
// route's single destination (`to`) carries the route's name as its id and
// delivers through the route's queue.
func (e *Endpoint) Queue() string {
	if e.ID == e.Route {
		return RouteQueue(e.Route)
	}
	return RouteQueue(e.Route) + ":" + e.ID
}

// RouteQueue is the queue of an outbound route's own messages (those of a
// destination_header route, or of its single destination), and the scope of
// its submissions' idempotency keys.
func RouteQueue(route string) string { return "outbound:" + route }

// ActiveSecrets are the secrets that sign at now: the newest, and the
// previous ones during a rotation's grace period.
func (e *Endpoint) ActiveSecrets(now time.Time) []string {
	if len(e.Secrets) > 1 && !now.Before(e.PreviousUntil) {
		return e.Secrets[:1]
	}
	return e.Secrets
}

// ErrEndpointNotFound: no endpoint with that id.
var ErrEndpointNotFound = errors.New("endpoint not found")

// EndpointStore keeps endpoints, durably, beside the messages. Ids are
// unique across routes.
type EndpointStore interface {
	// PutEndpoint creates or replaces the endpoint with e.ID.
	PutEndpoint(e *Endpoint) error
	// GetEndpoint returns one endpoint, or ErrEndpointNotFound.
	GetEndpoint(id string) (*Endpoint, error)
	// ListEndpoints returns every stored endpoint, ordered by id.
	ListEndpoints() ([]*Endpoint, error)
	// DeleteEndpoint removes an endpoint (not its messages); ErrEndpointNotFound
	// if there is none.
	DeleteEndpoint(id string) error
}

// EncodeEndpoint is the stored record of an endpoint: its JSON.
func EncodeEndpoint(e *Endpoint) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", e.ID, err)
	}
	return b, nil
}

// DecodeEndpoint reads a record of EncodeEndpoint.
func DecodeEndpoint(b []byte) (*Endpoint, error) {
	e := new(Endpoint)
	if err := json.Unmarshal(b, e); err != nil {
		return nil, fmt.Errorf("endpoint record: %w", err)
	}
	return e, nil
}

// Takes reports whether the endpoint subscribes to eventType: no filter
// takes everything; a pattern is an exact name, "*", or "prefix.*", which
// takes every type under prefix (prefix.a, prefix.a.b) but not prefix itself.
func (e *Endpoint) Takes(eventType string) bool {
	if len(e.Events) == 0 {
		return true
	}
	for _, p := range e.Events {
		if MatchEvent(p, eventType) {
			return true
		}
	}
	return false
}

// MatchEvent reports whether eventType matches one pattern (see Takes).
func MatchEvent(pattern, eventType string) bool {
	if pattern == "*" {
		return true
	}
	if prefix, ok := strings.CutSuffix(pattern, "*"); ok {
		return len(eventType) > len(prefix) && strings.HasPrefix(eventType, prefix)
	}
	return pattern == eventType
}

// ValidEventPattern checks a pattern: a non-empty name without spaces, in
// which "*" may only stand alone or as the last segment ("a.b.*").
func ValidEventPattern(p string) error {
	if p == "" || strings.ContainsAny(p, " \t\r\n") {
		return fmt.Errorf("event pattern %q: empty or with spaces", p)
	}
	rest := strings.TrimSuffix(p, "*")
	if strings.Contains(rest, "*") || (rest != p && rest != "" && !strings.HasSuffix(rest, ".")) {
		return fmt.Errorf("event pattern %q: '*' may only stand alone or end the pattern after a dot (a.b.*)", p)
	}
	return nil
}
