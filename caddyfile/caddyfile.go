// Package caddyfile adapts Hookgate's Caddyfile syntax to its JSON config:
// the webhook_inbound directive and the webhooks global option.
package caddyfile

import (
	"cmp"
	"net/http"
	"strconv"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/caddyserver/caddy/v2/caddyconfig/caddyfile"
	"github.com/caddyserver/caddy/v2/caddyconfig/httpcaddyfile"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/dustin/go-humanize"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/filter"
	"github.com/hookgate/hookgate/handlers/inbound"
	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets" // the named schemes Configs resolve
	"github.com/hookgate/hookgate/webhooks"
)

func init() {
	httpcaddyfile.RegisterHandlerDirective("webhook_inbound", parseInbound)
	httpcaddyfile.RegisterDirectiveOrder("webhook_inbound", httpcaddyfile.Before, "reverse_proxy")
	httpcaddyfile.RegisterGlobalOption("webhooks", parseGlobal)
}

// parseInbound sets up the webhook_inbound handler:
//
//	webhook_inbound {
//		name          <name>
//		verify        <hmac|preset> {   # options: see parseVerify
//			secret <secret>             # repeat for rotation
//		}
//		tolerance     <duration>         # default: the preset's, else 5m
//		dedupe        <template>|off     # default: the preset's key
//		dedupe_window <duration>
//		max_body      <size>
//		order_by      <template>
//		ack           async | within <duration>
//		inspect       on|off             # default off: show bodies and headers (redacted)
//		max_rate      <events>/<period> [burst <n>]
//		bad_signatures <limit> [per <window>] [block <duration>]
//		drop          <CEL expression>   # the rest of the line
//		upstream      <url> {            # repeat to fan out
//			name         <name>           # of its queue "<route>><name>"; default: host[:port]/path
//			when         <CEL expression> # the rest of the line
//			header_up    <field> <value>
//			timeout      <duration>
//			retry        <duration>...
//			backoff      <min> <max>
//			max_attempts <n>
//			max_age      <duration>
//			concurrency  <n>
//			rate         <events>/<period> [burst <n>]
//			keep_delivered <duration>     # keep delivered messages, replayable; default off
//			keep_responses                # keep the first 1 KiB of each answer; default off
//			sign         standard_webhooks { secret <secret> }
//		}
//	}
func parseInbound(h httpcaddyfile.Helper) (caddyhttp.MiddlewareHandler, error) {
	hd := new(inbound.Handler)
	var ups []*inbound.Upstream
	d := h.Dispenser
	d.Next() // the directive name
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	for d.NextBlock(0) {
		var err error
		switch d.Val() {
		case "name":
			hd.Name, err = oneArg(d)
		case "verify":
			hd.Verify, err = parseVerify(d)
		case "tolerance":
			hd.Tolerance, err = durationArg(d)
		case "dedupe":
			hd.Dedupe, err = templateArg(d)
		case "dedupe_window":
			hd.DedupeWindow, err = durationArg(d)
		case "max_body":
			hd.MaxBody, err = sizeArg(d)
		case "upstream":
			var u *inbound.Upstream
			if u, err = parseInboundUpstream(d); err == nil {
				ups = append(ups, u)
			}
		case "drop":
			hd.Drop, err = exprArg(d)
		case "ack":
			hd.AckWithin, err = parseAck(d)
		case "order_by":
			hd.OrderBy, err = templateArg(d)
		case "max_rate":
			hd.MaxRate, err = parseRate(d)
		case "bad_signatures":
			hd.BadSignatures, err = parseStrikes(d)
		case "inspect":
			hd.Inspect, err = onOffArg(d)
		default:
			return nil, d.Errf("unrecognized webhook_inbound option %q", d.Val())
		}
		if err != nil {
			return nil, err
		}
	}
	if err := checkUpstreamNames(d, ups); err != nil {
		return nil, err
	}
	switch {
	case len(ups) == 1:
		hd.Upstream = ups[0]
	case len(ups) > 1:
		hd.Upstreams = ups
	}
	if hd.Drop != "" && len(ups) == 0 {
		return nil, d.Err("drop needs an upstream")
	}
	return hd, nil
}

