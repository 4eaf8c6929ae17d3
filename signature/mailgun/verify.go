package mailgun

import (
	"crypto/sha256"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/signature/ext"
	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/header"
	"github.com/hookgate/hookgate/signature/keys"
)

// Verifier verifies Mailgun's signature inside the body: HMAC-SHA256 of
// timestamp+token, hex, with a timestamp in unix seconds checked against
// the tolerance. It is an ext.Verifier.
type Verifier struct {
	Keys keys.Verifier
	Tol  time.Duration // < 0: no window check
}

// Verify returns the digest of timestamp+token, what Mailgun signs,
// whatever the body form: a key built from it is the token's, so a captured
// token cannot carry other event data. It fails with an *ext.Error.
func (v *Verifier) Verify(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	f, err := Parse(r.Header, body)
	if err != nil {
		return nil, ext.Fail(ext.Malformed, "%v", err)
	}
	if f.Signature == "" || f.Timestamp == "" || f.Token == "" {
		return nil, ext.Fail(ext.Missing, "body lacks signature, timestamp or token")
	}
	t, ok := header.UnixSeconds.Parse(f.Timestamp)
	if !ok {
		return nil, ext.Fail(ext.Malformed, "timestamp cannot be parsed")
	}
	var sigs [][]byte
	for _, s := range []string{f.Signature, f.ParentSignature} {
		if b, ok := framing.Hex.Decode(nil, s); ok && len(b) == v.Keys.SigLen() {
			sigs = append(sigs, b)
		}
	}
	if len(sigs) == 0 {
		return nil, ext.Fail(ext.Malformed, "signature is not hex sha-256")
	}
	signed := f.Signed()
	if !v.Keys.Verify(signed, sigs) {
		return nil, ext.Fail(ext.Mismatch, "no configured secret matches")
	}
	if err := header.CheckWindow(now, t, v.Tol); err != nil {
		return nil, err
	}
	sum := sha256.Sum256(signed)
	return sum[:], nil
}
