package signature

import (
	"crypto/sha256"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/keys"
	"github.com/hookgate/hookgate/signature/mailgun"
)

// mailgunVerifier verifies Mailgun's signature inside the body (see package
// mailgun): HMAC-SHA256 of timestamp+token, hex, with a timestamp in unix
// seconds checked against the tolerance.
type mailgunVerifier struct {
	keys keys.Verifier
	tol  time.Duration
}

func (v *mailgunVerifier) Verify(r *http.Request, body []byte, now time.Time) error {
	_, err := v.VerifyDigest(r, body, now)
	return err
}

// VerifyDigest returns the digest of timestamp+token, what Mailgun signs,
// whatever the body form: a key built from it is the token's, so a captured
// token cannot carry other event data.
func (v *mailgunVerifier) VerifyDigest(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	f, err := mailgun.Parse(r.Header, body)
	if err != nil {
		return nil, fail(ReasonMalformed, "%v", err)
	}
	if f.Signature == "" || f.Timestamp == "" || f.Token == "" {
		return nil, fail(ReasonMissing, "body lacks signature, timestamp or token")
	}
	t, ok := UnixSeconds.Parse(f.Timestamp)
	if !ok {
		return nil, fail(ReasonMalformed, "timestamp cannot be parsed")
	}
	var sigs [][]byte
	for _, s := range []string{f.Signature, f.ParentSignature} {
		if b, ok := framing.Hex.Decode(nil, s); ok && len(b) == v.keys.SigLen() {
			sigs = append(sigs, b)
		}
	}
	if len(sigs) == 0 {
		return nil, fail(ReasonMalformed, "signature is not hex sha-256")
	}
	signed := f.Signed()
	if !v.keys.Verify(signed, sigs) {
		return nil, fail(ReasonMismatch, "no configured secret matches")
	}
	if err := checkWindow(now, t, v.tol); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(signed)
	return sum[:], nil
}
