package outbound

import (
	"fmt"
	"net/netip"
	"time"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
	"github.com/hookgate/hookgate/webhooks"
)

// headerQueueURL stands for the URL of the queue of a destination_header
// route: its messages carry their own URL, so the policy's is never used,
// but a policy must have one.
const headerQueueURL = "https://destination-header.invalid/"

// register declares the route's queues and endpoints to the webhooks app,
// building each endpoint's policy once so that mistakes (a missing
// secret, a bad retry schedule) fail the config load, not the delivery.
func (h *Handler) register() error {
	if h.DestinationHeader != "" {
		p := h.basePolicy(headerQueueURL, h.routeSign())
		p.PerDestination = true // each message names its own: pace and cap them apart
		if err := p.Provision(); err != nil {
			return err
		}
		return h.backend.RegisterQueue(h.routeQueue(), p, h.inspection())
	}
	eps, err := h.configEndpoints()
	if err != nil {
		return err
	}
	for i := range eps {
		if _, err := h.policy(&eps[i]); err != nil {
			return fmt.Errorf("endpoint %s: %w", eps[i].ID, err)
		}
	}
	return h.backend.RegisterOutbound(&webhooks.OutboundRoute{
		Name: h.Name, Endpoints: eps, FanOut: h.To == "", Policy: h.policy,
		Guard: h.guard, DisableAfter: h.DisableAfter, Inspect: h.inspection(),
	})
}

// inspection is how the route's messages are shown with inspect on (the
// headers of its schemes redacted), nil with it off.
func (h *Handler) inspection() *redact.Headers {
	if !h.Inspect {
		return nil
	}
	names := h.routeSign().CredentialHeaders()
	for _, e := range h.Endpoints {
		if e.Sign != nil {
			names = append(names, e.Sign.CredentialHeaders()...)
		}
	}
	return redact.NewHeaders(names...)
}

// configEndpoints are the endpoints of the config: To's (named after the
// route), or those listed, with their URLs and filters checked.
func (h *Handler) configEndpoints() ([]queue.Endpoint, error) {
	if h.To != "" {
		h.Endpoints = nil
		return []queue.Endpoint{{ID: h.Name, Route: h.Name, URL: h.To, Config: true}}, h.checkStatic(h.To)
	}
	h.config = map[string]*Endpoint{}
	out := make([]queue.Endpoint, 0, len(h.Endpoints))
	for _, e := range h.Endpoints {
		if e.ID == "" || h.config[e.ID] != nil {
			return nil, fmt.Errorf("endpoint %q: ids must be set and unique", e.ID)
		}
		if e.ID == h.Name {
			// Its queue would be the route's, whose idempotency scope holds
			// the submission ids: its messages would be taken for duplicates.
			return nil, fmt.Errorf("endpoint %q: an endpoint's id must differ from its route's name", e.ID)
		}
		if err := h.checkStatic(e.URL); err != nil {
			return nil, fmt.Errorf("endpoint %s: %w", e.ID, err)
		}
		for _, p := range e.Events {
			if err := queue.ValidEventPattern(p); err != nil {
				return nil, fmt.Errorf("endpoint %s: %w", e.ID, err)
			}
		}
		if len(e.Events) > 0 && h.eventType == nil {
			return nil, fmt.Errorf("endpoint %s filters events: set event_type", e.ID)
		}
		h.config[e.ID] = e
		out = append(out, queue.Endpoint{ID: e.ID, Route: h.Name, URL: e.URL, Events: e.Events, Config: true})
	}
	return out, nil
}

// checkStatic checks a destination of the config: its form, and its
// address when it is an IP literal. A name is checked at connect time, on
// every connection, as its DNS answer may change.
func (h *Handler) checkStatic(raw string) error {
	u, err := h.guard.ParseURL(raw)
	if err != nil {
		return err
	}
	if a, err := netip.ParseAddr(u.Hostname()); err == nil {
		return h.guard.CheckAddr(a)
	}
	return nil
}

// routeQueue is the route's own queue: a destination_header route's, and
// that of its `to` endpoint (queue.Endpoint.Queue names it too). It also
// scopes the idempotency keys of a fan-out.
func (h *Handler) routeQueue() string { return queue.RouteQueue(h.Name) }

// routeSign is the route's signature config, standard_webhooks by default
// (without secrets: an endpoint must then bring its own).
func (h *Handler) routeSign() *signature.Config {
	if h.Sign != nil {
		return h.Sign
	}
	return &signature.Config{Scheme: DefaultScheme}
}

// policy is the provisioned delivery policy of one of the route's
// endpoints: the route's schedule, the endpoint's URL, signature and rate,
// and the SSRF guard on every connection.
func (h *Handler) policy(e *queue.Endpoint) (*delivery.Policy, error) {
	sign, c := h.routeSign(), h.config[e.ID]
	switch {
	case !e.Config:
		// Created through the admin API: the route's scheme, its own secrets.
		s := *sign
		s.Secrets = e.ActiveSecrets(time.Now())
		sign = &s
	case c != nil && c.Sign != nil:
		sign = c.Sign
	}
	p := h.basePolicy(e.URL, sign)
	if e.Config && c != nil && c.Rate != nil {
		p.Rate = c.Rate
	}
	if err := p.Provision(); err != nil {
		return nil, err
	}
	return p, nil
}

// basePolicy copies the route's delivery settings for one destination.
func (h *Handler) basePolicy(url string, sign *signature.Config) *delivery.Policy {
	p := *h.Delivery
	p.URL, p.Sign, p.Guard = url, sign, h.guard
	return &p
}
