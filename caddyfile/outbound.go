package caddyfile

import (
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"

	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/handlers/outbound"
	"github.com/hookgate/hookgate/internal/netguard"
	"github.com/hookgate/hookgate/queue"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("webhook_outbound", parseOutbound)
	httpcaddyfile.RegisterDirectiveOrder("webhook_outbound", httpcaddyfile.Before, "reverse_proxy")
}

// parseOutbound sets up the webhook_outbound handler:
//
//	webhook_outbound [<to>] {
//		name               <name>
//		to                 <url>          # one destination, or:
//		destination_header <field>        # the destination per request, or:
//		event_type         <template>     # e.g. {json.type}, with endpoints:
//		endpoint <id> <url> {
//			events <pattern>...           # exact or prefix.*; default: all
//			sign   <hmac|preset> { … }    # default: the route's sign
//			rate   <events>/<period> [burst <n>] # default: the route's rate
//		}
//		sign          <hmac|preset> {     # default scheme: standard_webhooks
//			secret <secret>               # repeat for rotation
//		}
//		timeout       <duration>          # and retry, backoff, max_attempts,
//		retry         <duration>...       # max_age, concurrency, rate,
//		                                  # keep_delivered, keep_responses:
//		                                  # as in upstream
//		disable_after <n>
//		allow_http
//		allow_private <cidr>...
//		max_body      <size>
//		idempotency_window <duration>
//		inspect       on|off              # default off: show bodies and headers (redacted)
//	}
func parseOutbound(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	hd := new(outbound.Handler)
	d := h.Dispenser
	d.Next() // the directive name
	if d.NextArg() {
		hd.To = d.Val()
		if d.NextArg() {
			return nil, d.ArgErr()
		}
	}
	p, delivery := new(delivery.Policy), false
	for d.NextBlock(0) {
		ok, err := parsePolicyOption(d, p)
		if !ok && err == nil {
			err = parseOutboundOption(d, hd)
		}
		if err != nil {
			return nil, err
		}
		delivery = delivery || ok
	}
	if delivery {
		hd.Delivery = p
		check := *p
		check.URL = "https://endpoint.invalid/" // only the schedule is checked here
		if err := checkPolicy(d, &check); err != nil {
			return nil, err
		}
	}
	if err := hd.Validate(); err != nil {
		return nil, d.Err(err.Error())
	}
	return hd, nil
}

// parseOutboundOption parses one option of webhook_outbound other than the
// delivery options.
func parseOutboundOption(d *caddyfile.Dispenser, hd *outbound.Handler) error {
	var err error
	switch d.Val() {
	case "name":
		hd.Name, err = oneArg(d)
	case "to":
		hd.To, err = oneArg(d)
	case "destination_header":
		hd.DestinationHeader, err = oneArg(d)
	case "event_type":
		hd.EventType, err = templateArg(d)
	case "endpoint":
		var e *outbound.Endpoint
		if e, err = parseEndpoint(d); err == nil {
			hd.Endpoints = append(hd.Endpoints, e)
		}
	case "sign":
		hd.Sign, err = parseVerify(d)
	case "disable_after":
		hd.DisableAfter, err = intArg(d)
	case "allow_http":
		if d.NextArg() {
			return d.ArgErr()
		}
		hd.AllowHTTP = true
	case "allow_private":
		hd.AllowPrivate = d.RemainingArgs()
		if len(hd.AllowPrivate) == 0 {
			return d.ArgErr()
		}
		if _, err := netguard.ParsePrefixes(hd.AllowPrivate); err != nil {
			return d.Err(err.Error())
		}
	case "max_body":
		hd.MaxBody, err = sizeArg(d)
	case "inspect":
		hd.Inspect, err = onOffArg(d)
	case "idempotency_window":
		hd.IdempotencyWindow, err = durationArg(d)
	default:
		return d.Errf("unrecognized webhook_outbound option %q", d.Val())
	}
	return err
}

// parseEndpoint parses "endpoint <id> <url> { events …; sign …; rate … }".
func parseEndpoint(d *caddyfile.Dispenser) (*outbound.Endpoint, error) {
	args := d.RemainingArgs()
	if len(args) != 2 {
		return nil, d.Err("endpoint takes an id and a URL")
	}
	e := &outbound.Endpoint{ID: args[0], URL: args[1]}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		var err error
		switch d.Val() {
		case "events":
			if e.Events = d.RemainingArgs(); len(e.Events) == 0 {
				return nil, d.ArgErr()
			}
			for _, p := range e.Events {
				if err := queue.ValidEventPattern(p); err != nil {
					return nil, d.Err(err.Error())
				}
			}
		case "sign":
			e.Sign, err = parseVerify(d)
		case "rate":
			e.Rate, err = parseRate(d)
		default:
			return nil, d.Errf("unrecognized endpoint option %q", d.Val())
		}
		if err != nil {
			return nil, err
		}
	}
	return e, nil
}