// parseInboundUpstream parses an upstream of webhook_inbound: the options
// of parseUpstream, and name, when and header_up.
func parseInboundUpstream(d *caddyfile.Dispenser) (*inbound.Upstream, error) {
	url, err := oneArg(d)
	if err != nil {
		return nil, err
	}
	u := &inbound.Upstream{Policy: delivery.Policy{URL: url}}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		switch d.Val() {
		case "name":
			u.Name, err = oneArg(d)
		case "when":
			u.When, err = exprArg(d)
		case "header_up":
			args := d.RemainingArgs()
			if len(args) != 2 {
				return nil, d.Err("header_up takes a field name and a value")
			}
			if u.HeaderUp == nil {
				u.HeaderUp = http.Header{}
			}
			u.HeaderUp.Add(args[0], args[1])
		case "sign":
			u.Sign, err = parseVerify(d)
		default:
			var ok bool
			if ok, err = parsePolicyOption(d, &u.Policy); err == nil && !ok {
				err = d.Errf("unrecognized upstream option %q", d.Val())
			}
		}
		if err != nil {
			return nil, err
		}
	}
	return u, checkPolicy(d, &u.Policy)
}

// checkUpstreamNames refuses two upstreams of one route with one name
// (given, or taken from the URL) and names that hold the queue separator.
func checkUpstreamNames(d *caddyfile.Dispenser, ups []*inbound.Upstream) error {
	seen := map[string]bool{}
	for _, u := range ups {
		name := cmp.Or(u.Name, inbound.UpstreamName(u.URL))
		switch {
		case strings.Contains(name, queue.FanoutSep):
			return d.Errf("upstream name %q: a name holds no %q", name, queue.FanoutSep)
		case seen[name]:
			return d.Errf("two upstreams are named %q: give one of them another name", name)
		}
		seen[name] = true
	}
	return nil
}

// exprArg reads a CEL expression (when, drop): the rest of the line, as
// Caddy's expression matcher takes it. Several tokens are joined with their
// quotes kept (string literals); one token, e.g. in backticks, is taken
// as it is. Long placeholders go back to their short form, and the
// expression is compiled so that a mistake fails `caddy adapt`.
func exprArg(d *caddyfile.Dispenser) (string, error) {
	opt := d.Val()
	var src string
	switch d.CountRemainingArgs() {
	case 0:
		return "", d.ArgErr()
	case 1:
		d.NextArg()
		src = d.Val()
	default:
		src = strings.Join(d.RemainingArgsRaw(), " ")
	}
	src = shortForms.Replace(src)
	if _, err := filter.Parse(src); err != nil {
		return "", d.Errf("%s: %v", opt, err)
	}
	return src, nil
}

// parseAck parses "ack async" (0) and "ack within <budget>".
func parseAck(d *caddyfile.Dispenser) (caddy.Duration, error) {
	args := d.RemainingArgs()
	switch {
	case len(args) == 1 && args[0] == "async":
		return 0, nil
	case len(args) == 2 && args[0] == "within":
		dur, err := caddy.ParseDuration(args[1])
		if err != nil || dur <= 0 {
			return 0, d.Errf("ack within: invalid duration %q", args[1])
		}
		return caddy.Duration(dur), nil
	}
	return 0, d.Err("ack: want async or within <duration>")
}

// shortForms undoes the adapter's rewrite of {header.X} into
// {http.request.header.X} (and of {query.x}), so templates reach the JSON
// in the form the user wrote.
var shortForms = strings.NewReplacer("{http.request.header.", "{header.", "{http.request.uri.query.", "{query.")

