package queue

import (
	"context"
	"reflect"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
)

// pollInterval bounds how long a queue sleeps without looking at its store,
// for writes that did not wake it (another process sharing the store).
const pollInterval = time.Second

// Dispatcher runs one delivery loop per configured queue over a shared
// store. It outlives config reloads: Apply swaps policies in place, so
// messages in flight are neither dropped nor delivered twice.
type Dispatcher struct {
	store  Store
	log    *zap.Logger
	report func(Attempt)
	now    func() time.Time // the clock of the breakers and leases, replaced in tests

	ctx    context.Context // deliveries; cancelled by Close
	cancel context.CancelFunc
	wg     sync.WaitGroup

	mu     sync.Mutex
	queues map[string]*runner
}

// Attempt is the result of one delivery attempt, for metrics.
type Attempt struct {
	ID      string // the message's
	Queue   string
	Outcome string // delivered, retry, dead
	Status  int    // 0 when no response came
	At      time.Time
	Took    time.Duration
}

// NewDispatcher returns a dispatcher over store. report, if not nil, is
// called after every attempt.
func NewDispatcher(store Store, log *zap.Logger, report func(Attempt)) *Dispatcher {
	ctx, cancel := context.WithCancel(context.Background())
	if report == nil {
		report = func(Attempt) {}
	}
	return &Dispatcher{store: store, log: log, report: report, now: time.Now, ctx: ctx, cancel: cancel, queues: map[string]*runner{}}
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
	pace     pacer
	breaker  breaker
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
	r.pace.setRate(p.Rate)
	if c := r.client.Load(); c == nil || c.concurrency != p.Concurrency || !reflect.DeepEqual(c.guard, p.Guard) {
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

// fill leases as many due messages as there are free delivery slots, starts
// their deliveries, and returns how long to sleep before looking again.
func (r *runner) fill() time.Duration {
	p := r.policy.Load()
	free := p.Concurrency - int(r.inflight.Load())
	if free <= 0 {
		return pollInterval
	}
	now := r.d.now()
	free, wait := r.breaker.allow(free, now)
	if free == 0 {
		return min(wait, pollInterval)
	}
	allowed, wait := r.pace.allow(free, now)
	if allowed == 0 {
		return min(wait, pollInterval)
	}
	msgs, next, err := r.d.store.Lease(r.name, now, allowed, time.Duration(p.Timeout)+leaseMargin)
	r.pace.refund(allowed - len(msgs))
	if err != nil {
		r.d.log.Error("leasing due messages", zap.String("queue", r.name), zap.Error(err))
		return pollInterval
	}
	r.breaker.started(len(msgs))
	for _, m := range msgs {
		r.inflight.Add(1)
		r.d.wg.Add(1)
		go r.deliver(m)
	}
	if len(msgs) == allowed || next.IsZero() {
		return pollInterval
	}
	return min(max(next.Sub(now), 0), pollInterval)
}

// leaseMargin is added to the attempt timeout so that a lease outlives the
// attempt it covers.
const leaseMargin = 10 * time.Second
