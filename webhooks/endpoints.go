package webhooks

import (
	"fmt"
	"maps"
	"time"

	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/endpointstate"
	"github.com/hookgate/hookgate/webhooks/metrics"
	"github.com/hookgate/hookgate/webhooks/notify"
)

// endpointsEvery is how often the stored endpoints are read again, so that
// an endpoint disabled or created through another instance sharing the
// store takes effect here too.
const endpointsEvery = 2 * time.Second

// merged returns the endpoints of r with their stored state: see
// endpointstate.Set.Merged.
func (e *openStore) merged(r *OutboundRoute, withSecrets bool) []queue.Endpoint {
	return e.endpoints.Merged(r.Name, r.Endpoints, withSecrets)
}

// policies returns a's queues with the queues of its active endpoints, and
// remembers which queue is whose endpoint. A disabled endpoint's queue is
// left out: the dispatcher stops taking its messages, which wait.
func (e *openStore) policies(a *App) map[string]*delivery.Policy {
	out := maps.Clone(a.policies)
	refs := map[string]endpointstate.Ref{}
	for _, r := range a.routes {
		for _, ep := range e.merged(r, true) {
			refs[ep.Queue()] = endpointstate.Ref{ID: ep.ID, Route: r.Name, DisableAfter: r.DisableAfter}
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
	e.endpoints.SetRefs(refs)
	return out
}

// apply hands the queues of the latest started config to the dispatcher.
// e.mu is held.
func (e *openStore) apply() {
	if n := len(e.owners); n > 0 && e.dispatcher != nil {
		ps := e.policies(e.owners[n-1])
		e.noteKeep(ps)
		e.dispatcher.Apply(ps)
	}
}

func (e *openStore) reapply() {
	e.mu.Lock()
	defer e.mu.Unlock()
	e.apply()
}

// endpointAttempt follows the results of an endpoint's attempts (see
// endpointstate.Set.Attempt). It runs in the delivery goroutine, so the
// disabling (which re-applies the queues and may wait for the open
// store's lock, held while the dispatcher closes) runs apart.
func (e *openStore) endpointAttempt(at delivery.Attempt) {
	if ref, reason, why, disable := e.endpoints.Attempt(at); disable {
		go e.setDisabled(ref, true, reason, why)
	}
}

// setDisabled disables (or enables) an endpoint, stores that, applies it
// to the dispatcher and emits the event. Doing it twice is harmless.
func (e *openStore) setDisabled(ref endpointstate.Ref, disabled bool, reason, why string) error {
	a := current.Load()
	if a == nil || a.routes[ref.Route] == nil {
		return fmt.Errorf("outbound route %q is not running", ref.Route)
	}
	es, err := a.endpointStore()
	if err != nil {
		return err
	}
	changed, err := e.endpoints.StoreDisabled(es, ref.Route, a.routes[ref.Route].Endpoints, ref.ID, disabled, why)
	if err != nil || !changed {
		if err != nil {
			e.log.Error("storing endpoint state", zap.String("endpoint", ref.ID), zap.Error(err))
		}
		return err
	}
	e.reapply()
	event, data := notify.EventEndpointEnabled, map[string]any{"endpoint": ref.ID, "route": ref.Route}
	if disabled {
		event, data["reason"] = notify.EventEndpointDisabled, why
		metrics.EndpointDisabled(ref.Route, reason)
		e.log.Warn("outbound endpoint disabled", zap.String("endpoint", ref.ID), zap.String("route", ref.Route), zap.String("reason", why))
	} else {
		e.endpoints.Count(ref.ID, true)
		e.log.Info("outbound endpoint enabled", zap.String("endpoint", ref.ID), zap.String("route", ref.Route))
	}
	a.notify.Emit(event, data)
	return nil
}

// refreshEndpoints reads the stored endpoints and reports whether they
// changed (the queues are then to be applied again).
func (e *openStore) refreshEndpoints(st queue.Store) bool {
	es, ok := st.(queue.EndpointStore)
	if !ok {
		return false
	}
	changed, err := e.endpoints.Refresh(es, time.Now())
	if err != nil {
		e.log.Error("reading outbound endpoints", zap.Error(err))
	}
	return changed
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
