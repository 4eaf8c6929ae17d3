// Package webhooks is the "webhooks" Caddy app: it owns the durable store
// and the delivery workers that the webhook handlers share, and serves them
// on the admin API. Store and workers live in a caddy.UsagePool, so that a
// config reload hands them to the new config without dropping or
// re-delivering a message. Its parts that take what the app hands them
// live below it: metrics (Prometheus), notify (operational events) and
// endpointstate (the outbound endpoints' state).
package webhooks

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/metrics"
	"github.com/hookgate/hookgate/webhooks/notify"
	"github.com/hookgate/hookgate/webhooks/series"
)

func init() {
	caddy.RegisterModule(App{})
}

// DefaultDeadRetention is how long dead-lettered messages are kept.
const DefaultDeadRetention = 7 * 24 * time.Hour

// App is the webhooks app. Handlers reach it with ctx.App("webhooks").
type App struct {
	// Storage holds messages, their schedule, the dead-letter queue and the
	// dedupe records. Default: the embedded store in Caddy's data directory.
	StorageRaw json.RawMessage `json:"storage,omitempty" caddy:"namespace=webhooks.storage inline_key=engine"`
	// DeadRetention is how long dead-lettered messages are kept before they
	// are purged. Default: 7 days.
	DeadRetention caddy.Duration `json:"dead_retention,omitempty"`
	// Notify is where operational events (webhook_dead, queue_stale,
	// endpoint_disabled, endpoint_enabled) are sent as webhooks of type
	// "hookgate.<event>", with retries, signed at each attempt by its Sign
	// (standard_webhooks, typically). They are Caddy events too. Optional.
	Notify *delivery.Policy `json:"notify,omitempty"`
	// StaleAfter emits queue_stale when a queue's oldest message (by time of
	// receipt) is older than this. 0: off.
	StaleAfter caddy.Duration `json:"stale_after,omitempty"`

	ctx      caddy.Context
	notify   *notify.Notifier
	storage  queue.Storage
	shared   *openStore
	policies map[string]*delivery.Policy
	routes   map[string]*OutboundRoute  // of webhook_outbound handlers
	inspect  map[string]*redact.Headers // queues whose messages are shown whole
	metrics  *metrics.Metrics
	log      *zap.Logger
}

// CaddyModule returns the Caddy module information.
func (App) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "webhooks", New: func() caddy.Module { return new(App) }}
}

// Provision loads the storage module and takes (without opening it yet) a
// reference to the open store of its key. Opening waits for Start, so that
// `caddy validate` never contends for the running server's database lock.
func (a *App) Provision(ctx caddy.Context) error {
	a.log = ctx.Logger()
	a.policies = map[string]*delivery.Policy{}
	if a.DeadRetention <= 0 {
		a.DeadRetention = caddy.Duration(DefaultDeadRetention)
	}
	if a.StorageRaw == nil {
		a.StorageRaw = json.RawMessage(`{"engine":"embedded"}`)
	}
	mod, err := ctx.LoadModule(a, "StorageRaw")
	if err != nil {
		return fmt.Errorf("loading webhooks storage: %w", err)
	}
	a.storage = mod.(queue.Storage)
	if err := a.provisionEvents(ctx); err != nil {
		return fmt.Errorf("webhooks events: %w", err)
	}
	a.metrics = metrics.Register(ctx.GetMetricsRegistry(), running{})
	a.shared, err = loadOpenStore(a.storage, a.log, a.metrics)
	return err
}

// RegisterQueue declares a queue and its delivery policy. Two handlers may
// share a queue only with the same policy. inspect is nil unless the route
// has inspect on: then the admin API shows its messages' bodies and
// headers, these redacted through it.
func (a *App) RegisterQueue(name string, p *delivery.Policy, inspect *redact.Headers) error {
	if old, ok := a.policies[name]; ok && !old.SameConfig(p) {
		return fmt.Errorf("queue %q is configured twice with different upstream settings: give one route its own queue name", name)
	}
	a.policies[name] = p
	a.setInspect(name, inspect)
	return nil
}

// Start opens the store and hands this config's queues to the workers.
func (a *App) Start() error {
	if err := a.shared.start(a); err != nil {
		return err
	}
	current.Store(a)
	return nil
}

// Stop gives the workers back to the previous config if this one was
// started last (a reload whose new config failed to start), and otherwise
// leaves them running for the config that replaced it.
func (a *App) Stop() error {
	a.shared.stop(a)
	current.CompareAndSwap(a, nil)
	return nil
}

// Cleanup drops this config's reference to the open store; the last one closes it.
func (a *App) Cleanup() error {
	if a.shared == nil {
		return nil
	}
	_, err := openStores.Delete(a.storage.Key())
	return err
}

// store returns the open store, opening it if a request comes before Start
// (apps start in no particular order).
func (a *App) store() (queue.Store, error) { return a.shared.open() }

// Enqueue durably stores m, claiming key with it, and wakes its queue.
func (a *App) Enqueue(m *queue.Message, key queue.Key) (string, error) {
	s, err := a.store()
	if err != nil {
		return "", err
	}
	id, err := s.Enqueue(m, key)
	if err == nil {
		a.shared.wake(m.Queue)
		a.shared.series.Add(m.Queue, series.Received, 1)
	}
	return id, err
}

// EnqueueAll durably stores the deliveries of one webhook fanned out to
// several queues (one body, one delivery each), claiming key with them in
// the same commit, and wakes their queues.
func (a *App) EnqueueAll(ms []*queue.Message, key queue.Key) (string, error) {
	if err := queue.CheckGroup(ms); err != nil {
		return "", err
	}
	s, err := a.store()
	if err != nil {
		return "", err
	}
	id, err := s.EnqueueAll(ms, key)
	if err == nil {
		for _, m := range ms {
			a.shared.wake(m.Queue)
			a.shared.series.Add(m.Queue, series.Received, 1)
		}
	}
	return id, err
}

// Claim durably claims a dedupe key without a message.
func (a *App) Claim(key queue.Key, id string) (string, error) {
	s, err := a.store()
	if err != nil {
		return "", err
	}
	return s.Claim(key, id)
}

// Confirm turns a verify-only hold into the claim, without waiting for
// the disk (see queue.Store.Confirm).
func (a *App) Confirm(key queue.Key, id string) error {
	s, err := a.store()
	if err != nil {
		return err
	}
	return s.Confirm(key, id)
}

// Release drops a claimed dedupe key.
func (a *App) Release(key queue.Key, id string) error {
	s, err := a.store()
	if err != nil {
		return err
	}
	return s.Release(key, id)
}

// DeliverNow attempts a stored message at once, waiting up to budget for
// the upstream's answer (ack within).
func (a *App) DeliverNow(m *queue.Message, budget time.Duration) delivery.NowResult {
	return a.shared.deliverNow(m, budget)
}

// Received counts a request to route by its result.
func (a *App) Received(route, result string) {
	a.metrics.Received(route, result)
}

// FilterError counts a drop or when expression of route that failed at
// run time.
func (a *App) FilterError(route string) {
	a.metrics.FilterError(route)
}

// Interface guards
var (
	_ caddy.App          = (*App)(nil)
	_ caddy.Provisioner  = (*App)(nil)
	_ caddy.CleanerUpper = (*App)(nil)
)
