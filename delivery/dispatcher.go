// Package delivery is Hookgate's delivery engine: the dispatcher that runs
// one loop per queue over a queue.Store, the attempt (send, settle,
// retry or dead-letter), the delivery Policy and its retry schedule, the
// signing of attempts, and ack-within (DeliverNow). Pacing (rate, 429/503
// slow-down, the connection breaker, per-destination limits) is in
// delivery/pacing, which the runners drive with the dispatcher's clock.
package delivery

import (
	"context"
	"errors"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"go.opentelemetry.io/otel/trace"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery/pacing"
	"github.com/hookgate/hookgate/delivery/spans"
	"github.com/hookgate/hookgate/queue"
)

// pollInterval bounds how long a queue sleeps without looking at its store,
// for writes that did not wake it (another process sharing the store).
const pollInterval = time.Second

// Dispatcher runs one delivery loop per configured queue over a shared
// store. It outlives config reloads: Apply swaps policies in place, so
// messages in flight are neither dropped nor delivered twice.
type Dispatcher struct {
	store  queue.Store
	log    *zap.Logger
	report Reporter
	now    func() time.Time // see Options.Now
	spans  spans.Providers

	ctx    context.Context // deliveries; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	queues map[string]*runner
}

// Options configure a Dispatcher.
type Options struct {
	// Log takes a line per attempt and the errors of the loops. Default:
	// none.
	Log *zap.Logger
	// Reporter, if not nil, learns of every attempt.
	Reporter Reporter
	// Now is the one clock of the dispatcher: of its leases, pacers,
	// breakers and destinations, and of the attempts (their start and
	// duration, signing timestamp, Retry-After dates, next attempt, time
	// of death). Waiting (the loops' sleeps, the ack-within budget) uses
	// real timers. Default: time.Now.
	Now func() time.Time
	// TracerProvider, if not nil, makes the spans of traced messages'
	// attempts (see SetTracerProvider). Default: the one the handlers
	// learn from Caddy's tracing.
	TracerProvider trace.TracerProvider
}

// NewDispatcher returns a dispatcher over store.
func NewDispatcher(store queue.Store, o Options) *Dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	if o.Reporter == nil {
		o.Reporter = ReporterFunc(func(Attempt) {})
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	d := &Dispatcher{store: store, log: o.Log, report: o.Reporter, now: o.Now, ctx: ctx, cancel: cancel, queues: map[string]*runner{}}
	d.spans.Fixed = o.TracerProvider
	return d
}

// Apply makes policies the set of queues being delivered: new queues start,
// changed ones take their new policy at their next attempt, and queues no
// longer listed stop taking messages (their messages wait in the store).
// The policies must be provisioned.
func (d *Dispatcher) Apply(policies map[string]*Policy) {
	d.mu.Lock()
	defer d.mu.Unlock()
	for name, r := range d.queues {
		if policies[name] == nil {
			r.stop()
			delete(d.queues, name)
		}
	}
	for name, p := range policies {
		if r := d.queues[name]; r != nil {
			r.setPolicy(p)
			r.poke()
			continue
		}
		r := newRunner(d, name, p)
		d.queues[name] = r
		d.wg.Add(1)
		go r.loop()
	}
}

// Wake tells queue that it has a message due now.
func (d *Dispatcher) Wake(queue string) {
	d.mu.Lock()
	r := d.queues[queue]
	d.mu.Unlock()
	if r != nil {
		r.poke()
	}
}

// Close stops every queue and cancels the deliveries in flight; their
// messages stay queued and are delivered after the next start.
func (d *Dispatcher) Close() {
	d.Apply(nil)
	d.cancel()
	d.wg.Wait()
}

type runner struct {
	d        *Dispatcher
	name     string
	policy   atomic.Pointer[Policy]
	client   atomic.Pointer[client]
	inflight atomic.Int32
	pace     pacing.Pacer
	breaker  pacing.Breaker
	dests    pacing.Destinations // of a PerDestination queue
	wake     chan struct{}
	ctx      context.Context // the loop; deliveries use d.ctx
	stop     context.CancelFunc
}

func newRunner(d *Dispatcher, name string, p *Policy) *runner {
	r := &runner{d: d, name: name, wake: make(chan struct{}, 1)}
	r.ctx, r.stop = context.WithCancel(d.ctx)
	r.setPolicy(p)
	return r
}

func (r *runner) setPolicy(p *Policy) {
	r.policy.Store(p)
	r.pace.SetRate(p.Rate)
	if c := r.client.Load(); c == nil || !c.fits(p) {
		r.client.Store(newClient(p))
	}
}

func (r *runner) poke() {
	select {
	case r.wake <- struct{}{}:
	default:
	}
}

func (r *runner) loop() {
	defer r.d.wg.Done()
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		wait := r.fill()
		timer.Reset(wait)
		select {
		case <-r.ctx.Done():
			return
		case <-r.wake:
		case <-timer.C:
		}
	}
}

