package delivery

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets" // the named schemes Configs resolve
)

// Re-signing: with Policy.Sign set, every delivery attempt carries Hookgate's
// own signature, made at send time, so an upstream app verifies one scheme
// (typically Standard Webhooks) whatever the sender, and a message delivered
// late from the queue is not refused for an old provider timestamp.

// ReceivedAtHeader carries, on re-signed deliveries, when Hookgate received
// the webhook (unix seconds). It is informative: the signature does not
// cover it.
const ReceivedAtHeader = "Webhook-Received-At"

// maxIDLen bounds a dedupe key used as it is for the message id.
const maxIDLen = 200

// provisionSign resolves the placeholders of the signing secrets and keys, and checks
// that they make a signer. The resolved values stay in memory only: they are
// neither stored with messages nor part of the JSON config.
func (p *Policy) provisionSign() error {
	p.signer, p.signSecrets, p.signKeys = nil, nil, nil // a copied policy may carry another's
	if p.Sign == nil {
		return nil
	}
	if err := p.Sign.Validate(); err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	r := p.Sign.Resolved()
	s, err := r.NewSigner(r.Secrets)
	if err != nil {
		return fmt.Errorf("sign: %w", err)
	}
	p.signer, p.signSecrets, p.signKeys = s, r.Secrets, r.Keys
	return nil
}

// signConfig is Sign with its keys resolved.
func (p *Policy) signConfig() signature.Config {
	c := *p.Sign
	c.Keys = p.signKeys
	return c
}

// PublicKeys are the public keys (whpk_…) of the Ed25519 keys that sign
// this policy's deliveries as Standard Webhooks v1a, for receivers to pin;
// none without keys. The private keys are never shown.
func (p *Policy) PublicKeys() []string {
	if p.Sign == nil {
		return nil
	}
	pub, _ := p.signConfig().PublicKeys() // checked by provisionSign
	return pub
}

// sign signs one attempt of m in req, at now, with the signer provisionSign
// built (building it per attempt was ~4 % of an outbound delivery's CPU).
func (p *Policy) sign(req *http.Request, m *queue.Message, now time.Time) error {
	if p.Sign == nil {
		return nil
	}
	if p.signer == nil {
		return errors.New("sign: not provisioned")
	}
	req.Header.Set(ReceivedAtHeader, strconv.FormatInt(m.ReceivedAt.Unix(), 10))
	return p.signer.Sign(req.Header, req.URL, MessageID(m), m.Body, now)
}

// MessageID is the id a re-signed delivery of m carries (webhook-id): its
// dedupe key, which stays the same across the sender's retries, or its
// queue id without one. A key that is long or not a plain token is replaced
// by a digest of it, so it always makes a valid header value.
func MessageID(m *queue.Message) string {
	k := m.DedupeKey
	switch {
	case k == "":
		return m.ID
	case len(k) <= maxIDLen && plainToken(k):
		return k
	}
	sum := sha256.Sum256([]byte(k))
	return "key_" + hex.EncodeToString(sum[:16])
}

// plainToken reports whether s is printable ASCII without spaces.
func plainToken(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] > '~' {
			return false
		}
	}
	return true
}
