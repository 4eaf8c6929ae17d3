// Package dashboard is the webhook_dashboard HTTP handler: Hookgate's
// dashboard page, its assets (ui/, embedded) and, under api/, the webhooks
// admin API, behind a guard on Host and Origin.
package dashboard

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"path"
	"strings"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hookgate/hookgate/internal/httpx"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/webhooks"
)

func init() {
	caddy.RegisterModule(Handler{})
}

// Handler serves Hookgate's dashboard page and, under its api/ path, the
// webhooks API of the admin endpoint (the same routes and answers). It is a
// handler of its own because Caddy's admin endpoint refuses page loads from
// browsers (it checks Sec-Fetch-Mode and Origin against DNS rebinding and
// cross-site requests). Mount it on a route that only operators reach:
// bound to localhost, or behind basic_auth or the remote_ip matcher.
//
// The page is served at any path ending in "/"; its assets and api/ are
// resolved relative to it. Like the admin endpoint, it answers only the
// Host names it expects (see Origins), so a page that rebinds its DNS name
// to this server cannot use it. Requests that change state (replay,
// delete, enable, ...) must carry the X-Hookgate-Dashboard header, which a
// cross-site form cannot send, must not come cross-site, and must come
// from an allowed Origin (or Referer).
type Handler struct {
	// Origins lists the hosts the dashboard answers to, replacing the
	// default: localhost and IP literals, on any port. A request with
	// another Host gets 403, and so does a state change whose Origin (else
	// Referer) is not listed; by default that Origin must be the Host
	// itself. An entry is host, host:port (without a port: any port) or
	// http(s)://host[:port] (then the Origin's scheme must match too).
	Origins []string `json:"origins,omitempty"`

	// ReadOnly refuses every state change with 403 (replay, delete,
	// enable, disable, create, rotate); the page shows no buttons. For
	// people who should watch the queues but not act on them.
	ReadOnly bool `json:"read_only,omitempty"`

	api   *http.ServeMux
	guard hostGuard
	index []byte // index.html, marked read-only when it is
}

// CaddyModule returns the Caddy module information.
func (Handler) CaddyModule() caddy.ModuleInfo {
	return caddy.ModuleInfo{ID: "http.handlers.webhook_dashboard", New: func() caddy.Module { return new(Handler) }}
}

// Provision checks the origins and sets up the page and the API routes.
func (d *Handler) Provision(caddy.Context) error {
	guard, err := newHostGuard(d.Origins)
	if err != nil {
		return fmt.Errorf("webhook_dashboard: %w", err)
	}
	d.guard = guard
	if d.index, err = dashboardIndex(d.ReadOnly); err != nil {
		return err
	}
	d.api = http.NewServeMux()
	for _, route := range webhooks.AdminRoutes(webhooks.View{URL: redact.URL}) {
		d.api.Handle(route.Pattern, dashboardAPI(route.Handler))
	}
	return nil
}

// ServeHTTP serves the page, its assets and the API.
func (d *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request, _ caddyhttp.Handler) error {
	if !d.guard.hostAllowed(r.Host) {
		return caddyhttp.Error(http.StatusForbidden, errHostNotAllowed)
	}
	if before, rest, ok := strings.Cut(r.URL.Path, "/api/"); ok && !strings.Contains(before, "/api/") {
		return d.serveAPI(w, r, rest)
	}
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return caddyhttp.Error(http.StatusMethodNotAllowed, nil)
	}
	name := "index.html"
	if !strings.HasSuffix(r.URL.Path, "/") {
		name = path.Base(r.URL.Path)
	}
	body, err := uiFiles.ReadFile("ui/" + name)
	if err != nil {
		return caddyhttp.Error(http.StatusNotFound, nil)
	}
	if name == "index.html" {
		body = d.index
	}
	h := w.Header()
	h.Set("Content-Security-Policy", "default-src 'self'; frame-ancestors 'none'")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-cache")
	http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(body))
	return nil
}

func (d *Handler) serveAPI(w http.ResponseWriter, r *http.Request, rest string) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		if d.ReadOnly {
			return caddyhttp.Error(http.StatusForbidden, errReadOnly)
		}
		if err := d.guard.checkWrite(r); err != nil {
			return caddyhttp.Error(http.StatusForbidden, err)
		}
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = "/webhooks/" + rest
	r2.URL.RawPath = ""
	d.api.ServeHTTP(w, r2)
	return nil
}

// readOnlyMark is the attribute of index.html's <html> element that the
// page reads to know whether to show its buttons.
var readOnlyMark = []byte(`data-read-only="false"`)

// dashboardIndex is index.html, marked read-only when readOnly.
func dashboardIndex(readOnly bool) ([]byte, error) {
	page, err := uiFiles.ReadFile("ui/index.html")
	if err != nil {
		return nil, err
	}
	if !bytes.Contains(page, readOnlyMark) {
		return nil, errors.New("webhook_dashboard: index.html lacks its read-only mark")
	}
	if readOnly {
		page = bytes.Replace(page, readOnlyMark, []byte(`data-read-only="true"`), 1)
	}
	return page, nil
}

// dashboardAPI answers an admin route's error as the admin endpoint does: a
// status and a JSON error body.
func dashboardAPI(h caddy.AdminHandler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		err := h.ServeHTTP(w, r)
		if err == nil {
			return
		}
		code := http.StatusInternalServerError
		var apiErr caddy.APIError
		if errors.As(err, &apiErr) && apiErr.HTTPStatus != 0 {
			code = apiErr.HTTPStatus
		}
		_ = httpx.WriteJSON(w, code, map[string]string{"error": err.Error()})
	})
}

// Interface guards
var (
	_ caddy.Provisioner           = (*Handler)(nil)
	_ caddyhttp.MiddlewareHandler = (*Handler)(nil)
)