// parseVerify parses a signature scheme, for verify and for the upstream's
// sign; every option overrides the preset's:
//
//	verify|sign <hmac|preset> {
//		header           <field>
//		algorithm        sha1|sha256|sha512
//		encoding         hex|base64
//		prefix           <string>
//		signed_content   <template>
//		timestamp_header <field>
//		id_header        <field>
//		url              <signed url>
//		secret           <secret>   # repeat for rotation
//		key ed25519      <key>      # standard_webhooks v1a; repeat for rotation
//		verify_token     <token>    # meta: the subscription GET's token
//		audience         <aud>      # gcp_pubsub: the push token's audience
//		account          <id>       # aws_sns: topic ARN; gcp_pubsub: service account
//		environment      <env>      # plaid: production or sandbox
//	}
//
// A key is private where the scheme signs (sign) and public where it
// verifies (verify); see signature.Config.Keys.
func parseVerify(d *caddyfile.Dispenser) (*signature.Config, error) {
	directive := d.Val()
	scheme, err := oneArg(d)
	if err != nil {
		return nil, err
	}
	c := &signature.Config{Scheme: scheme}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		field := map[string]*string{
			"header": &c.Header, "algorithm": &c.Algorithm, "encoding": &c.Encoding,
			"prefix": &c.Prefix, "signed_content": &c.SignedContent, "timestamp_header": &c.TimestampHeader,
			"id_header": &c.IDHeader, "url": &c.URL, "verify_token": &c.VerifyToken,
			"audience": &c.Audience, "account": &c.Account, "environment": &c.Environment,
		}
		switch opt := d.Val(); {
		case opt == "secret":
			s, err := oneArg(d)
			if err != nil {
				return nil, err
			}
			c.Secrets = append(c.Secrets, s)
		case opt == "key":
			args := d.RemainingArgs()
			if len(args) != 2 || args[0] != "ed25519" {
				return nil, d.Errf("%s: want key ed25519 <key>", directive)
			}
			c.Keys = append(c.Keys, args[1])
		case field[opt] != nil:
			if *field[opt], err = oneArg(d); err != nil {
				return nil, err
			}
		default:
			return nil, d.Errf("unrecognized %s option %q", directive, opt)
		}
	}
	c.SignedContent = shortForms.Replace(c.SignedContent)
	if err := c.Validate(); err != nil {
		return nil, d.Errf("%s %s: %v", directive, scheme, err)
	}
	return c, nil
}

func parseUpstream(d *caddyfile.Dispenser) (*delivery.Policy, error) {
	url, err := oneArg(d)
	if err != nil {
		return nil, err
	}
	p := &delivery.Policy{URL: url}
	for nesting := d.Nesting(); d.NextBlock(nesting); {
		if d.Val() == "sign" {
			if p.Sign, err = parseVerify(d); err != nil {
				return nil, err
			}
			continue
		}
		ok, err := parsePolicyOption(d, p)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, d.Errf("unrecognized upstream option %q", d.Val())
		}
	}
	return p, checkPolicy(d, p)
}

// parsePolicyOption parses the delivery option at d into p, if it is one
// (timeout, retry, backoff, max_attempts, max_age, concurrency, rate,
// keep_delivered, keep_responses, transport, auth); ok
// is false for any other option. Upstreams and outbound routes share them.
func parsePolicyOption(d *caddyfile.Dispenser, p *delivery.Policy) (ok bool, err error) {
	switch d.Val() {
	case "timeout":
		p.Timeout, err = durationArg(d)
	case "retry":
		p.Retry, err = durationArgs(d)
	case "backoff":
		var b []caddy.Duration
		if b, err = durationArgs(d); err == nil && len(b) != 2 {
			err = d.Err("backoff takes a minimum and a maximum delay")
		}
		if err == nil {
			p.BackoffMin, p.BackoffMax = b[0], b[1]
		}
	case "max_attempts":
		p.MaxAttempts, err = intArg(d)
	case "max_age":
		p.MaxAge, err = durationArg(d)
	case "concurrency":
		p.Concurrency, err = intArg(d)
	case "rate":
		p.Rate, err = parseRate(d)
	case "keep_delivered":
		p.KeepDelivered, err = durationArg(d)
	case "keep_responses":
		if p.KeepResponses = true; d.NextArg() {
			err = d.ArgErr()
		}
	case "transport":
		err = parseTransport(d, p)
	case "auth":
		err = parseAuth(d, p)
	default:
		return false, nil
	}
	return true, err
}

// checkPolicy provisions a copy of p to catch mistakes at adapt time;
// provisioning fills in defaults, which stay out of the JSON. Sign was
// validated by parseVerify, transport and auth by their parsers; secrets
// resolve at run time only.
func checkPolicy(d *caddyfile.Dispenser, p *delivery.Policy) error {
	check := *p
	check.Sign = nil
	check.TransportRaw, check.Auth = nil, nil // loaded in a Caddy context, at run time
	if err := check.Provision(); err != nil {
		return d.Err(err.Error())
	}
	return nil
}

