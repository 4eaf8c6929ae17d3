// Command caddy is Caddy with the standard modules and Hookgate: what
// `xcaddy build --with github.com/hookgate/hookgate/module` generates, kept
// here so that a plain `go build ./cmd/caddy` works without xcaddy.
package main

import (
	caddycmd "github.com/caddyserver/caddy/v2/cmd"

	_ "github.com/caddyserver/caddy/v2/modules/standard"
	_ "github.com/hookgate/hookgate/module"
)

func main() {
	caddycmd.Main()
}
