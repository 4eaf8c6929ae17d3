// Package module is the import path to build Hookgate into Caddy:
//
//	xcaddy build --with github.com/hookgate/hookgate/module
//
// It is the plugin's import list and nothing else: every package that
// registers Caddy modules, Caddyfile directives or commands.
package module

import (
	_ "github.com/hookgate/hookgate/caddyfile"          // directives and the webhooks global option
	_ "github.com/hookgate/hookgate/cli"                // the caddy webhook command
	_ "github.com/hookgate/hookgate/handlers/dashboard" // http.handlers.webhook_dashboard
	_ "github.com/hookgate/hookgate/handlers/inbound"   // http.handlers.webhook_inbound
	_ "github.com/hookgate/hookgate/handlers/outbound"  // http.handlers.webhook_outbound
	_ "github.com/hookgate/hookgate/queue/bolt"         // webhooks.storage.embedded
	_ "github.com/hookgate/hookgate/queue/redis"        // webhooks.storage.redis
	_ "github.com/hookgate/hookgate/signature/presets"  // the senders' signature schemes
	_ "github.com/hookgate/hookgate/webhooks"           // the webhooks app and its admin API
)
