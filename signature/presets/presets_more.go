package presets

import (
	"github.com/hookgate/hookgate/signature"
	"github.com/hookgate/hookgate/signature/framing"
)

// More senders whose schemes are an HMAC of the body (or of timestamp and
// body) or a shared token, each with the page documenting it. Left out for
// want of a documented scheme found: Viber's callback signature, Close's
// webhook signature, Buildkite's X-Buildkite-Signature (its token variant
// is below).
func init() {
	hexBody := func(h, alg, prefix string) signature.Scheme { return signature.BodyHMAC(h, alg, framing.Hex, prefix) }
	b64Body := func(h string) signature.Scheme { return signature.BodyHMAC(h, "sha256", framing.Base64, "") }
	for _, p := range []signature.Preset{
		// Persona-Signature: t=<ts>,v1=<hex HMAC-SHA256 of "t.body">; during a
		// secret rotation two such groups, separated by a space.
		{Name: "persona", DedupeKey: "{json.data.id}", Tolerance: signature.DefaultTolerance,
			Doc:    "https://docs.withpersona.com/v2022-09-01/docs/best-practices",
			Scheme: signature.ListHMAC("Persona-Signature", ',', "t", "v1", "{timestamp}.{body}").WithFraming(framing.SpacedKV{KV: framing.KV{Sep: ',', TSKey: "t", SigKey: "v1"}})},
		{Name: "veriff", DedupeKey: "{signed_digest}",
			Doc:    "https://devdocs.veriff.com/docs/hmac-authentication-and-endpoint-security",
			Scheme: hexBody("X-Hmac-Signature", "sha256", "")},
		{Name: "calcom", DedupeKey: "{signed_digest}",
			Doc:    "https://cal.com/docs/core-features/webhooks",
			Scheme: hexBody("X-Cal-Signature-256", "sha256", "")},
		{Name: "ashby", DedupeKey: "{signed_digest}",
			Doc:    "https://developers.ashbyhq.com/docs/authenticating-webhooks",
			Scheme: hexBody("Ashby-Signature", "sha256", "sha256=")},
		// Greenhouse: "Signature: sha256 <hex>".
		{Name: "greenhouse", DedupeKey: "{signed_digest}",
			Doc:    "https://developers.greenhouse.io/onboarding_webhooks.html",
			Scheme: hexBody("Signature", "sha256", "sha256 ")},
		{Name: "line", DedupeKey: "{signed_digest}",
			Doc:    "https://developers.line.biz/en/docs/messaging-api/verify-webhook-signature/",
			Scheme: b64Body("X-Line-Signature")},
		// Telegram sends setWebhook's secret_token as is; it covers nothing.
		{Name: "telegram", DedupeKey: "{json.update_id}",
			Doc:    "https://core.telegram.org/bots/api#setwebhook",
			Scheme: signature.Token("X-Telegram-Bot-Api-Secret-Token")},
		{Name: "launchdarkly", DedupeKey: "{json._id}",
			Doc:    "https://launchdarkly.com/docs/home/infrastructure/webhooks",
			Scheme: hexBody("X-Ld-Signature", "sha256", "")},
		// Buildkite's token variant: X-Buildkite-Token holds the webhook's token.
		{Name: "buildkite", DedupeKey: "{body_sha256}",
			Doc:    "https://buildkite.com/docs/apis/webhooks",
			Scheme: signature.Token("X-Buildkite-Token")},
		// EasyPost: "hmac-sha256-hex=<hex>"; its libraries NFKD-normalise the
		// secret, which leaves an ASCII secret unchanged.
		{Name: "easypost", DedupeKey: "{json.id}",
			Doc:    "https://docs.easypost.com/guides/webhooks-guide",
			Scheme: hexBody("X-Hmac-Signature", "sha256", "hmac-sha256-hex=")},
		{Name: "aftership", DedupeKey: "{signed_digest}",
			Doc:    "https://www.aftership.com/docs/tracking/webhook/webhook-signature",
			Scheme: b64Body("Aftership-Hmac-Sha256")},
		// Sendbird signs with the master API token.
		{Name: "sendbird", DedupeKey: "{signed_digest}",
			Doc:    "https://sendbird.com/docs/chat/platform-api/v3/webhook/webhook-overview",
			Scheme: hexBody("X-Sendbird-Signature", "sha256", "")},
		// Pusher: X-Pusher-Key names the token whose secret signed the body.
		{Name: "pusher", DedupeKey: "{signed_digest}",
			Doc:    "https://pusher.com/docs/channels/server_api/webhooks/",
			Scheme: hexBody("X-Pusher-Signature", "sha256", "")},
		{Name: "webex", DedupeKey: "{signed_digest}",
			Doc:    "https://developer.webex.com/docs/receive-and-verify-webhooks",
			Scheme: hexBody("X-Spark-Signature", "sha1", "")},
		// Attio's Idempotency-Key header is not signed.
		{Name: "attio", DedupeKey: "{signed_digest}",
			Doc:    "https://docs.attio.com/rest-api/how-to/webhooks",
			Scheme: hexBody("Attio-Signature", "sha256", "")},
		{Name: "tally", DedupeKey: "{json.eventId}",
			Doc:    "https://tally.so/help/webhooks",
			Scheme: b64Body("Tally-Signature")},
		{Name: "clickup", DedupeKey: "{signed_digest}",
			Doc:    "https://developer.clickup.com/docs/webhooksignature",
			Scheme: hexBody("X-Signature", "sha256", "")},
		{Name: "logto", DedupeKey: "{signed_digest}",
			Doc:    "https://docs.logto.io/developers/webhooks/secure-webhooks",
			Scheme: hexBody("Logto-Signature-Sha-256", "sha256", "")},
	} {
		signature.Register(p)
	}
}