// leaseBatch is how many slots must be free before fill leases: a lease
// steps over the messages in flight (bbolt's cursor, Redis's ZSCOREs in the
// lease script), so leasing for each slot as it frees cost O(concurrency)
// per delivery; an eighth of the slots at a time costs O(8).
func leaseBatch(p *Policy) int { return max(1, p.Concurrency/8) }

// fill leases as many due messages as there are free delivery slots, starts
// their deliveries, and returns how long to sleep before looking again.
func (r *runner) fill() time.Duration {
	p := r.policy.Load()
	free := p.Concurrency - int(r.inflight.Load())
	if free <= 0 || free < leaseBatch(p) {
		return pollInterval // each delivery that ends pokes the runner
	}
	now := r.d.now()
	if !p.PerDestination {
		var wait time.Duration
		if free, wait = r.breaker.Allow(free, now); free == 0 {
			return min(wait, pollInterval)
		}
	}
	allowed, wait := r.pace.Allow(free, now)
	if allowed == 0 {
		return min(wait, pollInterval)
	}
	msgs, next, err := r.d.store.Lease(r.name, now, allowed, time.Duration(p.Timeout)+leaseMargin)
	if err != nil {
		r.pace.Refund(allowed)
		r.d.log.Error("leasing due messages", zap.String("queue", r.name), zap.Error(err))
		return pollInterval
	}
	started := r.start(p, msgs, now)
	r.pace.Refund(allowed - started)
	switch {
	case len(msgs) == allowed && started < len(msgs):
		return 0 // some were put back for their destination: there may be more due for others
	case len(msgs) == allowed || next.IsZero():
		return pollInterval
	}
	return min(max(next.Sub(now), 0), pollInterval)
}

// start starts the deliveries of msgs and returns how many started. In a
// PerDestination queue, a message whose destination is paused or at its
// cap is put back, due when its destination may take it, uncounted.
func (r *runner) start(p *Policy, msgs []*queue.Message, now time.Time) int {
	if !p.PerDestination {
		r.breaker.Started(len(msgs))
		for _, m := range msgs {
			r.launch(m, nil)
		}
		return len(msgs)
	}
	started, limit := 0, pacing.DestinationCap(p.Concurrency)
	for _, m := range msgs {
		dst, later := r.dests.Start(pacing.DestinationKey(r.target(p, m)), limit, now)
		if dst == nil {
			r.putBack(m, later)
			continue
		}
		r.launch(m, dst)
		started++
	}
	return started
}

func (r *runner) launch(m *queue.Message, dst *pacing.Destination) {
	r.inflight.Add(1)
	r.d.wg.Add(1)
	go r.deliver(m, dst)
}

// putBack returns a leased message to its queue, due at, without counting
// an attempt.
func (r *runner) putBack(m *queue.Message, at time.Time) {
	m.NextAttempt = at
	if err := r.d.store.Update(m); err != nil && !errors.Is(err, queue.ErrNotFound) {
		// Its lease runs out instead, and it is leased again then.
		r.d.log.Warn("putting a message back for its destination", zap.String("id", m.ID), zap.Error(err))
	}
}

// target is where m goes: its own URL, or the policy's (an outbound
// endpoint's message goes to its current URL).
func (r *runner) target(p *Policy, m *queue.Message) string {
	if m.URL != "" {
		return m.URL
	}
	return p.URL
}

// leaseMargin is added to the attempt timeout so that a lease outlives the
// attempt it covers.
const leaseMargin = 10 * time.Second

// observeAttempt feeds the breaker an attempt's result. Only failures to
// reach the queue's own upstream count: a queue whose messages name their
// own destinations (outbound destination_header) must not hold every
// destination back for one that is down.
func (r *runner) observeAttempt(p *Policy, m *queue.Message, outcome Outcome, err error) {
	result, retryAt := attemptResult(m, outcome, err)
	if result == pacing.Refused && !ownUpstream(p, m) {
		result = pacing.Unrelated
	}
	r.breaker.Observe(result, retryAt, r.d.now())
}

// attemptResult is what an attempt tells a breaker about the destination
// it went to, and when its message is due again (zero if it is not).
func attemptResult(m *queue.Message, outcome Outcome, err error) (result pacing.Result, retryAt time.Time) {
	result = pacing.Reached
	if err != nil && pacing.DialFailed(err) {
		result = pacing.Refused
	}
	if outcome == Retry {
		retryAt = m.NextAttempt
	}
	return result, retryAt
}

// ownUpstream reports whether m goes to the host of the queue's policy.
func ownUpstream(p *Policy, m *queue.Message) bool {
	if m.URL == "" {
		return true
	}
	mu, err1 := url.Parse(m.URL)
	pu, err2 := url.Parse(p.URL)
	return err1 == nil && err2 == nil && mu.Host == pu.Host
}
