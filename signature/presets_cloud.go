package signature

import (
	"errors"
	"net/http"
	"net/url"
	"time"

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
	register(Preset{Name: "aws_sns", Summary: Summary{Header: "in the body: Signature, SigningCertURL (SNS JSON)", Algorithm: "RSA SHA1/SHA256 (SignatureVersion 1/2), X.509 from sns.<region>.amazonaws.com", Signed: "the message's canonical fields"}, Handshake: "SubscriptionConfirmation", DedupeKey: "{json.MessageId}", Tolerance: time.Hour,
		Doc: "https://docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html",
		spec: external1(&external{covers: true, timed: true, fields: []string{"account"}, required: []string{"account"},
			noSign: "AWS SNS signs with Amazon's private key: its messages cannot be signed here",
			verifier: func(c Config, _ []string, tol time.Duration) (ext.Verifier, error) {
				return awssns.New([]string{c.Account}, tol)
			}})})
	register(Preset{Name: "gcp_pubsub", Summary: Summary{Header: "Authorization: Bearer <OIDC JWT>", Algorithm: "RS256, Google's JWKS; audience checked", Signed: "the token's claims, not the body"}, DedupeKey: "{json.message.messageId}", Tolerance: time.Hour,
		Doc: "https://cloud.google.com/pubsub/docs/authenticate-push-subscriptions",
		spec: external1(&external{timed: true, fields: []string{"audience", "account"}, required: []string{"audience"},
			noSign: "Pub/Sub push tokens are signed with Google's private key: they cannot be signed here",
			verifier: func(c Config, _ []string, tol time.Duration) (ext.Verifier, error) {
				return oidc.NewPubSub(c.Audience, c.Account, tol)
			}})})
	register(Preset{Name: "ms_graph", Summary: Summary{Header: "in the body: clientState", Algorithm: "shared token", Signed: "—"}, Handshake: "validationToken", DedupeKey: "{body_sha256}",
		Doc: "https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks",
		spec: external1(&external{secret: "the subscription's clientState",
			noSign: "Graph's clientState is inside the body, which a signer cannot change",
			verifier: func(_ Config, s []string, _ time.Duration) (ext.Verifier, error) {
				return microsoft.NewGraph(s), nil
			}})})
	register(Preset{Name: "azure_event_grid", Summary: Summary{Header: "?code=<secret> (or a header)", Algorithm: "shared key", Signed: "—"}, Handshake: "SubscriptionValidation", DedupeKey: "{json.0.id}",
		Doc: "https://learn.microsoft.com/en-us/azure/event-grid/webhook-event-delivery",
		spec: external1(&external{secret: "the key of the endpoint URL's code parameter (or of the header set by a delivery property)", header: true,
			verifier: func(c Config, s []string, _ time.Duration) (ext.Verifier, error) {
				return microsoft.NewEventGrid(s, c.Header), nil
			},
			signer: func(c Config, s []string) (Signer, error) {
				if c.Header == "" {
					return nil, c.errorf("the key is in the URL's code parameter: put it in the upstream URL, or set header to send it in a header")
				}
				return tokenSigner{header: http.CanonicalHeaderKey(c.Header), token: s[0]}, nil
			}})})
	register(Preset{Name: "adyen", Summary: Summary{Header: "in the body: additionalData.hmacSignature (each item)", Algorithm: "HMAC-SHA256, hex key", Signed: "8 fields of each notification item"}, DedupeKey: "{signed_digest}",
		Doc: "https://docs.adyen.com/development-resources/webhooks/secure-webhooks/verify-hmac-signatures",
		spec: external1(&external{secret: "the hex HMAC key of the Customer Area", covers: true,
			noSign: "Adyen puts its signatures inside each notification item, which a signer cannot change (adyen.Sign signs an item)",
			verifier: func(_ Config, s []string, _ time.Duration) (ext.Verifier, error) {
				return adyen.New(s)
			}})})
	register(Preset{Name: "plaid", Summary: Summary{Header: "Plaid-Verification: <ES256 JWT>", Algorithm: "ECDSA P-256, key by kid from Plaid", Signed: "request_body_sha256 claim (the body)"}, DedupeKey: "{signed_digest}", Tolerance: plaid.MaxAge,
		Doc: "https://plaid.com/docs/api/webhooks/webhook-verification/",
		spec: external1(&external{secret: "<client_id>:<secret>, to fetch Plaid's verification keys", covers: true, timed: true,
			fields: []string{"environment"},
			noSign: "Plaid signs with its private key: its webhooks cannot be signed here",
			verifier: func(c Config, s []string, tol time.Duration) (ext.Verifier, error) {
				return plaid.New(s[0], c.Environment, tol)
			}})})
}

func external1(e *external) spec { return spec{prim: primExternal, ext: e} }

// tokenSigner sends a shared token in a header.
type tokenSigner struct{ header, token string }

func (s tokenSigner) Sign(h http.Header, _ *url.URL, _ string, _ []byte, _ time.Time) error {
	if s.token == "" {
		return errors.New("signature: empty token")
	}
	h.Set(s.header, s.token)
	return nil
}
