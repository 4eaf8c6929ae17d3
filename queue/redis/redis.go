// Package redis is the shared queue.Store: Redis (standalone, Sentinel or
// Cluster through go-redis' UniversalClient), so that several Caddy
// instances share dedupe records and queues, with leases that another
// instance takes over when one dies. Each write is one Lua script. It
// registers the webhooks.storage.redis module and its Caddyfile form,
// `storage redis <url> { … }`.
package redis

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	goredis "github.com/redis/go-redis/v9"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/queue"
)

// Defaults of the Redis store.
const (
	DefaultPrefix  = "hookgate:"
	DefaultLease   = 30 * time.Second
	DefaultTimeout = 3 * time.Second
	// DefaultPoolSize is Storage.PoolSize's default.
	DefaultPoolSize = 128
)

// Options configures a Redis store.
type Options struct {
	// Client says how to reach Redis: one address (standalone), a master
	// name and Sentinel addresses, or several cluster nodes.
	Client *goredis.UniversalOptions
	// Prefix starts every key, so several deployments can share a Redis.
	Prefix string
	// Lease is how long a message stays leased without renewal; a live
	// worker renews it, so it only bounds how soon another instance takes
	// over the messages of an instance that died.
	Lease time.Duration
	// MinReplicas, if positive, makes acknowledged writes wait (WAIT) until
	// that many replicas confirmed them.
	MinReplicas int
	// Timeout bounds dialling, reading and writing, so that callers fail
	// fast (and inbound answers 503) while Redis is unreachable.
	Timeout time.Duration
	// Log receives lease-keeping problems. Default: no logging.
	Log *zap.Logger
}

// Store is the shared queue.Store: many Caddy instances on one Redis (standalone,
// Sentinel or Cluster) share dedupe records, queues and the dead-letter
// queue. Every key of a queue, its messages and their dedupe records
// carries the queue's hash tag, so each Lua script touches one slot.
type Store struct {
	c       goredis.UniversalClient
	cluster *goredis.ClusterClient // c, when it is a cluster client (for WAIT)
	prefix  string
	lease   time.Duration
	minRep  int
	wait    time.Duration // WAIT's own timeout, below the read timeout
	token   string        // this instance's lease-owner id
	log     *zap.Logger

	now func() time.Time // the clock, replaced in tests

	closed    atomic.Bool
	closeOnce sync.Once
	stopKeep  chan struct{}
	keeperWG  sync.WaitGroup

	mu     sync.Mutex
	held   map[string]heldLease // leases this instance renews, by message id
	queues sync.Map             // queue name → when it was last added to the queues set
}

// Open returns a store on the Redis described by o. It does not wait
// for Redis: while Redis is unreachable, calls fail fast and the store
// recovers by itself when Redis returns.
func Open(o Options) (*Store, error) {
	if o.Client == nil {
		return nil, errors.New("redis: no address")
	}
	if o.Prefix == "" {
		o.Prefix = DefaultPrefix
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	} else {
		clientLogOnce.Do(func() { goredis.SetLogger(clientLog{o.Log.Named("redis")}) })
	}
	opts := *o.Client
	applyTimeouts(&opts, o.Timeout)
	s := &Store{
		c: goredis.NewUniversalClient(&opts), prefix: o.Prefix, lease: o.Lease,
		minRep: o.MinReplicas, wait: o.Timeout / 2, token: newToken(), log: o.Log,
		now: time.Now, stopKeep: make(chan struct{}), held: map[string]heldLease{},
	}
	s.cluster, _ = s.c.(*goredis.ClusterClient)
	s.keeperWG.Add(1)
	go s.keepLeases()
	return s, nil
}

// applyTimeouts sets the bounds that make calls fail fast when Redis is
// down; retries are few because the sender of a webhook retries anyway.
func applyTimeouts(o *goredis.UniversalOptions, d time.Duration) {
	if o.DialTimeout <= 0 {
		o.DialTimeout = d
	}
	if o.ReadTimeout == 0 {
		o.ReadTimeout = d
	}
	if o.WriteTimeout == 0 {
		o.WriteTimeout = d
	}
	if o.PoolTimeout == 0 {
		o.PoolTimeout = d
	}
	if o.MaxRetries == 0 {
		o.MaxRetries = 1
	}
	if o.DialerRetries == 0 {
		o.DialerRetries = 1 // each dial may take DialTimeout: no more than one
	}
}

// clientLog routes go-redis's own messages (pool and dial problems) to zap
// instead of stderr. go-redis has one logger per process: the first store
// opened with a logger sets it.
type clientLog struct{ log *zap.Logger }

func (l clientLog) Printf(_ context.Context, format string, v ...any) {
	l.log.Warn(fmt.Sprintf(format, v...))
}

var clientLogOnce sync.Once

func newToken() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// Ping checks that Redis answers.
func (s *Store) Ping() error {
	return s.wrap(s.c.Ping(context.Background()).Err())
}

// Close releases this instance's leases, so that other instances take those
// messages at once, and closes the connections.
func (s *Store) Close() error {
	var err error
	s.closeOnce.Do(func() {
		close(s.stopKeep)
		s.keeperWG.Wait()
		s.releaseAll()
		s.closed.Store(true)
		err = s.c.Close()
	})
	return err
}

