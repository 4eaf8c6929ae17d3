package bolt

import (
	"fmt"
	"path/filepath"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/queue"
)

func init() {
	caddy.RegisterModule(Storage{})
}

// lockTimeout bounds the wait for a database file held by another process.
const lockTimeout = 5 * time.Second

// Storage is the webhooks.storage.embedded module: the embedded store, one
// bbolt file, queue.db, in a directory of this machine. Every acknowledged
// message is fsync'd to it.
type Storage struct {
	// Path is the directory that holds queue.db. Placeholders such as
	// {env.X} are expanded. Default: Caddy's data directory + /webhooks.
	Path string `json:"path,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Storage) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "webhooks.storage.embedded", New: func() caddy.Module { return new(Storage) }}
}

// Provision resolves the directory.
func (e *Storage) Provision(caddy.Context) error {
	dir := caddy.NewReplacer().ReplaceAll(e.Path, "")
	if dir == "" {
		dir = filepath.Join(caddy.AppDataDir(), "webhooks")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("webhooks storage path %q: %w", dir, err)
	}
	e.Path = abs
	return nil
}

// UnmarshalCaddyfile sets up the embedded store, after the webhooks global
// option's `storage`:
//
//	storage embedded [<dir>]
func (e *Storage) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the engine's name
	if d.NextArg() {
		e.Path = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// Key implements queue.Storage.
func (e *Storage) Key() string { return "embedded:" + e.Path }

// Open implements queue.Storage.
func (e *Storage) Open(log *zap.Logger) (queue.Store, error) {
	file := filepath.Join(e.Path, "queue.db")
	st, err := Open(file, lockTimeout)
	if err != nil {
		return nil, err
	}
	st.log = log
	log.Info("embedded webhook store open", zap.String("file", file))
	return st, nil
}

// Interface guards
var (
	_ queue.Storage         = (*Storage)(nil)
	_ caddy.Provisioner     = (*Storage)(nil)
	_ caddyfile.Unmarshaler = (*Storage)(nil)
)
