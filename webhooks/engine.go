package webhooks

import (
	"sync"
	"sync/atomic"
	"time"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/queue"
)

// engines holds one engine per storage key, across config reloads.
var engines = caddy.NewUsagePool()

// current is the most recently started app, for the admin API.
var current atomic.Pointer[App]

// purgeEvery is how often expired dedupe records and old dead messages go.
const purgeEvery = time.Minute

// engine is an open store with its dispatcher and janitor. It is shared by
// every config that names the same storage, and closed when the last one
// is cleaned up.
type engine struct {
	storage   queue.Storage
	log       *zap.Logger
	metrics   *metrics
	recent    recentAttempts // for the dashboard
	endpoints endpointSet    // outbound endpoints' state

	mu         sync.Mutex
	st         queue.Store
	dispatcher *queue.Dispatcher
	owners     []*App // started configs, latest last: its queues are delivered
	stopLoops  chan struct{}
}

func loadEngine(s queue.Storage, log *zap.Logger, m *metrics) (*engine, error) {
	v, _, err := engines.LoadOrNew(s.Key(), func() (caddy.Destructor, error) {
		return &engine{storage: s, log: log, metrics: m}, nil
	})
	if err != nil {
		return nil, err
	}
	return v.(*engine), nil
}

// open opens the store on first use and starts the workers and janitor.
func (e *engine) open() (queue.Store, error) {
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
	e.dispatcher = queue.NewDispatcher(st, e.log.Named("delivery"), func(a queue.Attempt) {
		e.metrics.attempt(a)
		e.recent.add(a)
		e.endpointAttempt(a)
		if app := current.Load(); app != nil {
			app.attempted(a)
		}
	})
	e.stopLoops = make(chan struct{})
	go e.purgeLoop(st, e.stopLoops)
	go e.watchStale(st, e.stopLoops)
	e.refreshEndpoints(st)
	go e.watchEndpoints(st, e.stopLoops)
	return st, nil
}

func (e *engine) start(a *App) error {
	if _, err := e.open(); err != nil {
		return err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.owners = append(e.owners, a)
	e.apply()
	return nil
}

func (e *engine) stop(a *App) {
	e.mu.Lock()
	defer e.mu.Unlock()
	for i, o := range e.owners {
		if o == a {
			e.owners = append(e.owners[:i], e.owners[i+1:]...)
			break
		}
	}
	e.apply()
}

func (e *engine) wake(queueName string) {
	e.mu.Lock()
	d := e.dispatcher
	e.mu.Unlock()
	if d != nil {
		d.Wake(queueName)
	}
}

// deliverNow attempts m at once: see queue.Dispatcher.DeliverNow.
func (e *engine) deliverNow(m *queue.Message, budget time.Duration) (*queue.Reply, string, bool) {
	e.mu.Lock()
	d := e.dispatcher
	e.mu.Unlock()
	if d == nil {
		return nil, "", false
	}
	return d.DeliverNow(m, budget)
}

// retention is the dead-letter retention of the config being delivered.
func (e *engine) retention() time.Duration {
	e.mu.Lock()
	defer e.mu.Unlock()
	if n := len(e.owners); n > 0 {
		return time.Duration(e.owners[n-1].DeadRetention)
	}
	return DefaultDeadRetention
}

func (e *engine) purgeLoop(st queue.Store, stop chan struct{}) {
	every(purgeEvery, stop, func() {
		now := time.Now()
		n, err := st.Purge(now, now.Add(-e.retention()))
		if err != nil {
			e.log.Error("purging expired records", zap.Error(err))
		} else if n > 0 {
			e.log.Debug("purged expired records", zap.Int("count", n))
		}
	})
}

// Destruct stops the workers and closes the store; deliveries in flight
// are cancelled and their messages stay queued for the next start.
func (e *engine) Destruct() error {
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
