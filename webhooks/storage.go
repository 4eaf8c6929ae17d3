package webhooks

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
	caddy.RegisterModule(Embedded{})
}

// lockTimeout bounds the wait for a database file held by another process.
const lockTimeout = 5 * time.Second

// Embedded is the embedded store: one bbolt file, queue.db, in a directory
// of this machine. Every acknowledged message is fsync'd to it.
type Embedded struct {
	// Path is the directory that holds queue.db. Placeholders such as
	// {env.X} are expanded. Default: Caddy's data directory + /webhooks.
	Path string `json:"path,omitempty"`
}

// CaddyModule returns the Caddy module information.
func (Embedded) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "webhooks.storage.embedded", New: func() caddy.Module { return new(Embedded) }}
}

// Provision resolves the directory.
func (e *Embedded) Provision(caddy.Context) error {
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
func (e *Embedded) UnmarshalCaddyfile(d *caddyfile.Dispenser) error {
	d.Next() // the engine's name
	if d.NextArg() {
		e.Path = d.Val()
	}
	if d.NextArg() {
		return d.ArgErr()
	}
	return nil
}

// Key implements Storage.
func (e *Embedded) Key() string { return "embedded:" + e.Path }

// Open implements Storage.
func (e *Embedded) Open(log *zap.Logger) (queue.Store, error) {
	file := filepath.Join(e.Path, "queue.db")
	st, err := queue.OpenBolt(file, lockTimeout)
	if err == nil {
		log.Info("embedded webhook store open", zap.String("file", file))
	}
	return st, err
}

// Interface guards
var (
	_ queue.Storage         = (*Embedded)(nil)
	_ caddy.Provisioner     = (*Embedded)(nil)
	_ caddyfile.Unmarshaler = (*Embedded)(nil)
)
