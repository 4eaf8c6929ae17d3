package presets

import (
	"errors"
	"net/http"
	"net/url"
	"time"

	"github.com/hookgate/hookgate/signature"
	"github.com/hookgate/hookgate/signature/adyen"
	"github.com/hookgate/hookgate/signature/awssns"
	"github.com/hookgate/hookgate/signature/ext"
	"github.com/hookgate/hookgate/signature/microsoft"
	"github.com/hookgate/hookgate/signature/oidc"
	"github.com/hookgate/hookgate/signature/plaid"
)

// Senders whose schemes are not a header HMAC: their verifiers are in
// sub-packages. Those signed with the sender's private key (SNS, Pub/Sub,
// Plaid) cannot be signed by Hookgate; Adyen and Graph carry their
// signature or token inside the body, which a signer does not change.
func init() {
	signature.Register(signature.Preset{Name: "aws_sns", Summary: signature.Summary{Header: "in the body: Signature, SigningCertURL (SNS JSON)", Algorithm: "RSA SHA1/SHA256 (SignatureVersion 1/2), X.509 from sns.<region>.amazonaws.com", Signed: "the message's canonical fields"}, Handshake: "SubscriptionConfirmation", DedupeKey: "{json.MessageId}", Tolerance: time.Hour,
		Doc: "https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html",
		Scheme: signature.External(signature.ExternalSpec{Covers: true, Timed: true, Fields: []string{"account"}, Required: []string{"account"},
			NoSign: "AWS SNS signs with Amazon's private key: its messages cannot be signed here",
			Verifier: func(c signature.Config, _ []string, tol time.Duration) (ext.Verifier, error) {
				return awssns.New([]string{c.Account}, tol)
			}})})
	signature.Register(signature.Preset{Name: "gcp_pubsub", Summary: signature.Summary{Header: "Authorization: Bearer <OIDC JWT>", Algorithm: "RS256, Google's JWKS; audience checked", Signed: "the token's claims, not the body"}, DedupeKey: "{json.message.messageId}", Tolerance: time.Hour,
		Doc: "https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions",
		Scheme: signature.External(signature.ExternalSpec{Timed: true, Fields: []string{"audience", "account"}, Required: []string{"audience"},
			NoSign: "Pub/Sub push tokens are signed with Google's private key: they cannot be signed here",
			Verifier: func(c signature.Config, _ []string, tol time.Duration) (ext.Verifier, error) {
				return oidc.NewPubSub(c.Audience, c.Account, tol)
			}})})
	signature.Register(signature.Preset{Name: "ms_graph", Summary: signature.Summary{Header: "in the body: clientState", Algorithm: "shared token", Signed: "—"}, Handshake: "validationToken", DedupeKey: "{body_sha256}",
		Doc: "https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks",
		Scheme: signature.External(signature.ExternalSpec{Secret: "the subscription's clientState",
			NoSign: "Graph's clientState is inside the body, which a signer cannot change",
			Verifier: func(_ signature.Config, s []string, _ time.Duration) (ext.Verifier, error) {
				return microsoft.NewGraph(s), nil
			}})})
	signature.Register(signature.Preset{Name: "azure_event_grid", Summary: signature.Summary{Header: "?code=<secret> (or a header)", Algorithm: "shared key", Signed: "—"}, Handshake: "SubscriptionValidation", DedupeKey: "{json.0.id}",
		Doc: "https://learn.microsoft.com/en-us/azure/event-grid/webhook-event-delivery",
		Scheme: signature.External(signature.ExternalSpec{Secret: "the key of the endpoint URL's code parameter (or of the header set by a delivery property)", Header: true,
			Verifier: func(c signature.Config, s []string, _ time.Duration) (ext.Verifier, error) {
				return microsoft.NewEventGrid(s, c.Header), nil
			},
			Signer: func(c signature.Config, s []string) (signature.Signer, error) {
				if c.Header == "" {
					return nil, c.Errorf("the key is in the URL's code parameter: put it in the upstream URL, or set header to send it in a header")
				}
				return tokenSigner{header: http.CanonicalHeaderKey(c.Header), token: s[0]}, nil
			}})})
	signature.Register(signature.Preset{Name: "adyen", Summary: signature.Summary{Header: "in the body: additionalData.hmacSignature (each item)", Algorithm: "HMAC-SHA256, hex key", Signed: "8 fields of each notification item"}, DedupeKey: "{signed_digest}",
		Doc: "https://docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures",
		Scheme: signature.External(signature.ExternalSpec{Secret: "the hex HMAC key of the Customer Area", Covers: true,
			NoSign: "Adyen puts its signatures inside each notification item, which a signer cannot change (adyen.Sign signs an item)",
			Verifier: func(_ signature.Config, s []string, _ time.Duration) (ext.Verifier, error) {
				return adyen.New(s)
			}})})
	signature.Register(signature.Preset{Name: "plaid", Summary: signature.Summary{Header: "Plaid-Verification: <ES256 JWT>", Algorithm: "ECDSA P-256, key by kid from Plaid", Signed: "request_body_sha256 claim (the body)"}, DedupeKey: "{signed_digest}", Tolerance: plaid.MaxAge,
		Doc: "https://plaid.com/docs/api/webhooks/webhook-verification/",
		Scheme: signature.External(signature.ExternalSpec{Secret: "<client_id>:<secret>, to fetch Plaid's verification keys", Covers: true, Timed: true,
			Fields: []string{"environment"},
			NoSign: "Plaid signs with its private key: its webhooks cannot be signed here",
			Verifier: func(c signature.Config, s []string, tol time.Duration) (ext.Verifier, error) {
				return plaid.New(s[0], c.Environment, tol)
			}})})
}

// tokenSigner sends a shared token in a header.
type tokenSigner struct{ header, token string }

func (s tokenSigner) Sign(h http.Header, _ *url.URL, _ string, _ []byte, _ time.Time) error {
	if s.token == "" {
		return errors.New("signature: empty token")
	}
	h.Set(s.header, s.token)
	return nil
}
