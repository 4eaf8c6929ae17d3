// Package endpointstate holds the state of the outbound endpoints as the
// webhooks app sees it: the stored records (config endpoints' state,
// endpoints of the admin API), each endpoint's run of failed attempts,
// which queue is whose endpoint, and the rules that disable one (a 410
// Gone, disable_after failures in a row). The app owns a Set per open
// store and hands it the store to write to.
package endpointstate

import (
	"cmp"
	"fmt"
	"reflect"
	"slices"
	"sync"
	"time"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
)

// Set is the view of the stored endpoints and of the consecutive failures
// of each (in memory: a restart forgives them). The zero Set is empty.
type Set struct {
	mu       sync.Mutex
	stored   map[string]*queue.Endpoint // by id, as in the store
	failures map[string]int             // consecutive failed attempts, by id
	refs     map[string]Ref             // by queue, as of the last SetRefs
	checked  time.Time                  // of the last Replace

	// Write serialises the read-modify-write of stored records: hold it
	// around a write to the store and the Put or Remove that follows.
	Write sync.Mutex
}

// Ref ties a queue to its endpoint, for the attempts' results.
type Ref struct {
	ID, Route    string
	DisableAfter int
}

// Merged returns the endpoints of route: those of the config (config) with
// their stored state, then those created through the admin API, ordered
// by id. Secrets are kept only if withSecrets.
func (s *Set) Merged(route string, config []queue.Endpoint, withSecrets bool) []queue.Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]queue.Endpoint, 0, len(config))
	for _, e := range config {
		if rec := s.stored[e.ID]; rec != nil && rec.Config {
			e.Disabled, e.DisabledReason, e.DisabledAt = rec.Disabled, rec.DisabledReason, rec.DisabledAt
		}
		out = append(out, e)
	}
	for _, rec := range s.stored {
		if !rec.Config && rec.Route == route {
			e := *rec
			if !withSecrets {
				e.Secrets = nil
			}
			out = append(out, e)
		}
	}
	slices.SortFunc(out, func(a, b queue.Endpoint) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

// Unlisted returns the stored endpoints of the admin API whose ids are not
// in seen, without secrets.
func (s *Set) Unlisted(seen map[string]bool) []queue.Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []queue.Endpoint
	for _, e := range s.stored {
		if !seen[e.ID] && !e.Config {
			c := *e
			c.Secrets = nil
			out = append(out, c)
		}
	}
	return out
}

// Replace takes the store's endpoints; it reports whether they changed, or
// a rotation's grace period ended since the last look (the policy signs
// with fewer secrets from then on).
func (s *Set) Replace(list []*queue.Endpoint, now time.Time) bool {
	m := make(map[string]*queue.Endpoint, len(list))
	graceEnded := false
	for _, e := range list {
		m[e.ID] = e
		graceEnded = graceEnded || (len(e.Secrets) > 1 && !e.PreviousUntil.After(now) && e.PreviousUntil.After(s.checked))
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := graceEnded || !reflect.DeepEqual(m, s.stored)
	s.stored, s.checked = m, now
	return changed
}

// Refresh reads the endpoints of es and reports whether they changed (the
// queues are then to be applied again).
func (s *Set) Refresh(es queue.EndpointStore, now time.Time) (bool, error) {
	s.Write.Lock() // not to undo a write made meanwhile
	defer s.Write.Unlock()
	list, err := es.ListEndpoints()
	if err != nil {
		return false, err
	}
	return s.Replace(list, now), nil
}

// Put records e as stored.
func (s *Set) Put(e *queue.Endpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored == nil {
		s.stored = map[string]*queue.Endpoint{}
	}
	s.stored[e.ID] = e
}

// Remove forgets endpoint id and its failures.
func (s *Set) Remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.stored, id)
	delete(s.failures, id)
}

// Count counts a failed attempt of an endpoint and returns the run of
// failures so far; ok (a success) resets it.
func (s *Set) Count(id string, ok bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failures == nil {
		s.failures = map[string]int{}
	}
	if ok {
		delete(s.failures, id)
		return 0
	}
	s.failures[id]++
	return s.failures[id]
}

// SetRefs records which queue is whose endpoint.
func (s *Set) SetRefs(refs map[string]Ref) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.refs = refs
}

// Attempt follows the result of an attempt of an endpoint's queue: a
// success resets its run of failures, a 410 Gone disables it at once, and
// DisableAfter failures in a row disable it. disable tells whether to
// disable ref's endpoint, for reason (gone, failing) and why.
func (s *Set) Attempt(at delivery.Attempt) (ref Ref, reason, why string, disable bool) {
	s.mu.Lock()
	ref, ok := s.refs[at.Queue]
	s.mu.Unlock()
	if !ok {
		return ref, "", "", false
	}
	n := s.Count(ref.ID, at.Outcome == delivery.Delivered)
	switch {
	case at.Outcome == delivery.Delivered:
	case at.Status == 410:
		return ref, "gone", "the endpoint answered 410 Gone", true
	case ref.DisableAfter > 0 && n >= ref.DisableAfter:
		return ref, "failing", fmt.Sprintf("%d consecutive failed attempts", n), true
	}
	return ref, "", "", false
}

// StoreDisabled writes to es the new state of endpoint id of route (whose
// config endpoints are config); changed is false when it was in that
// state already.
func (s *Set) StoreDisabled(es queue.EndpointStore, route string, config []queue.Endpoint, id string, disabled bool, why string) (changed bool, err error) {
	s.Write.Lock()
	defer s.Write.Unlock()
	var rec queue.Endpoint
	found := false
	for _, ep := range s.Merged(route, config, true) {
		if ep.ID == id {
			rec, found = ep, true
		}
	}
	if !found {
		return false, queue.ErrEndpointNotFound
	}
	if rec.Disabled == disabled {
		return false, nil
	}
	now := time.Now()
	rec.Disabled, rec.DisabledReason, rec.DisabledAt, rec.UpdatedAt = disabled, "", time.Time{}, now
	if disabled {
		rec.DisabledReason, rec.DisabledAt = why, now
	}
	if rec.Config {
		// Only the state of a config endpoint is stored.
		rec = queue.Endpoint{ID: rec.ID, Route: rec.Route, Config: true, Disabled: rec.Disabled,
			DisabledReason: rec.DisabledReason, DisabledAt: rec.DisabledAt, UpdatedAt: now}
	}
	if err := es.PutEndpoint(&rec); err != nil {
		return false, err
	}
	s.Put(&rec)
	return true, nil
}
