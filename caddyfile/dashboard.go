package caddyfile

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hookgate/hookgate/webhooks"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("webhook_dashboard", parseDashboard)
	httpcaddyfile.RegisterDirectiveOrder("webhook_dashboard", httpcaddyfile.Before, "reverse_proxy")
}

// parseDashboard sets up the dashboard, which takes no options:
//
//	webhook_dashboard
func parseDashboard(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	h.Next() // the directive name
	if h.NextArg() || h.NextBlock(0) {
		return nil, h.Err("webhook_dashboard takes no options")
	}
	return new(webhooks.Dashboard), nil
}
