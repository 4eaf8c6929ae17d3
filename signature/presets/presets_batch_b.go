package presets

import (
	"github.com/hookgate/hookgate/signature"
	"strings"
	"time"

	"github.com/hookgate/hookgate/signature/framing"
)

// Payment, video and identity senders added for issue 19 (batch B). Each
// cites the provider's own page; where that page leaves a detail out, the
// comment says where it comes from. None of these senders documents a cap
// on its payloads, so max_body stays at DefaultMaxBody.
//
// Left out: Paystack. No page of paystack.com describing its webhook
// signature could be found; Paystack's own snippet repository
// (PaystackOSS/doc-code-snippets) shows x-paystack-signature as the hex
// HMAC-SHA512 of the body under the secret key in one snippet and a
// "t=…,v1=<kid>:<hex>" SHA-512 scheme over "t.body" in another, so the
// scheme is not settled by a source of its own.
func init() {
	for _, p := range []signature.Preset{
		// Razorpay: X-Razorpay-Signature is the HMAC-SHA256 of the raw body
		// under the webhook secret (hex, as Razorpay's SDKs write it).
		// x-razorpay-event-id is not signed: the key is the body's digest.
		// https://razorpay.com/docs/webhooks/validate-test/
		{Name: "razorpay", DedupeKey: "{signed_digest}",
			Doc:    "https://razorpay.com/docs/webhooks/validate-test/",
			Scheme: signature.BodyHMAC("X-Razorpay-Signature", "sha256", framing.Hex, "")},
		// Coinbase Commerce: X-CC-Webhook-Signature is the SHA256 HMAC of
		// the raw payload under the shared secret (hex, as in Coinbase's
		// Ruby reference implementation the page points to). The body's id
		// is the webhook event's uuid and is signed; attempt_number changes
		// on each retry, so the body's digest would not be.
		// https://docs.cdp.coinbase.com/commerce/api-arcitecture/webhooks-security
		// https://docs.cdp.coinbase.com/commerce/api-arcitecture/webhooks-fields
		{Name: "coinbase_commerce", DedupeKey: "{json.id}",
			Doc:    "https://docs.cdp.coinbase.com/commerce/api-arcitecture/webhooks-security",
			Scheme: signature.BodyHMAC("X-CC-Webhook-Signature", "sha256", framing.Hex, "")},
		// GoCardless: Webhook-Signature is the hex HMAC-SHA256 of the body
		// under the webhook endpoint's secret. A webhook batches several
		// events, so the key is the body's digest. GoCardless's API
		// reference: "Webhooks with an invalid signature must return a 498
		// Token Invalid error".
		// https://developer.gocardless.com/getting-started/api/staying-up-to-date-with-webhooks
		{Name: "gocardless", DedupeKey: "{signed_digest}", FailureStatus: 498,
			Doc:    "https://developer.gocardless.com/getting-started/api/staying-up-to-date-with-webhooks",
			Scheme: signature.BodyHMAC("Webhook-Signature", "sha256", framing.Hex, "")},
		// Checkout.com: Cko-Signature is the hex (Base16) HMAC-SHA256 of the
		// raw body under the key set in the workflow's webhook action.
		// https://www.checkout.com/docs/developer-resources/webhooks/manage-webhooks/set-up-your-webhook-receiver
		{Name: "checkout_com", DedupeKey: "{signed_digest}",
			Doc:    "https://www.checkout.com/docs/developer-resources/webhooks/manage-webhooks/set-up-your-webhook-receiver",
			Scheme: signature.BodyHMAC("Cko-Signature", "sha256", framing.Hex, "")},
		// Revolut: Revolut-Signature is "v1=<hex>", several comma-separated
		// while signing secrets rotate, the HMAC-SHA256 of
		// "v1.{Revolut-Request-Timestamp}.{body}"; the timestamp is in unix
		// milliseconds, within 5 minutes of now. The bodies carry no event
		// id: the key is the signed content's digest.
		// https://developer.revolut.com/docs/guides/manage-accounts/webhooks/verify-the-payload-signature
		// https://developer.revolut.com/docs/guides/accept-payments/tutorials/work-with-webhooks/verify-the-payload-signature
		{Name: "revolut", DedupeKey: "{signed_digest}", Tolerance: 5 * time.Minute,
			Doc: "https://developer.revolut.com/docs/guides/manage-accounts/webhooks/verify-the-payload-signature",
			Scheme: signature.HMAC(signature.Fields{Header: "Revolut-Signature", Algorithm: "sha256", Encoding: framing.Hex,
				SignedContent: "v1.{timestamp}.{body}", TimestampHeader: "Revolut-Request-Timestamp", TimestampFormat: signature.UnixMillis}).
				WithFraming(framing.KV{Sep: ',', SigKey: "v1"})},
		// Mux: "Mux-Signature: t=<unix seconds>,v1=<hex>", the HMAC-SHA256
		// of "{t}.{body}"; Mux's SDKs allow 5 minutes.
		// https://docs.mux.com/core/verify-webhook-signatures
		{Name: "mux", DedupeKey: "{signed_digest}", Tolerance: 5 * time.Minute,
			Doc:    "https://docs.mux.com/core/verify-webhook-signatures",
			Scheme: signature.ListHMAC("Mux-Signature", ',', "t", "v1", "{timestamp}.{body}")},
		// Heroku app webhooks: Heroku-Webhook-Hmac-SHA256 is the HMAC-SHA256
		// of the body under the subscription's secret, base64.
		// Heroku-Webhook-Id is not signed, and the body's webhook_metadata
		// changes per attempt: the key is the body's digest.
		// https://devcenter.heroku.com/articles/app-webhooks
		// https://devcenter.heroku.com/articles/addon-webhooks
		{Name: "heroku", DedupeKey: "{signed_digest}",
			Doc:    "https://devcenter.heroku.com/articles/app-webhooks",
			Scheme: signature.BodyHMAC("Heroku-Webhook-Hmac-SHA256", "sha256", framing.Base64, "")},
		// WorkOS: "WorkOS-Signature: t=<unix ms>, v1=<hex>", the HMAC-SHA256
		// of "{t}.{body}"; WorkOS's SDKs allow 3 minutes. The body's id is
		// the event's, and the body is signed.
		// https://workos.com/docs/events/data-syncing/webhooks
		{Name: "workos", DedupeKey: "{json.id}", Tolerance: 3 * time.Minute,
			Summary: signature.Summary{Header: "WorkOS-Signature: t=<ms>, v1=<hex>"},
			Doc:     "https://workos.com/docs/events/data-syncing/webhooks",
			Scheme:  workosScheme()},
	} {
		signature.Register(p)
	}
}

// workosScheme is Stripe's layout with a millisecond timestamp, written as
// WorkOS writes it: "t=…, v1=…" (its Ruby SDK splits on ", ").
func workosScheme() signature.Scheme {
	return signature.HMAC(signature.Fields{Header: "WorkOS-Signature", Algorithm: "sha256", Encoding: framing.Hex,
		SignedContent: "{timestamp}.{body}", TimestampFormat: signature.UnixMillis}).
		WithFraming(commaSpaceKV{framing.KV{Sep: ',', TSKey: "t", SigKey: "v1"}})
}

// commaSpaceKV is a key=value list written with ", " between pairs, and
// one signature (WorkOS documents one); it parses as framing.KV, which
// trims the spaces.
type commaSpaceKV struct{ framing.KV }

func (f commaSpaceKV) Format(ts string, sigs []string) string {
	return strings.ReplaceAll(f.KV.Format(ts, sigs[:1]), string(f.Sep), string(f.Sep)+" ")
}

func (commaSpaceKV) Multi() bool { return false }
