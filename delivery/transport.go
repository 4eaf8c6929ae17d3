package delivery

import (
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"
	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery/upstreamauth"
	"github.com/hookgate/hookgate/internal/netguard"
)

// LoadTransport loads the policy's transport module (Caddy's
// http.reverse_proxy.transport.http, as reverse_proxy does) and its auth,
// in ctx: the module lives, and its idle connections are closed, with the
// config that loaded it. Without a transport the policy keeps Hookgate's
// own tuned client. With a Guard, the transport dials through the guard,
// keeping its own dial timeout and keep-alive settings. Call it once,
// before Provision; copies of the policy share what it loaded.
func (p *Policy) LoadTransport(ctx caddy.Context) error {
	if p.Auth != nil {
		src, err := upstreamauth.New(p.Auth)
		if err != nil {
			return err
		}
		p.auth = src
	}
	if p.TransportRaw == nil {
		return nil
	}
	p.transportJSON = slices.Clone(p.TransportRaw)
	mod, err := ctx.LoadModule(p, "TransportRaw")
	p.TransportRaw = p.transportJSON // LoadModule clears it; the JSON config keeps it
	if err != nil {
		return fmt.Errorf("loading upstream transport: %w", err)
	}
	rt, ok := mod.(http.RoundTripper)
	if !ok {
		return fmt.Errorf("upstream transport %T is not an HTTP round tripper", mod)
	}
	if ht, ok := mod.(*reverseproxy.HTTPTransport); ok {
		if ht.TLS != nil && ht.TLS.InsecureSkipVerify {
			ctx.Logger().Warn("upstream transport: tls_insecure_skip_verify is set: the upstream's certificate is not verified, so anyone on the path can read and change deliveries",
				zap.String("upstream", redactedHost(p.URL)))
		}
		if p.Guard != nil {
			if err := guardTransport(ht, p.Guard); err != nil {
				return err
			}
		}
	} else if p.Guard != nil {
		return fmt.Errorf("upstream transport %T: only the http transport can be guarded against private addresses", mod)
	}
	p.transport = rt
	return nil
}

// guardTransport makes ht dial through the SSRF guard: the guard checks the
// very address dialled, after resolution. Options that dial on their own
// (HTTP/3, a PROXY-protocol header, per-request TLS server names, custom
// resolvers, a local address, read/write timeouts) are refused, since the
// guard would not see their connections. Through a forward proxy, the guard
// checks the proxy's address, and the destination's name is resolved and
// checked before each request is handed to the proxy.
func guardTransport(ht *reverseproxy.HTTPTransport, g *netguard.Rules) error {
	rt := ht.Transport
	if rt == nil {
		return errors.New("upstream transport: not provisioned")
	}
	if ht.ProxyProtocol != "" || ht.Resolver != nil || ht.LocalAddress != "" || ht.ReadTimeout > 0 ||
		ht.WriteTimeout > 0 || rt.DialTLSContext != nil || slices.Contains(ht.Versions, "3") {
		return errors.New("upstream transport: proxy_protocol, resolvers, local_address, read_timeout, write_timeout, " +
			"versions 3 and a tls_server_name with placeholders dial past the SSRF guard, so outbound routes refuse them")
	}
	dialer := &net.Dialer{
		Timeout:       time.Duration(ht.DialTimeout),
		FallbackDelay: time.Duration(ht.FallbackDelay),
		Control:       g.Control,
	}
	if ka := ht.KeepAlive; ka != nil {
		dialer.KeepAlive = time.Duration(ka.ProbeInterval)
		dialer.KeepAliveConfig = net.KeepAliveConfig{Enable: ka.ProbeInterval > 0, Interval: time.Duration(ka.ProbeInterval)}
	}
	rt.DialContext = dialer.DialContext
	if proxy := rt.Proxy; proxy != nil {
		rt.Proxy = func(req *http.Request) (*url.URL, error) {
			u, err := proxy(req)
			if u == nil || err != nil {
				return u, err
			}
			if err := g.CheckURL(req.Context(), req.URL.String()); err != nil {
				return nil, err
			}
			return u, nil
		}
	}
	return nil
}

// redactedHost is scheme://host of a URL, for logs.
func redactedHost(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	return u.Scheme + "://" + u.Host
}

// SameConfig reports whether p and o are configured alike, leaving out what
// provisioning derived (loaded transports, token sources): two routes that
// share a queue each load their own.
func (p *Policy) SameConfig(o *Policy) bool {
	a, b := *p, *o
	a.TransportRaw, b.TransportRaw = a.transportJSON, b.transportJSON
	a.transportJSON, b.transportJSON = nil, nil
	a.transport, b.transport = nil, nil
	a.auth, b.auth = nil, nil
	a.signer, b.signer = nil, nil
	return reflect.DeepEqual(a, b)
}
