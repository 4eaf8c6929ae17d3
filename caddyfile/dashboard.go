package caddyfile

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hookgate/hookgate/handlers/dashboard"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("webhook_dashboard", parseDashboard)
	httpcaddyfile.RegisterDirectiveOrder("webhook_dashboard", httpcaddyfile.Before, "reverse_proxy")
}

// parseDashboard sets up the dashboard; its options are all optional:
//
//	webhook_dashboard [{
//		origins <host|host:port|http(s)://host[:port]...>
//		read_only
//	}]
func parseDashboard(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	h.Next() // the directive name
	if h.NextArg() {
		return nil, h.Err("webhook_dashboard takes no arguments; its options go in a block")
	}
	d := new(dashboard.Handler)
	for h.NextBlock(0) {
		switch opt := h.Val(); opt {
		case "origins":
			args := h.RemainingArgs()
			if len(args) == 0 {
				return nil, h.Err("origins needs at least one host")
			}
			for _, o := range args {
				if err := dashboard.ValidOrigin(o); err != nil {
					return nil, h.Err(err.Error())
				}
			}
			d.Origins = append(d.Origins, args...)
		case "read_only":
			if h.NextArg() {
				return nil, h.Err("read_only takes no arguments")
			}
			d.ReadOnly = true
		default:
			return nil, h.Errf("unrecognized webhook_dashboard option %q", opt)
		}
	}
	return d, nil
}
