package caddyfile

import (
	"net/http"
	"slices"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp/reverseproxy"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/delivery/upstreamauth"
)

// parseTransport parses the transport of an upstream, of webhook_outbound
// or of notify, as reverse_proxy does, by the module's own Caddyfile
// parser:
//
//	transport http {
//		tls
//		tls_client_auth <cert_file> <key_file>
//		tls_trust_pool file <ca.pem>
//		tls_server_name <sni>
//		versions 2 | 1.1 2 | h2     # h2 is taken for 2
//		dial_timeout <duration>
//		…                           # every option of reverse_proxy's http transport
//	}
func parseTransport(d *caddyfile.Dispenser, p *delivery.Policy) error {
	if !d.NextArg() {
		return d.ArgErr()
	}
	if p.TransportRaw != nil {
		return d.Err("transport already specified")
	}
	name := d.Val()
	unm, err := caddyfile.UnmarshalModule(d, "http.reverse_proxy.transport."+name)
	if err != nil {
		return err
	}
	rt, ok := unm.(http.RoundTripper)
	if !ok {
		return d.Errf("transport module %s is not a RoundTripper", name)
	}
	if ht, ok := rt.(*reverseproxy.HTTPTransport); ok {
		for i, v := range ht.Versions {
			if v == "h2" {
				ht.Versions[i] = "2"
			}
		}
		ht.Versions = slices.Compact(ht.Versions)
	}
	p.TransportRaw = caddyconfig.JSONModuleObject(rt, "protocol", name, nil)
	return nil
}

// parseAuth parses the authentication of deliveries:
//
//	auth bearer <token>             # e.g. {env.UPSTREAM_TOKEN}
//	auth oauth2 {
//		token_url     <url>
//		client_id     <id>
//		client_secret <secret>      # e.g. {env.OAUTH_SECRET}
//		scopes        <scope>...
//	}
func parseAuth(d *caddyfile.Dispenser, p *delivery.Policy) error {
	if p.Auth != nil {
		return d.Err("auth already specified")
	}
	if !d.NextArg() {
		return d.ArgErr()
	}
	a := new(upstreamauth.Config)
	switch d.Val() {
	case "bearer":
		var err error
		if a.Bearer, err = oneArg(d); err != nil {
			return err
		}
	case "oauth2":
		if d.NextArg() {
			return d.ArgErr()
		}
		o := new(upstreamauth.OAuth2)
		fields := map[string]*string{"token_url": &o.TokenURL, "client_id": &o.ClientID, "client_secret": &o.ClientSecret}
		for nesting := d.Nesting(); d.NextBlock(nesting); {
			opt := d.Val()
			switch {
			case opt == "scopes":
				if o.Scopes = d.RemainingArgs(); len(o.Scopes) == 0 {
					return d.ArgErr()
				}
			case fields[opt] != nil:
				v, err := oneArg(d)
				if err != nil {
					return err
				}
				*fields[opt] = v
			default:
				return d.Errf("unrecognized auth oauth2 option %q", opt)
			}
		}
		a.OAuth2 = o
	default:
		return d.Errf("auth: unknown kind %q (bearer or oauth2)", d.Val())
	}
	if err := a.Validate(); err != nil {
		return d.Err(err.Error())
	}
	p.Auth = a
	return nil
}
