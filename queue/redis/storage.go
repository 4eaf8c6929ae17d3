package redis

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/internal/redisurl"
	"github.com/hookgate/hookgate/queue"
)

func init() {
	caddy.RegisterModule(Storage{})
}

// Storage is the webhooks.storage.redis module, the shared store: several Caddy instances on one Redis
// (standalone, Sentinel or Cluster) share dedupe records, queues and the
// dead-letter queue, and deliver the messages of an instance that died
// once its leases expire. A 2xx is as durable as Redis makes it: run Redis
// with appendonly yes and appendfsync always (or everysec, accepting its
// one-second window), and set min_replicas where replicas must confirm.
type Storage struct {
	// URL of Redis: redis://[user[:password]@]host[:port][/db], rediss://
	// for TLS. Several comma-separated hosts are Cluster nodes, or Sentinels
	// with ?master_name=NAME. Placeholders such as {env.REDIS_URL} are
	// expanded.
	URL string `json:"url"`
	// Username, if Redis uses ACLs and the URL names none.
	Username string `json:"username,omitempty"`
	// Password of Redis, e.g. {env.REDIS_PASSWORD}; overrides one in the
	// URL. It is never logged nor shown.
	Password string `json:"password,omitempty"`
	// SentinelPassword is the Sentinels' own password, if they require one.
	SentinelPassword string `json:"sentinel_password,omitempty"`
	// KeyPrefix starts every key. Default: "hookgate:".
	KeyPrefix string `json:"key_prefix,omitempty"`
	// Lease is how long a message being delivered stays leased without
	// renewal: a live instance renews it, so this bounds how long the
	// messages of a dead instance wait before another delivers them.
	// Default: 30s.
	Lease caddy.Duration `json:"lease,omitempty"`
	// MinReplicas makes every acknowledged write wait until this many
	// replicas confirmed it (WAIT); fewer within Timeout/2 answers 503.
	// Default: 0 (the primary's confirmation is enough).
	MinReplicas int `json:"min_replicas,omitempty"`
	// Timeout bounds dialling, reading and writing, so that requests fail
	// fast (503) while Redis is unreachable. Default: 3s.
	Timeout caddy.Duration `json:"timeout,omitempty"`
	// PoolSize is the most connections to Redis this instance opens (per
	// node), opened as needed. Every ack, lease and delivery result is a
	// round trip, so a pool smaller than the requests and deliveries in
	// flight queues them in Caddy: go-redis's default of 10 per CPU held a
	// 2-core instance to 0.7× the embedded store's ack rate (`make bench`,
	// redis row), 128 to 1.0×. Default: 128.
	PoolSize int `json:"pool_size,omitempty"`

	url  *URL // resolved, secrets included
	pass string
	sent string
}

// CaddyModule returns the Caddy module information.
func (Storage) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "webhooks.storage.redis", New: func() caddy.Module { return new(Storage) }}
}

// Provision expands placeholders and parses the URL. Resolved secrets stay
// in unexported fields, out of the config and its JSON.
func (r *Storage) Provision(caddy.Context) error {
	repl := caddy.NewReplacer()
	u, err := ParseURL(repl.ReplaceAll(r.URL, ""))
	if err != nil {
		return fmt.Errorf("webhooks storage: %w", err) // never quotes the URL
	}
	if v := repl.ReplaceAll(r.Username, ""); v != "" {
		u.Username = v
	}
	if v := repl.ReplaceAll(r.Password, ""); v != "" {
		u.Password = v
	}
	r.url, r.sent = u, repl.ReplaceAll(r.SentinelPassword, "")
	r.KeyPrefix = repl.ReplaceAll(r.KeyPrefix, "")
	if r.KeyPrefix == "" {
		r.KeyPrefix = DefaultPrefix
	}
	if r.Lease <= 0 {
		r.Lease = caddy.Duration(DefaultLease)
	}
	if r.Timeout <= 0 {
		r.Timeout = caddy.Duration(DefaultTimeout)
	}
	if r.PoolSize <= 0 {
		r.PoolSize = DefaultPoolSize
	}
	return nil
}

// Validate checks the configuration.
func (r *Storage) Validate() error {
	if r.MinReplicas < 0 {
		return fmt.Errorf("webhooks storage: min_replicas must not be negative")
	}
	if time.Duration(r.Lease) < 100*time.Millisecond {
		return fmt.Errorf("webhooks storage: lease must be at least 100ms")
	}
	return nil
}