// parseGlobal sets up the webhooks app:
//
//	webhooks {
//		storage embedded [<dir>] | redis <url> { … }
//		dead_retention <duration>
//		stale_after    <duration>
//		notify <url> {              # options of upstream, with sign
//			sign standard_webhooks { secret <secret> }
//		}
//	}
func parseGlobal(d *caddyfile.Dispenser, _ any) (any, error) {
	app := new(webhooks.App)
	d.Next() // the option name
	if d.NextArg() {
		return nil, d.ArgErr()
	}
	var warnings []caddyconfig.Warning
	for d.NextBlock(0) {
		switch d.Val() {
		case "storage":
			storage, name, err := parseStorage(d)
			if err != nil {
				return nil, err
			}
			app.StorageRaw = caddyconfig.JSONModuleObject(storage, "engine", name, &warnings)
		case "dead_retention":
			var err error
			if app.DeadRetention, err = durationArg(d); err != nil {
				return nil, err
			}
		case "stale_after":
			var err error
			if app.StaleAfter, err = durationArg(d); err != nil {
				return nil, err
			}
		case "notify":
			var err error
			if app.Notify, err = parseUpstream(d); err != nil {
				return nil, err
			}
		default:
			return nil, d.Errf("unrecognized webhooks option %q", d.Val())
		}
	}
	return httpcaddyfile.App{Name: "webhooks", Value: caddyconfig.JSON(app, &warnings)}, nil
}

// parseStorage hands `storage <engine> …` to the webhooks.storage.<engine>
// module's Caddyfile unmarshaler, as reverse_proxy does its transports.
func parseStorage(d *caddyfile.Dispenser) (caddyfile.Unmarshaler, string, error) {
	if !d.NextArg() {
		return nil, "", d.Err("storage needs an engine: embedded or redis")
	}
	name := d.Val()
	id := "webhooks.storage." + name
	if _, err := caddy.GetModule(id); err != nil {
		return nil, "", d.Errf("unknown storage engine %q", name)
	}
	unm, err := caddyfile.UnmarshalModule(d, id)
	return unm, name, err
}

func oneArg(d *caddyfile.Dispenser) (string, error) {
	if !d.NextArg() {
		return "", d.ArgErr()
	}
	v := d.Val()
	if d.NextArg() {
		return "", d.ArgErr()
	}
	return v, nil
}

// templateArg reads a key template (dedupe, order_by, event_type) in its
// short form and parses it, so that a mistake fails `caddy adapt` rather
// than the config's load.
func templateArg(d *caddyfile.Dispenser) (string, error) {
	opt := d.Val()
	v, err := oneArg(d)
	if err != nil {
		return "", err
	}
	v = shortForms.Replace(v)
	if _, err := dedupe.Parse(v); err != nil {
		return "", d.Errf("%s: %v", opt, err)
	}
	return v, nil
}

func durationArg(d *caddyfile.Dispenser) (caddy.Duration, error) {
	opt := d.Val()
	v, err := oneArg(d)
	if err != nil {
		return 0, err
	}
	dur, err := caddy.ParseDuration(v)
	if err != nil || dur < 0 {
		return 0, d.Errf("%s: invalid duration %q", opt, v)
	}
	return caddy.Duration(dur), nil
}

func durationArgs(d *caddyfile.Dispenser) ([]caddy.Duration, error) {
	opt := d.Val()
	args := d.RemainingArgs()
	if len(args) == 0 {
		return nil, d.ArgErr()
	}
	out := make([]caddy.Duration, len(args))
	for i, a := range args {
		dur, err := caddy.ParseDuration(a)
		if err != nil || dur < 0 {
			return nil, d.Errf("%s: invalid duration %q", opt, a)
		}
		out[i] = caddy.Duration(dur)
	}
	return out, nil
}

// onOffArg reads the one argument "on" or "off" of the option.
func onOffArg(d *caddyfile.Dispenser) (bool, error) {
	opt := d.Val()
	v, err := oneArg(d)
	if err != nil {
		return false, err
	}
	switch v {
	case "on":
		return true, nil
	case "off":
		return false, nil
	}
	return false, d.Errf("%s: want on or off, got %q", opt, v)
}

func intArg(d *caddyfile.Dispenser) (int, error) {
	opt := d.Val()
	v, err := oneArg(d)
	if err != nil {
		return 0, err
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		return 0, d.Errf("%s: want a positive whole number, got %q", opt, v)
	}
	return n, nil
}

func sizeArg(d *caddyfile.Dispenser) (int64, error) {
	v, err := oneArg(d)
	if err != nil {
		return 0, err
	}
	n, err := humanize.ParseBytes(v)
	if err != nil || n == 0 || n > 1<<40 {
		return 0, d.Errf("invalid size %q", v)
	}
	return int64(n), nil
}
