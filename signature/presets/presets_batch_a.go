package presets

import (
	"github.com/hookgate/hookgate/signature"
	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/keys"
)

// Presets of issue 19, batch A: forges (Bitbucket Cloud, Gitea, Gogs),
// commerce (WooCommerce, Lemon Squeezy), workspace and support tools
// (Notion, Help Scout, Airtable) and data pipelines (Segment, Customer.io).
// Each cites its provider's own page. None of these senders documents a
// largest payload, so each keeps DefaultMaxBody; none signs its delivery
// id header, so the dedupe key is the signed content's digest unless a
// signed body field names the event.
func init() {
	// Bitbucket Cloud: with a webhook secret, X-Hub-Signature is
	// "sha256=" + hex HMAC-SHA256 of the raw body (SHA-256 under the
	// GitHub-legacy header name that carries SHA-1 for GitHub). No secret,
	// no header. X-Request-UUID / X-Hook-UUID are not signed.
	// Doc: https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/
	// announced in https://bitbucket.org/blog/enhanced-webhook-security
	signature.Register(signature.Preset{Name: "bitbucket", DedupeKey: "{signed_digest}",
		Doc:    "https://support.atlassian.com/bitbucket-cloud/docs/manage-webhooks/",
		Scheme: signature.BodyHMAC("X-Hub-Signature", "sha256", framing.Hex, "sha256=")})

	// Gitea: X-Gitea-Signature is the bare hex HMAC-SHA256 of the payload
	// under the webhook's secret (the docs' PHP receiver compares
	// hash_hmac('sha256', $payload, $secret) with it). X-Gitea-Delivery is
	// not signed. Forgejo sends the same value in X-Gitea-Signature too.
	// Doc: Gitea's webhooks page (docs.gitea.com, "Webhooks"), as published
	// from its source at the commit cited.
	signature.Register(signature.Preset{Name: "gitea", DedupeKey: "{signed_digest}",
		Doc:    "https://github.com/go-gitea/gitea/blob/184e5121eb3d6c680409265870ff509de11ace9d/docs/content/usage/webhooks.en-us.md",
		Scheme: signature.BodyHMAC("X-Gitea-Signature", "sha256", framing.Hex, "")})

	// Gogs: X-Gogs-Signature is "the HMAC-SHA256 hex digest of the payload,
	// computed using the webhook secret"; X-Gogs-Delivery is not signed.
	// Doc: Gogs's webhooks page ("Event headers"), from its source in the
	// Gogs repository at the commit cited.
	signature.Register(signature.Preset{Name: "gogs", DedupeKey: "{signed_digest}",
		Doc:    "https://github.com/gogs/gogs/blob/7375ef300994efe30b532303d2b751d6fef901d6/docs/advancing/webhooks.mdx",
		Scheme: signature.BodyHMAC("X-Gogs-Signature", "sha256", framing.Hex, "")})

	// WooCommerce: X-WC-Webhook-Signature is "a base64 encoded HMAC-SHA256
	// hash of the payload" under the webhook's secret. X-WC-Webhook-ID and
	// X-WC-Delivery-ID are not signed.
	// Doc: https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks
	// (source: github.com/woocommerce/woocommerce-rest-api-docs
	// source/includes/wp-api-v3/_webhooks.md, "Delivery/payload")
	signature.Register(signature.Preset{Name: "woocommerce", DedupeKey: "{signed_digest}",
		Doc:    "https://woocommerce.github.io/woocommerce-rest-api-docs/#webhooks",
		Scheme: signature.BodyHMAC("X-WC-Webhook-Signature", "sha256", framing.Base64, "")})

	// Lemon Squeezy: X-Signature is the HMAC hex digest (SHA-256) of the
	// payload under the webhook's signing secret. The body carries no event
	// id (data.id is the resource's, shared by its events).
	// Doc: https://docs.lemonsqueezy.com/help/webhooks/signing-requests
	signature.Register(signature.Preset{Name: "lemonsqueezy", DedupeKey: "{signed_digest}",
		Doc:    "https://docs.lemonsqueezy.com/help/webhooks/signing-requests",
		Scheme: signature.BodyHMAC("X-Signature", "sha256", framing.Hex, "")})

	// Notion: X-Notion-Signature is "sha256=" + hex HMAC-SHA256 of the body,
	// keyed by the subscription's verification_token (the secret to
	// configure). The body's id is "Unique identifier for this webhook
	// event" and is signed; its attempt_number (1-8) changes on each retry,
	// so the body's digest would not dedupe redeliveries (event shape:
	// https://developers.notion.com/reference/webhooks/page-permissions-updated).
	// The one-time verification POST ({"verification_token": …}) is NOT
	// answered: it is unsigned, and the token in it is the HMAC key itself,
	// so Hookgate neither accepts nor forwards it; it is refused (401, no
	// signature) like any unsigned request. Capture the token once outside
	// the guarded route (e.g. a temporary `verify none` route to a private
	// sink), paste it in Notion's Verify dialog and in `secret`.
	// Doc: https://developers.notion.com/reference/webhooks
	// ("Step 2 - Verifying the subscription", "Step 3 - Validating event payloads")
	signature.Register(signature.Preset{Name: "notion", DedupeKey: "{json.id}",
		Doc:    "https://developers.notion.com/reference/webhooks",
		Scheme: signature.BodyHMAC("X-Notion-Signature", "sha256", framing.Hex, "sha256=")})

	// Help Scout: X-HelpScout-Signature is the base64 HMAC-SHA1 of the JSON
	// body under the webhook's secret key (the docs' PHP:
	// base64_encode(hash_hmac('sha1', $data, KEY, true))).
	// Doc: https://developer.helpscout.com/webhooks/
	signature.Register(signature.Preset{Name: "helpscout", DedupeKey: "{signed_digest}",
		Doc:    "https://developer.helpscout.com/webhooks/",
		Scheme: signature.BodyHMAC("X-HelpScout-Signature", "sha1", framing.Base64, "")})

	// Segment Webhooks destination: with a sharedSecret, X-Signature is the
	// hex HMAC-SHA1 of the JSON body. Webhooks (Actions) with batching on
	// signs only the first event of the batch (Twilio support article
	// 51193799782171): such a batch does not verify as a body signature.
	// Doc: https://segment.com/docs/connections/destinations/catalog/webhooks/#authentication
	signature.Register(signature.Preset{Name: "segment", DedupeKey: "{signed_digest}",
		Doc:    "https://segment.com/docs/connections/destinations/catalog/webhooks/#authentication",
		Scheme: signature.BodyHMAC("X-Signature", "sha1", framing.Hex, "")})

	// Customer.io reporting webhooks: X-CIO-Signature is the hex
	// HMAC-SHA256, under the webhook signing key, of "v0:" + X-CIO-Timestamp
	// + ":" + body. The body's event_id is signed. Customer.io documents no
	// replay window: the default one applies.
	// Doc: https://customer.io/docs/api/webhooks/#section/Securely-Verifying-Requests
	signature.Register(signature.Preset{Name: "customerio", DedupeKey: "{json.event_id}", Tolerance: signature.DefaultTolerance,
		Doc:    "https://customer.io/docs/api/webhooks/#section/Securely-Verifying-Requests",
		Scheme: signature.TimedHMAC("X-CIO-Signature", "", "v0:{timestamp}:{body}", "X-CIO-Timestamp")})

	// Airtable: the notification ping ({"base":{"id"},"webhook":{"id"},
	// "timestamp"}) carries X-Airtable-Content-MAC: "hmac-sha256=" + hex
	// HMAC-SHA256 of the body, keyed by the base64-decoded macSecretBase64
	// that "create a webhook" returns once: configure that value as the
	// secret. The timestamp is in the body (ISO 8601), not checked.
	// Doc: https://airtable.com/developers/web/api/webhooks-overview
	// (macSecretBase64: https://airtable.com/developers/web/api/create-a-webhook)
	airtable := signature.BodyHMAC("X-Airtable-Content-MAC", "sha256", framing.Hex, "hmac-sha256=").WithKeyFormat(keys.Whsec)
	signature.Register(signature.Preset{Name: "airtable", DedupeKey: "{signed_digest}",
		Doc:    "https://airtable.com/developers/web/api/webhooks-overview",
		Scheme: airtable})
}