// UnmarshalCaddyfile sets up the Redis store, after the webhooks global
// option's `storage`:
//
//	storage redis <url> {
//		key_prefix        <prefix>
//		lease             <duration>
//		min_replicas      <n>
//		timeout           <duration>
//		pool_size         <n>
//		username          <name>
//		password          <password>   # e.g. {env.REDIS_PASSWORD}
//		sentinel_password <password>
//	}
func (r *Storage) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the engine's name
	if !d.NextArg() {
		return d.Err("storage redis needs a URL, e.g. redis://127.0.0.1:6379/0")
	}
	r.URL = d.Val()
	if d.NextArg() {
		return d.ArgErr()
	}
	for d.NextBlock(0) {
		var err error
		switch opt := d.Val(); opt {
		case "key_prefix":
			err = stringOpt(d, &r.KeyPrefix)
		case "username":
			err = stringOpt(d, &r.Username)
		case "password":
			err = stringOpt(d, &r.Password)
		case "sentinel_password":
			err = stringOpt(d, &r.SentinelPassword)
		case "lease":
			err = durationOpt(d, &r.Lease)
		case "timeout":
			err = durationOpt(d, &r.Timeout)
		case "min_replicas":
			err = countOpt(d, &r.MinReplicas)
		case "pool_size":
			err = countOpt(d, &r.PoolSize)
		default:
			return d.Errf("unrecognized redis storage option %q", opt)
		}
		if err != nil {
			return err
		}
	}
	return nil
}

// stringOpt reads the one argument of an option.
func stringOpt(d *caddyfile.Dispenser, v *string) error {
	if !d.AllArgs(v) {
		return d.ArgErr()
	}
	return nil
}

// durationOpt reads a duration, zero included.
func durationOpt(d *caddyfile.Dispenser, v *caddy.Duration) error {
	opt, arg := d.Val(), ""
	if err := stringOpt(d, &arg); err != nil {
		return err
	}
	dur, err := caddy.ParseDuration(arg)
	if err != nil || dur < 0 {
		return d.Errf("%s: invalid duration %q", opt, arg)
	}
	*v = caddy.Duration(dur)
	return nil
}

// countOpt reads a whole number, zero included.
func countOpt(d *caddyfile.Dispenser, v *int) error {
	var arg string
	if err := stringOpt(d, &arg); err != nil {
		return err
	}
	n, err := strconv.Atoi(arg)
	if err != nil || n < 0 {
		return d.Errf("want a whole number, got %q", arg)
	}
	*v = n
	return nil
}

// Key implements queue.Storage: configs naming the same Redis, prefix and
// settings share one store. It holds no password, only a short digest of
// it, so that a changed password opens a new client on reload.
func (r *Storage) Key() string {
	return fmt.Sprintf("redis:%s|%s|%s|%d|%s|%d|%s", r.url, r.KeyPrefix, time.Duration(r.Lease),
		r.MinReplicas, time.Duration(r.Timeout), r.PoolSize, digest(r.url.Password+"\x00"+r.sent))
}

func digest(secret string) string {
	if secret == "\x00" {
		return "-"
	}
	sum := sha256.Sum256([]byte("hookgate redis key\x00" + secret))
	return hex.EncodeToString(sum[:4])
}

// Open implements queue.Storage. Redis need not be up: the store connects when
// used, answers errors (and inbound 503s) meanwhile, and recovers by itself.
func (r *Storage) Open(log *zap.Logger) (queue.Store, error) {
	opts := r.url.Options()
	opts.SentinelPassword = r.sent
	opts.PoolSize = r.PoolSize
	st, err := Open(Options{
		Client: opts, Prefix: r.KeyPrefix, Lease: time.Duration(r.Lease),
		MinReplicas: r.MinReplicas, Timeout: time.Duration(r.Timeout), Log: log,
	})
	if err != nil {
		return nil, err
	}
	fields := []zap.Field{zap.String("url", r.url.String()), zap.String("key_prefix", r.KeyPrefix)}
	if err := st.Ping(); err != nil {
		log.Warn("redis webhook store unreachable; requests get 503 until it answers", append(fields, zap.Error(err))...)
	} else {
		log.Info("redis webhook store open", fields...)
	}
	return st, nil
}

// Interface guards
var (
	_ queue.Storage         = (*Storage)(nil)
	_ caddy.Provisioner     = (*Storage)(nil)
	_ caddy.Validator       = (*Storage)(nil)
	_ caddyfile.Unmarshaler = (*Storage)(nil)
)

// URL is a parsed Redis address (see redisurl.URL); ParseURL parses one.
type URL = redisurl.URL

// ParseURL parses raw as a URL (see redisurl.Parse).
func ParseURL(raw string) (*URL, error) { return redisurl.Parse(raw) }
