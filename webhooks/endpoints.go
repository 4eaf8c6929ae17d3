package webhooks

import (
	"cmp"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/metrics"
	"github.com/hookgate/hookgate/webhooks/notify"
)

// endpointsEvery is how often the stored endpoints are read again, so that
// an endpoint disabled or created through another instance sharing the
// store takes effect here too.
const endpointsEvery = 2 * time.Second

// endpointSet is the open store's view of the stored endpoints and of the
// consecutive failures of each (in memory: a restart forgives them). It
// outlives configs, as the open store does.
type endpointSet struct {
	mu       sync.Mutex
	stored   map[string]*queue.Endpoint // by id, as in the store
	failures map[string]int             // consecutive failed attempts, by id
	refs     map[string]endpointRef     // by queue, as of the last apply
	checked  time.Time                  // of the last refresh

	write sync.Mutex // serialises read-modify-write of stored records
}

// endpointRef ties a queue to its endpoint, for the attempts' results.
type endpointRef struct {
	id, route    string
	disableAfter int
}

// merged returns the endpoints of r: those of the config with their stored
// state, then those created through the admin API, ordered by id. Secrets
// are kept only if withSecrets.
func (s *endpointSet) merged(r *OutboundRoute, withSecrets bool) []queue.Endpoint {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]queue.Endpoint, 0, len(r.Endpoints))
	for _, e := range r.Endpoints {
		if rec := s.stored[e.ID]; rec != nil && rec.Config {
			e.Disabled, e.DisabledReason, e.DisabledAt = rec.Disabled, rec.DisabledReason, rec.DisabledAt
		}
		out = append(out, e)
	}
	for _, rec := range s.stored {
		if !rec.Config && rec.Route == r.Name {
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

// replace takes the store's endpoints; it reports whether they changed, or
// a rotation's grace period ended since the last look (the policy signs
// with fewer secrets from then on).
func (s *endpointSet) replace(list []*queue.Endpoint, now time.Time) bool {
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

// put records e as stored.
func (s *endpointSet) put(e *queue.Endpoint) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stored == nil {
		s.stored = map[string]*queue.Endpoint{}
	}
	s.stored[e.ID] = e
}

func (s *endpointSet) remove(id string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	delete(s.stored, id)
	delete(s.failures, id)
}

// count counts a failed attempt of an endpoint and returns the run of
// failures so far; ok (a success) resets it.
func (s *endpointSet) count(id string, ok bool) int {
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

func (s *endpointSet) ref(queueName string) (endpointRef, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.refs[queueName]
	return r, ok
}

// policies returns a's queues with the queues of its active endpoints, and
// remembers which queue is whose endpoint. A disabled endpoint's queue is
// left out: the dispatcher stops taking its messages, which wait.
func (e *openStore) policies(a *App) map[string]*delivery.Policy {
	out := maps.Clone(a.policies)
	refs := map[string]endpointRef{}
	for _, r := range a.routes {
		for _, ep := range e.endpoints.merged(r, true) {
			refs[ep.Queue()] = endpointRef{ep.ID, r.Name, r.DisableAfter}
			if ep.Disabled {
				continue
			}
			p, err := r.Policy(&ep)
			if err != nil {
				e.log.Error("outbound endpoint left out", zap.String("endpoint", ep.ID), zap.Error(err))
				continue
			}
			out[ep.Queue()] = p
		}
	}
	e.endpoints.mu.Lock()
	e.endpoints.refs = refs
	e.endpoints.mu.Unlock()
	return out
}

// apply hands the queues of the latest started config to the dispatcher.
// e.mu is held.
func (e *openStore) apply() {
	if n := len(e.owners); n > 0 && e.dispatcher != nil {
		e.dispatcher.Apply(e.policies(e.owners[n-1]))
	}
}

func (e *openStore) reapply() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.apply()
}

// endpointAttempt follows the results of an endpoint's attempts: a success
// resets its run of failures, a 410 Gone disables it at once, and
// disable_after failures in a row disable it. It runs in the delivery
// goroutine, so the disabling (which re-applies the queues and may wait
// for the open store's lock, held while the dispatcher closes) runs apart.
func (e *openStore) endpointAttempt(at delivery.Attempt) {
	ref, ok := e.endpoints.ref(at.Queue)
	if !ok {
		return
	}
	n := e.endpoints.count(ref.id, at.Outcome == delivery.Delivered)
	switch {
	case at.Outcome == delivery.Delivered:
	case at.Status == 410:
		go e.setDisabled(ref, true, "gone", "the endpoint answered 410 Gone")
	case ref.disableAfter > 0 && n >= ref.disableAfter:
		go e.setDisabled(ref, true, "failing", fmt.Sprintf("%d consecutive failed attempts", n))
	}
}

// setDisabled disables (or enables) an endpoint, stores that, applies it
// to the dispatcher and emits the event. Doing it twice is harmless.
func (e *openStore) setDisabled(ref endpointRef, disabled bool, reason, why string) error {
	a := current.Load()
	if a == nil || a.routes[ref.route] == nil {
		return fmt.Errorf("outbound route %q is not running", ref.route)
	}
	es, err := a.endpointStore()
	if err != nil {
		return err
	}
	e.endpoints.write.Lock()
	changed, err := e.storeDisabled(es, a.routes[ref.route], ref.id, disabled, why)
	e.endpoints.write.Unlock()
	if err != nil || !changed {
		if err != nil {
			e.log.Error("storing endpoint state", zap.String("endpoint", ref.id), zap.Error(err))
		}
		return err
	}
	e.reapply()
	event, data := notify.EventEndpointEnabled, map[string]any{"endpoint": ref.id, "route": ref.route}
	if disabled {
		event, data["reason"] = notify.EventEndpointDisabled, why
		metrics.EndpointDisabled(ref.route, reason)
		e.log.Warn("outbound endpoint disabled", zap.String("endpoint", ref.id), zap.String("route", ref.route), zap.String("reason", why))
	} else {
		e.endpoints.count(ref.id, true)
		e.log.Info("outbound endpoint enabled", zap.String("endpoint", ref.id), zap.String("route", ref.route))
	}
	a.notify.Emit(event, data)
	return nil
}

// storeDisabled writes the new state of endpoint id of route r; changed is
// false when it was in that state already.
func (e *openStore) storeDisabled(es queue.EndpointStore, r *OutboundRoute, id string, disabled bool, why string) (changed bool, err error) {
	var rec queue.Endpoint
	found := false
	for _, ep := range e.endpoints.merged(r, true) {
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
	e.endpoints.put(&rec)
	return true, nil
}

// refreshEndpoints reads the stored endpoints and reports whether they
// changed (the queues are then to be applied again).
func (e *openStore) refreshEndpoints(st queue.Store) bool {
	es, ok := st.(queue.EndpointStore)
	if !ok {
		return false
	}
	e.endpoints.write.Lock() // not to undo a write made meanwhile
	defer e.endpoints.write.Unlock()
	list, err := es.ListEndpoints()
	if err != nil {
		e.log.Error("reading outbound endpoints", zap.Error(err))
		return false
	}
	return e.endpoints.replace(list, time.Now())
}

// watchEndpoints refreshes the endpoints until stop.
func (e *openStore) watchEndpoints(st queue.Store, stop chan struct{}) {
	every(endpointsEvery, stop, func() {
		if e.refreshEndpoints(st) {
			e.reapply()
		}
	})
}

// every runs fn every d until stop is closed.
func every(d time.Duration, stop chan struct{}, fn func()) {
	t := time.NewTicker(d)
	defer t.Stop()
	for {
		select {
		case <-stop:
			return
		case <-t.C:
			fn()
		}
	}
}
