// Package module is the import path to build Hookgate into Caddy:
//
//	xcaddy build --with github.com/hookgate/hookgate/module
//
// It pulls in the webhooks app, its storage backends, the webhook handlers
// and their Caddyfile directives.
package module

import (
	_ "github.com/hookgate/hookgate/caddyfile"
	_ "github.com/hookgate/hookgate/handlers/inbound"
	_ "github.com/hookgate/hookgate/handlers/outbound"
	_ "github.com/hookgate/hookgate/queue/bolt"
	_ "github.com/hookgate/hookgate/queue/redis"
	_ "github.com/hookgate/hookgate/webhooks"
)
