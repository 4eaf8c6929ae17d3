package signature

import (
	"net/http"
	"sort"
	"time"

	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/handshake"
	"github.com/hookgate/hookgate/signature/keys"
)

// Preset describes a provider's scheme and the defaults that go with it.
type Preset struct {
	// Name is the value of Config.Scheme that selects the preset.
	Name string
	// DedupeKey is the default dedupe key template (dedupe package syntax).
	DedupeKey string
	// Tolerance is the default replay window; 0 when the scheme carries no
	// timestamp.
	Tolerance time.Duration
	// FailureStatus is the status to answer a request that fails
	// verification.
	FailureStatus int
	// Signed is false for senders that sign nothing: guard their routes
	// with a shared token, basic auth or the remote_ip matcher.
	Signed bool
	// Doc is the provider's documentation of the scheme.
	Doc string
	// MaxBody is the largest body the sender documents sending, in bytes:
	// the route's default max_body, so that a legitimate large delivery is
	// not refused with 413. 0 at registration means DefaultMaxBody, and
	// MaxBodyDoc is then "" (the sender documents no cap).
	MaxBody int64
	// MaxBodyDoc cites where the sender documents MaxBody.
	MaxBodyDoc string
	// Handshake names the endpoint checks the preset answers ("" for none),
	// for the generated tables.
	Handshake string
	// Summary overrides, for the generated tables, what is derived from the
	// scheme (the other fields of Summary stay derived when left empty).
	Summary Summary

	spec spec
}

// DefaultMaxBody is the max_body of a preset whose sender documents no cap
// on its payloads, and of routes without a preset: 1 MiB.
const DefaultMaxBody = 1 << 20

var presets = map[string]Preset{}

func register(p Preset) {
	if p.FailureStatus == 0 {
		p.FailureStatus = http.StatusUnauthorized
	}
	if p.MaxBody == 0 {
		p.MaxBody = DefaultMaxBody
	}
	p.Signed = p.spec.prim != primNone
	p.spec.tolerance = p.Tolerance
	if _, dup := presets[p.Name]; dup {
		panic("signature: duplicate preset " + p.Name)
	}
	presets[p.Name] = p
}

// Presets returns the preset names, sorted.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// BodyTimestamp is the JSON path of the unix-milliseconds timestamp the
// sender signs inside its body (Linear's webhookTimestamp), "" for none.
func (p Preset) BodyTimestamp() string { return p.spec.bodyTS }

// LookupPreset returns the named preset.
func LookupPreset(name string) (Preset, bool) {
	p, ok := presets[name]
	return p, ok
}

// bodyHMAC is the most common scheme: an HMAC of the raw body in one header.
func bodyHMAC(header, alg string, enc framing.Encoding, prefix string) spec {
	return spec{prim: primHMAC, header: header, alg: alg, enc: enc, prefix: prefix, content: "{body}"}
}

// timedHMAC is an HMAC over content that includes a timestamp sent in its
// own header (Slack, Zoom).
func timedHMAC(header, prefix, content, tsHeader string) spec {
	return spec{prim: primHMAC, header: header, alg: "sha256", enc: framing.Hex, prefix: prefix, content: content, tsHeader: tsHeader}
}

// listHMAC is a hex HMAC-SHA256 in a key=value list that may carry several
// signatures (rotation) and the timestamp.
func listHMAC(header string, sep byte, tsKey, sigKey, content string) spec {
	return spec{prim: primHMAC, header: header, alg: "sha256", enc: framing.Hex, content: content,
		frame: framing.KV{Sep: sep, TSKey: tsKey, SigKey: sigKey}}
}

// withBodyTS makes a spec check the unix-milliseconds timestamp at path in
// its signed JSON body.
func withBodyTS(sp spec, path string) spec {
	sp.bodyTS = path
	return sp
}

// withHS adds the sender's endpoint checks to a spec.
func withHS(sp spec, hs *handshake.Handshake) spec {
	sp.handshake = hs
	return sp
}

// withAsym lets Config.Keys sign and verify a spec's Ed25519 variant, tagged
// version in a framing.Versioned header.
func withAsym(sp spec, version string) spec {
	sp.asym = version
	return sp
}

// standardWebhooks is the Standard Webhooks scheme under a header prefix
// ("webhook" or "svix").
func standardWebhooks(prefix string) spec {
	return spec{prim: primHMAC, alg: "sha256", enc: framing.Base64, keyFmt: keys.Whsec,
		header: prefix + "-signature", tsHeader: prefix + "-timestamp", idHeader: prefix + "-id",
		content: "{id}.{timestamp}.{body}", frame: framing.Versioned{Version: "v1"}}
}

