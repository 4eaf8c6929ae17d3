package caddyfile

import (
	"strconv"

	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/hookgate/hookgate/webhooks"
)

// parseRedisStorage sets up the Redis store, after `storage redis`:
//
//	storage redis <url> {
//		key_prefix        <prefix>
//		lease             <duration>
//		min_replicas      <n>
//		timeout           <duration>
//		username          <name>
//		password          <password>   # e.g. {env.REDIS_PASSWORD}
//		sentinel_password <password>
//	}
func parseRedisStorage(d *caddyfile.Dispenser) (*webhooks.Redis, error) {
	r := new(webhooks.Redis)
	if !d.NextArg() {
		return nil, d.Err("storage redis needs a URL, e.g. redis://127.0.0.1:6379/0")
	}
	r.URL = d.Val()
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		strs := map[string]*string{
			"key_prefix": &r.KeyPrefix, "username": &r.Username,
			"password": &r.Password, "sentinel_password": &r.SentinelPassword,
		}
		var err error
		switch opt := d.Val(); {
		case strs[opt] != nil:
			*strs[opt], err = oneArg(d)
		case opt == "lease":
			r.Lease, err = durationArg(d)
		case opt == "timeout":
			r.Timeout, err = durationArg(d)
		case opt == "min_replicas":
			r.MinReplicas, err = countArg(d)
		default:
			return nil, d.Errf("unrecognized redis storage option %q", opt)
		}
		if err != nil {
			return nil, err
		}
	}
	return r, nil
}

// countArg reads a whole number, zero included.
func countArg(d *caddyfile.Dispenser) (int, error) {
	v, err := oneArg(d)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 0 {
		return 0, d.Errf("want a whole number, got %q", v)
	}
	return n, nil
}
