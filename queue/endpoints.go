package queue

import (
	"encoding/json"
	"errors"
	"fmt"
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
		return "outbound:" + e.Route
	}
	return "outbound:" + e.Route + ":" + e.ID
}

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

func encodeEndpoint(e *Endpoint) ([]byte, error) {
	b, err := json.Marshal(e)
	if err != nil {
		return nil, fmt.Errorf("endpoint %s: %w", e.ID, err)
	}
	return b, nil
}

func decodeEndpoint(b []byte) (*Endpoint, error) {
	e := new(Endpoint)
	if err := json.Unmarshal(b, e); err != nil {
		return nil, fmt.Errorf("endpoint record: %w", err)
	}
	return e, nil
}