func init() {
	// --- Senders from the user's documents ---

	// ContextFile: X-Webhook-Signature is the hex HMAC-SHA256 of the raw
	// body; the secret (whsec_…) is used as raw bytes, not base64-decoded.
	register(Preset{Name: "contextfile", DedupeKey: "{json.id}",
		Doc:  "user document: ContextFile webhooks",
		spec: bodyHMAC("X-Webhook-Signature", "sha256", framing.Hex, "")})
	// ChangeThisFile: X-CTF-Signature: sha256=<hex>; two secrets are active
	// during a rotation (configure both).
	register(Preset{Name: "changethisfile", DedupeKey: "{json.job_id}:{json.state}",
		Doc:  "user document: ChangeThisFile webhooks",
		spec: bodyHMAC("X-CTF-Signature", "sha256", framing.Hex, "sha256=")})
	// Posternity: HMAC-SHA256 hex of the raw body; the scheme is
	// configurable on their side, so every field may be overridden.
	register(Preset{Name: "posternity", Summary: Summary{Header: "X-Posternity-Signature: <hex> (configurable)"}, DedupeKey: "{json.id}",
		Doc:  "user document: Posternity webhooks",
		spec: bodyHMAC("X-Posternity-Signature", "sha256", framing.Hex, "")})
	// "none" says on purpose that the sender signs nothing and brings no
	// key: needed before an upstream may re-sign such a route's input.
	register(Preset{Name: "none", Doc: "Hookgate: the route verifies nothing, on purpose",
		spec: spec{prim: primNone}})
	// Ctxfy postbacks and super.AI callbacks sign nothing.
	register(Preset{Name: "ctxfy", DedupeKey: "{json.sourceId}:{json.status}",
		Doc: "user document: Ctxfy postbacks", spec: spec{prim: primNone}})
	register(Preset{Name: "superai", DedupeKey: "{json.uuid}:{json.state}:{json.action}",
		Doc: "user document: super.AI callbacks", spec: spec{prim: primNone}})

	// --- Common senders ---

	// GitHub signs the body only: X-GitHub-Delivery is not covered, so the
	// key is the signed body's digest (a redelivery resends the same body).
	register(Preset{Name: "github", MaxBody: 25e6,
		MaxBodyDoc: "https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap",
		DedupeKey:  "{signed_digest}",
		Doc:        "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
		spec:       bodyHMAC("X-Hub-Signature-256", "sha256", framing.Hex, "sha256=")})
	// GitLab sends the secret token itself; it is compared in constant time.
	// The token covers nothing: keying on the body's digest at least makes
	// a verbatim replay with a new X-Gitlab-Event-UUID a duplicate.
	register(Preset{Name: "gitlab", MaxBody: 25e6,
		MaxBodyDoc: "https://gitlab.com/gitlab-org/gitlab/-/merge_requests/38687 (webhook payloads over 25 MB are not sent)",
		DedupeKey:  "{body_sha256}",
		Doc:        "https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-secret-token",
		spec:       spec{prim: primToken, header: "X-Gitlab-Token", enc: framing.Raw}})
	register(Preset{Name: "stripe", DedupeKey: "{json.id}", Tolerance: 5 * time.Minute,
		Doc:  "https://docs.stripe.com/webhooks#verify-manually",
		spec: listHMAC("Stripe-Signature", ',', "t", "v1", "{timestamp}.{body}")})
	register(Preset{Name: "slack", Handshake: "`url_verification`", DedupeKey: "{json.event_id}", Tolerance: 5 * time.Minute,
		Doc:  "https://api.slack.com/authentication/verifying-requests-from-slack",
		spec: withHS(timedHMAC("X-Slack-Signature", "v0=", "v0:{timestamp}:{body}", "X-Slack-Request-Timestamp"), handshake.Slack)})
	// Shopify signs the body only, not X-Shopify-Webhook-Id.
	register(Preset{Name: "shopify", DedupeKey: "{signed_digest}",
		Doc:  "https://shopify.dev/docs/apps/build/webhooks/verify-deliveries",
		spec: bodyHMAC("X-Shopify-Hmac-Sha256", "sha256", framing.Base64, "")})
	register(Preset{Name: "standard_webhooks", Summary: Summary{Algorithm: "HMAC-SHA256, whsec_ base64 key; v1a: Ed25519 (key ed25519)"}, DedupeKey: "{header.webhook-id}", Tolerance: 5 * time.Minute,
		Doc:  "https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
		spec: withAsym(standardWebhooks("webhook"), "v1a")})
	register(Preset{Name: "svix", DedupeKey: "{header.svix-id}", Tolerance: 5 * time.Minute,
		Doc:  "https://docs.svix.com/receiving/verifying-payloads/how-manual",
		spec: standardWebhooks("svix")})
	// Twilio: base64 HMAC-SHA1 of the full URL followed by the form
	// parameters sorted by name; a JSON body is bound by the URL's
	// bodySHA256 parameter instead. The URL is tried with and without its
	// port, as Twilio's own validators do. I-Twilio-Idempotency-Token is not
	// signed: the key is the digest of the URL and parameters signed.
	register(Preset{Name: "twilio", Summary: Summary{Signed: "URL + sorted form params (JSON: bodySHA256 in the URL)"}, MaxBody: 1e6,
		MaxBodyDoc: "https://www.twilio.com/docs/api/errors/17564 (callbacks over 1 MB are skipped)",
		DedupeKey:  "{signed_digest}",
		Doc:        "https://www.twilio.com/docs/usage/webhooks/webhooks-security",
		spec: spec{prim: primHMAC, header: "X-Twilio-Signature", alg: "sha1", enc: framing.Base64,
			content: "{url}{form}", bodyHash: "bodySHA256", urlAlt: togglePort}})
	// Paddle Billing: "ts=…;h1=…", several h1 during a rotation. Paddle's
	// SDKs allow 5 seconds of skew by default.
	register(Preset{Name: "paddle", DedupeKey: "{json.event_id}", Tolerance: 5 * time.Second,
		Doc:  "https://developer.paddle.com/webhooks/signature-verification",
		spec: listHMAC("Paddle-Signature", ';', "ts", "h1", "{timestamp}:{body}")})
	register(Preset{Name: "zoom", Handshake: "`endpoint.url_validation`", DedupeKey: "{json.event}:{json.event_ts}", Tolerance: 5 * time.Minute,
		Doc:  "https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events",
		spec: withHS(timedHMAC("X-Zm-Signature", "v0=", "v0:{timestamp}:{body}", "X-Zm-Request-Timestamp"), handshake.Zoom)})
	// Square signs the notification URL followed by the body; see Config.URL.
	register(Preset{Name: "square", Summary: Summary{Signed: "notification URL + {body}"}, DedupeKey: "{json.event_id}",
		Doc: "https://developer.squareup.com/docs/webhooks/step3validate",
		spec: spec{prim: primHMAC, header: "X-Square-Hmacsha256-Signature", alg: "sha256", enc: framing.Base64,
			content: "{url}{body}"}})
	// Linear signs the body only, not Linear-Delivery; the body's
	// webhookTimestamp (ms) is checked against the tolerance, one minute
	// as Linear recommends.
	register(Preset{Name: "linear", DedupeKey: "{signed_digest}", Tolerance: time.Minute,
		Doc:  "https://linear.app/developers/webhooks#securing-webhooks",
		spec: withBodyTS(bodyHMAC("Linear-Signature", "sha256", framing.Hex, ""), "webhookTimestamp")})
	register(Preset{Name: "intercom", DedupeKey: "{json.id}",
		Doc:  "https://developers.intercom.com/docs/webhooks/webhook-notifications#signed-notifications",
		spec: bodyHMAC("X-Hub-Signature", "sha1", framing.Hex, "sha1=")})
	// HubSpot v3: base64 HMAC-SHA256 of method + URI + body + timestamp
	// (milliseconds), with some percent-escapes of the URI decoded.
	register(Preset{Name: "hubspot", Summary: Summary{Signed: "method + URI + {body} + {ts}"}, DedupeKey: "{json.0.eventId}", Tolerance: 5 * time.Minute,
		Doc: "https://developers.hubspot.com/docs/api/webhooks/validating-requests",
		spec: spec{prim: primHMAC, header: "X-Hubspot-Signature-V3", alg: "sha256", enc: framing.Base64,
			content: "{method}{url}{body}{timestamp}", tsHeader: "X-Hubspot-Request-Timestamp",
			tsFormat: tsUnixMilli, urlFix: hubspotURI}})
	// Mailgun signs timestamp+token only: the key is their digest, in every
	// body form, so a captured token cannot carry other event data.
	register(Preset{Name: "mailgun", Summary: Summary{Header: "in the body: signature.{timestamp,token,signature} (JSON, form or multipart)", Signed: "timestamp + token"}, DedupeKey: "{signed_digest}", Tolerance: 5 * time.Minute,
		Doc:  "https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks",
		spec: spec{prim: primMailgun, alg: "sha256"}})
	register(Preset{Name: "twitch", Handshake: "`webhook_callback_verification`", DedupeKey: "{header.Twitch-Eventsub-Message-Id}", Tolerance: 10 * time.Minute,
		Doc: "https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message",
		spec: spec{prim: primHMAC, header: "Twitch-Eventsub-Message-Signature", alg: "sha256", enc: framing.Hex,
			prefix: "sha256=", content: "{id}{timestamp}{body}", idHeader: "Twitch-Eventsub-Message-Id",
			tsHeader: "Twitch-Eventsub-Message-Timestamp", tsFormat: tsRFC3339, handshake: handshake.Twitch}})
	register(Preset{Name: "pagerduty", DedupeKey: "{json.event.id}",
		Doc:  "https://developer.pagerduty.com/docs/webhooks/webhook-signatures/",
		spec: listHMAC("X-Pagerduty-Signature", ',', "", "v1", "{body}")})
	register(Preset{Name: "vercel", DedupeKey: "{json.id}",
		Doc:  "https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks",
		spec: bodyHMAC("X-Vercel-Signature", "sha1", framing.Hex, "")})
	register(Preset{Name: "calendly", DedupeKey: "{json.event}:{json.payload.uri}", Tolerance: 3 * time.Minute,
		Doc:  "https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures",
		spec: listHMAC("Calendly-Webhook-Signature", ',', "t", "v1", "{timestamp}.{body}")})
	register(Preset{Name: "typeform", DedupeKey: "{json.event_id}",
		Doc:  "https://www.typeform.com/developers/webhooks/secure-your-webhooks/",
		spec: bodyHMAC("Typeform-Signature", "sha256", framing.Base64, "sha256=")})
	// Xero's "intent to receive" check requires exactly 401 on a bad signature.
	register(Preset{Name: "xero", DedupeKey: "{json.firstEventSequence}:{json.lastEventSequence}",
		FailureStatus: http.StatusUnauthorized,
		Doc:           "https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/",
		spec:          bodyHMAC("X-Xero-Signature", "sha256", framing.Base64, "")})
	// Discord: Ed25519 over timestamp+body; Discord probes the endpoint with
	// bad signatures and requires 401.
	register(Preset{Name: "discord", Handshake: "PING → `{\"type\":1}`", DedupeKey: "{json.id}", Tolerance: DefaultTolerance,
		FailureStatus: http.StatusUnauthorized,
		Doc:           "https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers",
		spec: spec{prim: primEd25519, header: "X-Signature-Ed25519", enc: framing.Hex,
			content: "{timestamp}{body}", tsHeader: "X-Signature-Timestamp", handshake: handshake.Discord}})
	// Meta (Facebook, Instagram, WhatsApp, Messenger): the app secret signs
	// the body; the subscription GET carries Config.VerifyToken instead.
	// Meta's payloads batch entries without one event id: set a dedupe key
	// that fits the subscribed object.
	register(Preset{Name: "meta", Handshake: "`hub.challenge` GET (`verify_token`)",
		Doc:  "https://developers.facebook.com/docs/graph-api/webhooks/getting-started",
		spec: withHS(bodyHMAC("X-Hub-Signature-256", "sha256", framing.Hex, "sha256="), handshake.Meta)})
	// Okta event hooks send the hook's authentication secret in a header
	// (Authorization by default; the name is configurable in Okta), compared
	// in constant time, also on the one-time verification GET.
	register(Preset{Name: "okta", Handshake: "verification GET",
		Summary: Summary{Header: "Authorization: <secret> (configurable)"}, DedupeKey: "{json.eventId}",
		Doc:  "https://developer.okta.com/docs/concepts/event-hooks/",
		spec: spec{prim: primToken, header: "Authorization", enc: framing.Raw, handshake: handshake.Okta}})
	// SendGrid signed Event Webhook: ECDSA P-256 over SHA-256(timestamp+body).
	register(Preset{Name: "sendgrid", Summary: Summary{Header: "X-Twilio-Email-Event-Webhook-Signature: <base64> + X-Twilio-Email-Event-Webhook-Timestamp"}, DedupeKey: "{json.0.sg_event_id}", Tolerance: DefaultTolerance,
		Doc: "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
		spec: spec{prim: primECDSA, header: "X-Twilio-Email-Event-Webhook-Signature", enc: framing.Base64,
			content: "{timestamp}{body}", tsHeader: "X-Twilio-Email-Event-Webhook-Timestamp"}})
}