// wrap turns client errors into the store's: a closed client is ErrClosed,
// anything else names Redis as its cause.
func (s *Store) wrap(err error) error {
	switch {
	case err == nil:
		return nil
	case s.closed.Load() || errors.Is(err, goredis.ErrClosed):
		return queue.ErrClosed
	case errors.Is(err, queue.ErrNotFound), errors.Is(err, queue.ErrDuplicate), errors.Is(err, queue.ErrLeaseLost):
		return err
	}
	return fmt.Errorf("redis: %w", err)
}

// Key layout. The hash tag of a queue is its route's, {q:<route>}
// (queue.QueueRoute: the queue's name up to the first ">"), so that one
// cluster slot holds the queues of one route — their indexes and messages —
// with the route's dedupe records and the bodies of its fan-out groups.
// The keys of the route's own queue (named as the route) start with
// "{q:<route>}:", as they always did; those of its fan-out queues
// (queue.FanoutQueue) with "{q:<route>}><upstream>:". Claims (verify-only
// routes) have no message and live under their scope's tag, {c:<scope>}.
func (s *Store) tag(q string) string {
	route, up, fanout := strings.Cut(q, queue.FanoutSep)
	t := s.prefix + "{q:" + escapeTag(route) + "}"
	if fanout {
		return t + queue.FanoutSep + escapeSub(up) + ":"
	}
	return t + ":"
}

// queueKeys are the keys of a queue; route is the start of its route's
// keys (its own tag for a route's own queue).
type queueKeys struct{ tag, route, due, dead, lease, owner, order, ids, kept string }

func (s *Store) keys(q string) queueKeys {
	t := s.tag(q)
	return queueKeys{tag: t, route: s.tag(queue.QueueRoute(q)), due: t + "due", dead: t + "dead",
		lease: t + "lease", owner: t + "owner", order: t + "o:", ids: t + "ids", kept: t + "kept"}
}

func (k queueKeys) msg(id string) string { return k.tag + "m:" + id }

// bodies starts the keys of the bodies of the route's fan-out groups:
// hashes of the body and n, the number of deliveries still stored.
func (k queueKeys) bodies() string { return k.route + "b:" }

// dedupe is the key of a dedupe record of this queue's route. The scope's
// length keeps scope and value from running together.
func (k queueKeys) dedupe(key queue.Key) string {
	return k.route + "k:" + strconv.Itoa(len(key.Scope)) + ":" + key.Scope + ":" + key.Value
}

func (s *Store) claimKey(key queue.Key) string {
	return s.prefix + "{c:" + escapeTag(key.Scope) + "}:k:" + key.Value
}

func (s *Store) queuesKey() string { return s.prefix + "queues" }

// escapeTag keeps braces out of a hash tag, injectively; escapeSub keeps
// colons out of a fan-out queue's upstream part.
var (
	escapeTag = strings.NewReplacer("%", "%25", "{", "%7B", "}", "%7D").Replace
	escapeSub = strings.NewReplacer("%", "%25", ":", "%3A").Replace
)

// register adds queue to the set of queues that admin calls walk. It runs
// before writes to a queue, so the set never misses a queue with messages;
// it is repeated every registerEvery in case Redis lost the set (a restart
// without persistence, a failover to a stale replica).
func (s *Store) register(ctx context.Context, q string) error {
	now := time.Now()
	if at, ok := s.queues.Load(q); ok && now.Sub(at.(time.Time)) < registerEvery {
		return nil
	}
	if err := s.c.SAdd(ctx, s.queuesKey(), q).Err(); err != nil {
		return err
	}
	s.queues.Store(q, now)
	return nil
}

const registerEvery = 10 * time.Second

// queueNames lists the known queues, sorted.
func (s *Store) queueNames(ctx context.Context) ([]string, error) {
	names, err := s.c.SMembers(ctx, s.queuesKey()).Result()
	sort.Strings(names)
	return names, err
}

// locate finds the queue of message id: from the leases held here, else by
// asking every queue (admin calls only, and queues are few).
func (s *Store) locate(ctx context.Context, id string) (string, error) {
	s.mu.Lock()
	h, ok := s.held[id]
	s.mu.Unlock()
	if ok {
		return h.queue, nil
	}
	names, err := s.queueNames(ctx)
	if err != nil {
		return "", err
	}
	pipe := s.c.Pipeline()
	cmds := make([]*goredis.IntCmd, len(names))
	for i, q := range names {
		cmds[i] = pipe.Exists(ctx, s.keys(q).msg(id))
	}
	if _, err := pipe.Exec(ctx); err != nil {
		return "", err
	}
	for i, c := range cmds {
		if c.Val() == 1 {
			return names[i], nil
		}
	}
	return "", queue.ErrNotFound
}

// micros is a sorted-set score: microseconds fit a float64 exactly.
func micros(t time.Time) string { return strconv.FormatInt(t.UnixMicro(), 10) }

func fromMicros(v string) time.Time {
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil {
		return time.Time{}
	}
	return time.UnixMicro(n)
}

// nanos20 is a time as 20 digits, so Lua compares dedupe expiries exactly
// as strings (a float64 would round nanoseconds).
func nanos20(t time.Time) string { return fmt.Sprintf("%020d", max(t.UnixNano(), 0)) }
