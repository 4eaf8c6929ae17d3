package signature

import "github.com/caddyserver/caddy/v2"

// Resolved returns c with its secrets, keys and verify token resolved: their
// placeholders ({env.X}, {file./path}) replaced by Caddy's global
// replacer. The values belong in memory only, never in a config or a log.
func (c Config) Resolved() Config {
	repl := caddy.NewReplacer()
	out := c
	out.Secrets = make([]string, len(c.Secrets))
	for i, s := range c.Secrets {
		out.Secrets[i] = repl.ReplaceAll(s, "")
	}
	out.Keys = make([]string, len(c.Keys))
	for i, k := range c.Keys {
		out.Keys[i] = repl.ReplaceAll(k, "")
	}
	out.VerifyToken = repl.ReplaceAll(c.VerifyToken, "")
	return out
}
