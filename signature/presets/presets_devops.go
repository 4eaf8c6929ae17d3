package presets

import (
	"github.com/hookgate/hookgate/signature"
	"github.com/hookgate/hookgate/signature/framing"
)

// Presets for developer-tool senders, added for issue 19. Each cites the
// provider's own page; see docs/presets.md for what each signature covers.
func init() {
	// CircleCI: "circleci-signature: v1=<hex>", the HMAC-SHA256 of the body
	// under the webhook's secret token; only v1 is sent today, and the
	// header is a comma-separated list so that other versions can join.
	// The body's id is the event's, and the body is signed.
	// Docs: https://circleci.com/docs/webhooks/ ; the algorithm as stated
	// by CircleCI staff: https://discuss.circleci.com/t/circleci-webhook-secret-token-decryption-or-validation/40979
	signature.Register(signature.Preset{Name: "circleci", DedupeKey: "{json.id}",
		Doc:    "https://circleci.com/docs/webhooks/",
		Scheme: signature.ListHMAC("Circleci-Signature", ',', "", "v1", "{body}")})
	// Sentry integration platform: Sentry-Hook-Signature is the hex
	// HMAC-SHA256 of the body under the integration's client secret.
	// Sentry-Hook-Timestamp and Request-ID are not signed: no replay window
	// can be checked, and the key is the signed body's digest.
	signature.Register(signature.Preset{Name: "sentry", DedupeKey: "{signed_digest}",
		Doc:    "https://docs.sentry.io/integrations/integration-platform/webhooks/",
		Scheme: signature.BodyHMAC("Sentry-Hook-Signature", "sha256", framing.Hex, "")})
}
