package webhooks

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/webhooks/endpointstate"
	"github.com/hookgate/hookgate/webhooks/metrics"
	"github.com/hookgate/hookgate/webhooks/notify"
	"github.com/hookgate/hookgate/webhooks/series"
)

// openStores is the pool of open stores, one per storage key, shared by the
// configs that name it and kept across config reloads.
var openStores = caddy.NewUsagePool()

// current is the most recently started app, for the admin API.
var current atomic.Pointer[App]

// purgeEvery is how often expired dedupe records and old dead messages go.
const purgeEvery = time.Minute

// openStore is an entry of openStores: a store, opened on first use, with
// its dispatcher and janitor. It is shared by every config whose storage
// has the same Key, and closed when the last one is cleaned up. (The
// "engine" key of the storage JSON names the storage module, not this.)
type openStore struct {
	storage   queue.Storage
	log       *zap.Logger
	metrics   *metrics.Metrics
	recent    recentAttempts    // for the dashboard
	series    *series.Ring      // its charts
	endpoints endpointstate.Set // outbound endpoints' state

	mu         sync.Mutex
	st         queue.Store
	dispatcher *delivery.Dispatcher
	owners     []*App // started configs, latest last: its queues are delivered
	stopLoops  chan struct{}

	// shortestKeep is the shortest keep_delivered of the queues delivered
	// (0: none), which shortens the purge's period (see purgeDue).
	shortestKeep atomic.Int64

	// latest is owners' last, read without mu by Attempted, which runs in
	// deliveries that Destruct waits for while holding mu.
	latest atomic.Pointer[App]
}

func loadOpenStore(s queue.Storage, log *zap.Logger, m *metrics.Metrics) (*openStore, error) {
	v, _, err := openStores.LoadOrNew(s.Key(), func() (caddy.Destructor, error) {
		return &openStore{storage: s, log: log, metrics: m, series: series.New(nil)}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*openStore), nil
}

// open opens the store on first use and starts the workers and janitor.
func (e *openStore) open() (queue.Store, error) {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st != nil {
		return e.st, nil
	}
	st, err := e.storage.Open(e.log)
	if err != nil {
		return nil, err
	}
	e.st = st
	e.dispatcher = delivery.NewDispatcher(st, delivery.Options{Log: e.log.Named("delivery"), Reporter: e})
	e.stopLoops = make(chan struct{})
	go e.purgeLoop(st, e.stopLoops)
	go e.sampleLoop(st, e.stopLoops)
	go notify.WatchStale(st, e.stopLoops, runningStale)
	e.refreshEndpoints(st)
	go e.watchEndpoints(st, e.stopLoops)
	return st, nil
}

func (e *openStore) start(a *App) error {
	if _, err := e.open(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.owners = append(e.owners, a)
	e.latest.Store(a)
	e.apply()
	return nil
}

func (e *openStore) stop(a *App) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, o := range e.owners {
		if o == a {
			e.owners = append(e.owners[:i], e.owners[i+1:]...)
			break
		}
	}
	var latest *App
	if n := len(e.owners); n > 0 {
		latest = e.owners[n-1]
	}
	e.latest.Store(latest)
	e.apply()
}

// Attempted implements delivery.Reporter: an attempt counts in the
// metrics, shows on the dashboard, moves its endpoint's state, and emits
// its events through the config being delivered (the latest owner).
func (e *openStore) Attempted(a delivery.Attempt) {
	e.metrics.Attempt(a)
	e.recent.add(a)
	if a.Outcome == delivery.Delivered {
		e.series.Add(a.Queue, series.Delivered, 1)
	} else {
		e.series.Add(a.Queue, series.Failed, 1)
	}
	e.endpointAttempt(a)
	if app := e.latest.Load(); app != nil {
		app.notify.Attempted(a)
	}
}

func (e *openStore) wake(queueName string) {
	e.mu.Lock()
	d := e.dispatcher
	e.mu.Unlock()
	if d != nil {
		d.Wake(queueName)
	}
}

// deliverNow attempts m at once: see delivery.Dispatcher.DeliverNow.
func (e *openStore) deliverNow(m *queue.Message, budget time.Duration) delivery.NowResult {
	e.mu.Lock()
	d := e.dispatcher
	e.mu.Unlock()
	if d == nil {
		return delivery.NowResult{}
	}
	return d.DeliverNow(m, budget)
}

// retention is the dead-letter retention of the config being delivered.
func (e *openStore) retention() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n := len(e.owners); n > 0 {
		return time.Duration(e.owners[n-1].DeadRetention)
	}
	return DefaultDeadRetention
}

func (e *openStore) purgeLoop(st queue.Store, stop chan struct{}) {
	var last time.Time
	every(purgeTick, stop, func() {
		now := time.Now()
		if !e.purgeDue(last, now) {
			return
		}
		last = now
		n, err := st.Purge(now, now.Add(-e.retention()))
		if err != nil {
			e.log.Error("purging expired records", zap.Error(err))
		} else if n > 0 {
			e.log.Debug("purged expired records", zap.Int("count", n))
		}
	})
}

// sampleLoop records the depth of every queue in the series, at once and
// then each minute (and the series' reader, when it reads).
func (e *openStore) sampleLoop(st queue.Store, stop chan struct{}) {
	e.sample(st)
	every(time.Minute, stop, func() { e.sample(st) })
}

func (e *openStore) sample(st queue.Store) {
	if stats, err := st.Stats(); err == nil {
		depths := make(map[string]int, len(stats))
		for q, s := range stats {
			depths[q] = s.Queued // in flight included
		}
		e.series.Depth(depths)
	}
}

// Destruct stops the workers and closes the store; deliveries in flight
// are cancelled and their messages stay queued for the next start.
func (e *openStore) Destruct() error {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.st == nil {
		return nil
	}
	close(e.stopLoops)
	e.dispatcher.Close()
	err := e.st.Close()
	e.st = nil
	return err
}

// Interface guards
var (
	_ delivery.Reporter = (*openStore)(nil)
	_ caddy.Destructor  = (*openStore)(nil)
)
