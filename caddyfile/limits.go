package caddyfile

import (
	"strconv"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"

	"github.com/hookgate/hookgate/internal/limit"
)

// parseRate parses a rate and an optional burst:
//
//	<option> <events>/<period> [burst <n>]
func parseRate(d *caddyfile.Dispenser) (*limit.Rate, error) {
	opt := d.Val()
	args := d.RemainingArgs()
	if len(args) != 1 && !(len(args) == 3 && args[1] == "burst") {
		return nil, d.Errf("%s: want <events>/<period> [burst <n>]", opt)
	}
	r, err := limit.ParseRate(args[0])
	if err != nil {
		return nil, d.Errf("%s: %v", opt, err)
	}
	if len(args) == 3 {
		if r.Burst, err = strconv.Atoi(args[2]); err != nil || r.Burst < 1 {
			return nil, d.Errf("%s: invalid burst %q", opt, args[2])
		}
	}
	return &r, nil
}

// parseStrikes parses the bad-signature limit:
//
//	bad_signatures <limit> [per <window>] [block <duration>]
func parseStrikes(d *caddyfile.Dispenser) (*limit.Strikes, error) {
	opt := d.Val()
	args := d.RemainingArgs()
	if len(args)%2 != 1 {
		return nil, d.Errf("%s: want <limit> [per <window>] [block <duration>]", opt)
	}
	n, err := strconv.Atoi(args[0])
	if err != nil || n < 1 {
		return nil, d.Errf("%s: invalid limit %q", opt, args[0])
	}
	s := &limit.Strikes{Limit: n}
	for i := 1; i < len(args); i += 2 {
		dur, err := caddy.ParseDuration(args[i+1])
		if err != nil || dur <= 0 {
			return nil, d.Errf("%s: invalid duration %q", opt, args[i+1])
		}
		switch args[i] {
		case "per":
			s.Window = caddy.Duration(dur)
		case "block":
			s.Block = caddy.Duration(dur)
		default:
			return nil, d.Errf("%s: unknown %q, want per or block", opt, args[i])
		}
	}
	return s, nil
}
