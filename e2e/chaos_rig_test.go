package e2e

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/chaos"
	"github.com/hookgate/hookgate/internal/redistest"
)

// chaosOutSecret signs the chaos suite's outbound route.
const chaosOutSecret = "whsec_Y2hhb3Mtb3V0Ym91bmQtc2VjcmV0LWtleS0wMQ=="

// chaosCaddyfile has one queued inbound route and one outbound route, both
// delivering to the chaos receiver, on the embedded store or on Redis
// (through a proxy that can partition it). Retries are quick and endless,
// so that a fault delays delivery but never ends it in the DLQ.
const chaosCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		{{if .Redis}}storage redis redis://{{.Redis}} {
			key_prefix chaos:
			lease 2s
			timeout 1s
		}{{else}}storage embedded {{.Store}}{{end}}
	}
}
http://{{.HTTP}} {
	route /hooks/chaos {
		webhook_inbound {
			name chaos
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			max_body 64KiB
			upstream {{.Upstream}} {
				timeout {{.Timeout}}
				backoff 50ms {{.MaxBackoff}}
				max_attempts 100000
				concurrency {{.Concurrency}}
			}
		}
	}
	route /emit {
		webhook_outbound {{.Upstream}} {
			name emit
			sign standard_webhooks {
				secret {env.HOOKGATE_CHAOS_OUT_SECRET}
			}
			timeout {{.Timeout}}
			backoff 50ms {{.MaxBackoff}}
			max_attempts 100000
			concurrency {{.Concurrency}}
			allow_http
			allow_private 127.0.0.0/8
		}
	}
}
`

// rig is one system under test: Caddy, its receiver, and, depending on the
// backend, a Redis behind a proxy or a data directory on a small tmpfs.
type rig struct {
	t       *testing.T
	c       *caddy
	rc      *chaos.Receiver
	path    string // /hooks/chaos or /emit
	redis   *redistest.Server
	proxy   *chaos.Proxy
	tmpfs   string // the mounted data directory, "" without one
	variant int    // of the config, changed by reloads
}

// newRig starts the rig of backend: "embedded", "redis" or "outbound"
// (embedded store, outbound route).
func newRig(t *testing.T, backend string) *rig {
	rc, err := chaos.NewReceiver()
	require.NoError(t, err)
	rc.Delay = 1500 * time.Millisecond // beyond every Timeout below
	t.Cleanup(rc.Close)
	r := &rig{t: t, rc: rc, path: "/hooks/chaos"}
	vars := map[string]any{"Upstream": rc.URL()}
	switch backend {
	case "redis":
		// appendfsync always: Redis answers a write once it is on disk, so
		// even kill -9 of Redis may lose nothing acknowledged.
		r.redis = redistest.Start(t, "--appendfsync", "always")
		r.proxy, err = chaos.NewProxy(r.redis.Addr)
		require.NoError(t, err)
		t.Cleanup(func() { _ = r.proxy.Close() })
		vars["Redis"] = r.proxy.Addr
	case "outbound":
		r.path = "/emit"
		fallthrough
	default:
		r.tmpfs = mountTmpfs(t, "24m")
		vars["Store"] = filepath.Join(t.TempDir(), "store")
		if r.tmpfs != "" {
			vars["Store"] = filepath.Join(r.tmpfs, "store")
		}
	}
	t.Setenv("HOOKGATE_CHAOS_OUT_SECRET", chaosOutSecret) // inherited by Caddy
	r.setVariant(vars, 0)
	r.c = startCaddy(t, chaosCaddyfile, vars)
	return r
}

// variants are the configs reloads switch between.
var variants = []struct {
	Timeout, MaxBackoff string
	Concurrency         int
}{{"1s", "1s", 8}, {"700ms", "500ms", 3}, {"1s", "800ms", 16}}

func (r *rig) setVariant(vars map[string]any, i int) {
	v := variants[i%len(variants)]
	vars["Timeout"], vars["MaxBackoff"], vars["Concurrency"] = v.Timeout, v.MaxBackoff, v.Concurrency
	r.variant = i
}

// request builds the signed (inbound) or plain (outbound) POST of body.
func (r *rig) request(n int, body string) (*http.Request, error) {
	req, err := http.NewRequest(http.MethodPost, "http://"+r.c.HTTP+r.path, strings.NewReader(body))
	if err != nil {
		return nil, err
	}
	req.Header.Set("Content-Type", "application/json")
	if r.path == "/emit" {
		req.Header.Set("Idempotency-Key", fmt.Sprintf("chaos-%d", n)) // the app's retry is one message
	} else {
		req.Header.Set("X-Webhook-Signature", sign(body))
	}
	return req, nil
}

// mountTmpfs mounts a tmpfs of size under a temporary directory, unmounted
// at the end of t, and returns its path; "" when this process may not mount
// (not root, or no CAP_SYS_ADMIN in a container), and then disk-full is
// not injected. HOOKGATE_CHAOS_NO_MOUNT=1 turns it off.
func mountTmpfs(t *testing.T, size string) string {
	if os.Getenv("HOOKGATE_CHAOS_NO_MOUNT") != "" || os.Geteuid() != 0 {
		return ""
	}
	dir := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size="+size, "tmpfs", dir).CombinedOutput(); err != nil {
		t.Logf("no tmpfs (%v: %s): the disk-full fault is left out", err, out)
		return ""
	}
	t.Cleanup(func() { _ = exec.Command("umount", "-l", dir).Run() })
	return dir
}

// fillDisk writes a file that takes every free byte of the tmpfs, and
// returns what frees them again.
func fillDisk(t *testing.T, dir string) func() {
	filler := filepath.Join(dir, "filler")
	f, err := os.Create(filler)
	require.NoError(t, err)
	chunk := make([]byte, 1<<20)
	for size := len(chunk); size >= 512; {
		if _, err := f.Write(chunk[:size]); err != nil {
			require.True(t, errors.Is(err, syscall.ENOSPC), "filling the disk: %v", err)
			size /= 2
		}
	}
	require.NoError(t, f.Close())
	return func() { require.NoError(t, os.Remove(filler)) }
}

// fault is one kind of fault: inject applies it and returns what undoes it
// (nil for an instant fault such as kill -9, which is over when it returns).
type fault struct {
	name   string
	inject func(r *rig) (heal func())
}

var (
	faultKill = fault{"kill-9", func(r *rig) func() {
		r.c.kill()
		r.c.start() // at once, as systemd's Restart=always would
		return nil
	}}
	faultReload = fault{"reload", func(r *rig) func() {
		r.setVariant(r.c.Vars, r.variant+1)
		r.c.reload(chaosCaddyfile)
		return nil
	}}
	faultDown = fault{"upstream-down", func(r *rig) func() {
		r.rc.Down()
		return func() { require.NoError(r.t, r.rc.Up()) }
	}}
	faultSlow    = upstreamMode("upstream-slow", chaos.Slow)
	fault500     = upstreamMode("upstream-500", chaos.Error500)
	fault429     = upstreamMode("upstream-429", chaos.Busy429)
	faultCut     = upstreamMode("upstream-cut", chaos.Cut)
	faultRestart = fault{"redis-restart", func(r *rig) func() {
		r.redis.Stop()
		require.NoError(r.t, r.redis.Restart())
		return nil
	}}
	faultRedisKill = fault{"redis-kill-9", func(r *rig) func() {
		r.redis.Kill()
		require.NoError(r.t, r.redis.Restart())
		return nil
	}}
	faultRedisDown = fault{"redis-down", func(r *rig) func() {
		r.redis.Stop()
		return func() { require.NoError(r.t, r.redis.Restart()) }
	}}
	faultPartition = fault{"redis-partition", func(r *rig) func() {
		r.proxy.Partition(true)
		return func() { r.proxy.Partition(false) }
	}}
	faultDiskFull = fault{"disk-full", func(r *rig) func() { return fillDisk(r.t, r.tmpfs) }}
)

func upstreamMode(name string, m chaos.Mode) fault {
	return fault{name, func(r *rig) func() {
		r.rc.SetMode(m)
		return func() { r.rc.SetMode(chaos.Healthy) }
	}}
}

// jitter is a random duration in [lo, hi).
func jitter(lo, hi time.Duration) time.Duration { return lo + rand.N(hi-lo) }
