// Package presets holds the named signature schemes of webhook senders, as
// data: each file registers a family of presets with signature.Register,
// their schemes built by signature's scheme builders (BodyHMAC,
// StandardWebhooks, Token, External, …). Import it, blank if need be,
// wherever presets are looked up: a Config naming a preset fails to
// resolve without it.
package presets

import (
	"net/http"
	"time"

	"github.com/hookgate/hookgate/signature"
	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/handshake"
)

func init() {
	// --- Senders from the user's documents ---

	// ContextFile: X-Webhook-Signature is the hex HMAC-SHA256 of the raw
	// body; the secret (whsec_…) is used as raw bytes, not base64-decoded.
	signature.Register(signature.Preset{Name: "contextfile", DedupeKey: "{json.id}",
		Doc:    "user document: ContextFile webhooks",
		Scheme: signature.BodyHMAC("X-Webhook-Signature", "sha256", framing.Hex, "")})
	// ChangeThisFile: X-CTF-Signature: sha256=<hex>; two secrets are active
	// during a rotation (configure both).
	signature.Register(signature.Preset{Name: "changethisfile", DedupeKey: "{json.job_id}:{json.state}",
		Doc:    "user document: ChangeThisFile webhooks",
		Scheme: signature.BodyHMAC("X-CTF-Signature", "sha256", framing.Hex, "sha256=")})
	// Posternity: HMAC-SHA256 hex of the raw body; the scheme is
	// configurable on their side, so every field may be overridden.
	signature.Register(signature.Preset{Name: "posternity", Summary: signature.Summary{Header: "X-Posternity-Signature: <hex> (configurable)"}, DedupeKey: "{json.id}",
		Doc:    "user document: Posternity webhooks",
		Scheme: signature.BodyHMAC("X-Posternity-Signature", "sha256", framing.Hex, "")})
	// "none" says on purpose that the sender signs nothing and brings no
	// key: needed before an upstream may re-sign such a route's input.
	signature.Register(signature.Preset{Name: "none", Doc: "Hookgate: the route verifies nothing, on purpose",
		Scheme: signature.None()})
	// Ctxfy postbacks and super.AI callbacks sign nothing.
	signature.Register(signature.Preset{Name: "ctxfy", DedupeKey: "{json.sourceId}:{json.status}",
		Doc: "user document: Ctxfy postbacks", Scheme: signature.None()})
	signature.Register(signature.Preset{Name: "superai", DedupeKey: "{json.uuid}:{json.state}:{json.action}",
		Doc: "user document: super.AI callbacks", Scheme: signature.None()})

	// --- Common senders ---

	// GitHub signs the body only: X-GitHub-Delivery is not covered, so the
	// key is the signed body's digest (a redelivery resends the same body).
	signature.Register(signature.Preset{Name: "github", MaxBody: 25e6,
		MaxBodyDoc: "https://docs.github.com/en/webhooks/webhook-events-and-payloads#payload-cap",
		DedupeKey:  "{signed_digest}",
		Doc:        "https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries",
		Scheme:     signature.BodyHMAC("X-Hub-Signature-256", "sha256", framing.Hex, "sha256=")})
	// GitLab sends the secret token itself; it is compared in constant time.
	// The token covers nothing: keying on the body's digest at least makes
	// a verbatim replay with a new X-Gitlab-Event-UUID a duplicate.
	signature.Register(signature.Preset{Name: "gitlab", MaxBody: 25e6,
		MaxBodyDoc: "https://gitlab.com/gitlab-org/gitlab/-/merge_requests/38687 (webhook payloads over 25 MB are not sent)",
		DedupeKey:  "{body_sha256}",
		Doc:        "https://docs.gitlab.com/user/project/integrations/webhooks/#validate-payloads-by-using-a-secret-token",
		Scheme:     signature.Token("X-Gitlab-Token")})
	signature.Register(signature.Preset{Name: "stripe", DedupeKey: "{json.id}", Tolerance: 5 * time.Minute,
		Doc:    "https://docs.stripe.com/webhooks#verify-manually",
		Scheme: signature.ListHMAC("Stripe-Signature", ',', "t", "v1", "{timestamp}.{body}")})
	signature.Register(signature.Preset{Name: "slack", Handshake: "`url_verification`", DedupeKey: "{json.event_id}", Tolerance: 5 * time.Minute,
		Doc:    "https://api.slack.com/authentication/verifying-requests-from-slack",
		Scheme: signature.TimedHMAC("X-Slack-Signature", "v0=", "v0:{timestamp}:{body}", "X-Slack-Request-Timestamp").WithHandshake(handshake.Slack)})
	// Shopify signs the body only, not X-Shopify-Webhook-Id.
	signature.Register(signature.Preset{Name: "shopify", DedupeKey: "{signed_digest}",
		Doc:    "https://shopify.dev/docs/apps/build/webhooks/verify-deliveries",
		Scheme: signature.BodyHMAC("X-Shopify-Hmac-Sha256", "sha256", framing.Base64, "")})
	signature.Register(signature.Preset{Name: "standard_webhooks", Summary: signature.Summary{Algorithm: "HMAC-SHA256, whsec_ base64 key; v1a: Ed25519 (key ed25519)"}, DedupeKey: "{header.webhook-id}", Tolerance: 5 * time.Minute,
		Doc:    "https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md",
		Scheme: signature.StandardWebhooks("webhook").WithAsym("v1a")})
	signature.Register(signature.Preset{Name: "svix", DedupeKey: "{header.svix-id}", Tolerance: 5 * time.Minute,
		Doc:    "https://docs.svix.com/receiving/verifying-payloads/how-manual",
		Scheme: signature.StandardWebhooks("svix")})
	// Clerk and Resend deliver through Svix: svix-id, svix-timestamp and
	// svix-signature (v1,<base64> HMAC-SHA256 of {id}.{ts}.{body}) with a
	// whsec_ secret; the id is signed, so it keys the dedupe.
	signature.Register(signature.Preset{Name: "clerk", DedupeKey: "{header.svix-id}", Tolerance: 5 * time.Minute,
		Doc:    "https://clerk.com/docs/references/backend/verify-webhook",
		Scheme: signature.StandardWebhooks("svix")})
	signature.Register(signature.Preset{Name: "resend", DedupeKey: "{header.svix-id}", Tolerance: 5 * time.Minute,
		Doc:    "https://resend.com/docs/dashboard/webhooks/verify-webhooks-requests",
		Scheme: signature.StandardWebhooks("svix")})
	// Twilio: base64 HMAC-SHA1 of the full URL followed by the form
	// parameters sorted by name; a JSON body is bound by the URL's
	// bodySHA256 parameter instead. The URL is tried with and without its
	// port, as Twilio's own validators do. I-Twilio-Idempotency-Token is not
	// signed: the key is the digest of the URL and parameters signed.
	signature.Register(signature.Preset{Name: "twilio", Summary: signature.Summary{Signed: "URL + sorted form params (JSON: bodySHA256 in the URL)"}, MaxBody: 1e6,
		MaxBodyDoc: "https://www.twilio.com/docs/api/errors/17564 (callbacks over 1 MB are skipped)",
		DedupeKey:  "{signed_digest}",
		Doc:        "https://www.twilio.com/docs/usage/webhooks/webhooks-security",
		Scheme: signature.HMAC(signature.Fields{Header: "X-Twilio-Signature", Algorithm: "sha1", Encoding: framing.Base64,
			SignedContent: "{url}{form}", BodyHashParam: "bodySHA256", URLAlt: togglePort})})
	// Paddle Billing: "ts=…;h1=…", several h1 during a rotation. Paddle's
	// SDKs allow 5 seconds of skew by default.
	signature.Register(signature.Preset{Name: "paddle", DedupeKey: "{json.event_id}", Tolerance: 5 * time.Second,
		Doc:    "https://developer.paddle.com/webhooks/signature-verification",
		Scheme: signature.ListHMAC("Paddle-Signature", ';', "ts", "h1", "{timestamp}:{body}")})
	signature.Register(signature.Preset{Name: "zoom", Handshake: "`endpoint.url_validation`", DedupeKey: "{json.event}:{json.event_ts}", Tolerance: 5 * time.Minute,
		Doc:    "https://developers.zoom.us/docs/api/webhooks/#verify-webhook-events",
		Scheme: signature.TimedHMAC("X-Zm-Signature", "v0=", "v0:{timestamp}:{body}", "X-Zm-Request-Timestamp").WithHandshake(handshake.Zoom)})
	// Square signs the notification URL followed by the body; see Config.URL.
	signature.Register(signature.Preset{Name: "square", Summary: signature.Summary{Signed: "notification URL + {body}"}, DedupeKey: "{json.event_id}",
		Doc: "https://developer.squareup.com/docs/webhooks/step3validate",
		Scheme: signature.HMAC(signature.Fields{Header: "X-Square-Hmacsha256-Signature", Algorithm: "sha256", Encoding: framing.Base64,
			SignedContent: "{url}{body}"})})
	// Linear signs the body only, not Linear-Delivery; the body's
	// webhookTimestamp (ms) is checked against the tolerance, one minute
	// as Linear recommends.
	signature.Register(signature.Preset{Name: "linear", DedupeKey: "{signed_digest}", Tolerance: time.Minute,
		Doc:    "https://linear.app/developers/webhooks#securing-webhooks",
		Scheme: signature.BodyHMAC("Linear-Signature", "sha256", framing.Hex, "").WithBodyTimestamp("webhookTimestamp")})
	signature.Register(signature.Preset{Name: "intercom", DedupeKey: "{json.id}",
		Doc:    "https://developers.intercom.com/docs/webhooks/webhook-notifications#signed-notifications",
		Scheme: signature.BodyHMAC("X-Hub-Signature", "sha1", framing.Hex, "sha1=")})
	// HubSpot v3: base64 HMAC-SHA256 of method + URI + body + timestamp
	// (milliseconds), with some percent-escapes of the URI decoded.
	signature.Register(signature.Preset{Name: "hubspot", Summary: signature.Summary{Signed: "method + URI + {body} + {ts}"}, DedupeKey: "{json.0.eventId}", Tolerance: 5 * time.Minute,
		Doc: "https://developers.hubspot.com/docs/api/webhooks/validating-requests",
		Scheme: signature.HMAC(signature.Fields{Header: "X-Hubspot-Signature-V3", Algorithm: "sha256", Encoding: framing.Base64,
			SignedContent: "{method}{url}{body}{timestamp}", TimestampHeader: "X-Hubspot-Request-Timestamp",
			TimestampFormat: signature.UnixMillis, URLFix: hubspotURI})})
	// Mailgun signs timestamp+token only: the key is their digest, in every
	// body form, so a captured token cannot carry other event data.
	signature.Register(signature.Preset{Name: "mailgun", Summary: signature.Summary{Header: "in the body: signature.{timestamp,token,signature} (JSON, form or multipart)", Signed: "timestamp + token"}, DedupeKey: "{signed_digest}", Tolerance: 5 * time.Minute,
		Doc:    "https://documentation.mailgun.com/docs/mailgun/user-manual/webhooks/securing-webhooks",
		Scheme: signature.Mailgun()})
	signature.Register(signature.Preset{Name: "twitch", Handshake: "`webhook_callback_verification`", DedupeKey: "{header.Twitch-Eventsub-Message-Id}", Tolerance: 10 * time.Minute,
		Doc: "https://dev.twitch.tv/docs/eventsub/handling-webhook-events/#verifying-the-event-message",
		Scheme: signature.HMAC(signature.Fields{Header: "Twitch-Eventsub-Message-Signature", Algorithm: "sha256", Encoding: framing.Hex,
			Prefix: "sha256=", SignedContent: "{id}{timestamp}{body}", IDHeader: "Twitch-Eventsub-Message-Id",
			TimestampHeader: "Twitch-Eventsub-Message-Timestamp", TimestampFormat: signature.RFC3339}).WithHandshake(handshake.Twitch)})
	signature.Register(signature.Preset{Name: "pagerduty", DedupeKey: "{json.event.id}",
		Doc:    "https://developer.pagerduty.com/docs/webhooks/webhook-signatures/",
		Scheme: signature.ListHMAC("X-Pagerduty-Signature", ',', "", "v1", "{body}")})
	signature.Register(signature.Preset{Name: "vercel", DedupeKey: "{json.id}",
		Doc:    "https://vercel.com/docs/webhooks/webhooks-api#securing-webhooks",
		Scheme: signature.BodyHMAC("X-Vercel-Signature", "sha1", framing.Hex, "")})
	signature.Register(signature.Preset{Name: "calendly", DedupeKey: "{json.event}:{json.payload.uri}", Tolerance: 3 * time.Minute,
		Doc:    "https://developer.calendly.com/api-docs/overview/webhooks/webhook-signatures",
		Scheme: signature.ListHMAC("Calendly-Webhook-Signature", ',', "t", "v1", "{timestamp}.{body}")})
	signature.Register(signature.Preset{Name: "typeform", DedupeKey: "{json.event_id}",
		Doc:    "https://www.typeform.com/developers/webhooks/secure-your-webhooks/",
		Scheme: signature.BodyHMAC("Typeform-Signature", "sha256", framing.Base64, "sha256=")})
	// Xero's "intent to receive" check requires exactly 401 on a bad signature.
	signature.Register(signature.Preset{Name: "xero", DedupeKey: "{json.firstEventSequence}:{json.lastEventSequence}",
		FailureStatus: http.StatusUnauthorized,
		Doc:           "https://developer.xero.com/documentation/guides/webhooks/configuring-your-server/",
		Scheme:        signature.BodyHMAC("X-Xero-Signature", "sha256", framing.Base64, "")})
	// Discord: Ed25519 over timestamp+body; Discord probes the endpoint with
	// bad signatures and requires 401.
	signature.Register(signature.Preset{Name: "discord", Handshake: "PING → `{\"type\":1}`", DedupeKey: "{json.id}", Tolerance: signature.DefaultTolerance,
		FailureStatus: http.StatusUnauthorized,
		Doc:           "https://discord.com/developers/docs/interactions/overview#setting-up-an-endpoint-validating-security-request-headers",
		Scheme: signature.Ed25519(signature.Fields{Header: "X-Signature-Ed25519", Encoding: framing.Hex,
			SignedContent: "{timestamp}{body}", TimestampHeader: "X-Signature-Timestamp"}).WithHandshake(handshake.Discord)})
	// Meta (Facebook, Instagram, WhatsApp, Messenger): the app secret signs
	// the body; the subscription GET carries Config.VerifyToken instead.
	// Meta's payloads batch entries without one event id: set a dedupe key
	// that fits the subscribed object.
	signature.Register(signature.Preset{Name: "meta", Handshake: "`hub.challenge` GET (`verify_token`)",
		Doc:    "https://developers.facebook.com/docs/graph-api/webhooks/getting-started",
		Scheme: signature.BodyHMAC("X-Hub-Signature-256", "sha256", framing.Hex, "sha256=").WithHandshake(handshake.Meta)})
	// Okta event hooks send the hook's authentication secret in a header
	// (Authorization by default; the name is configurable in Okta), compared
	// in constant time, also on the one-time verification GET.
	signature.Register(signature.Preset{Name: "okta", Handshake: "verification GET",
		Summary: signature.Summary{Header: "Authorization: <secret> (configurable)"}, DedupeKey: "{json.eventId}",
		Doc:    "https://developer.okta.com/docs/concepts/event-hooks/",
		Scheme: signature.Token("Authorization").WithHandshake(handshake.Okta)})
	// SendGrid signed Event Webhook: ECDSA P-256 over SHA-256(timestamp+body).
	signature.Register(signature.Preset{Name: "sendgrid", Summary: signature.Summary{Header: "X-Twilio-Email-Event-Webhook-Signature: <base64> + X-Twilio-Email-Event-Webhook-Timestamp"}, DedupeKey: "{json.0.sg_event_id}", Tolerance: signature.DefaultTolerance,
		Doc: "https://www.twilio.com/docs/sendgrid/for-developers/tracking-events/getting-started-event-webhook-security-features",
		Scheme: signature.ECDSA(signature.Fields{Header: "X-Twilio-Email-Event-Webhook-Signature", Encoding: framing.Base64,
			SignedContent: "{timestamp}{body}", TimestampHeader: "X-Twilio-Email-Event-Webhook-Timestamp"})})
}
