package signature

import (
	"net/http"

	"github.com/hookgate/hookgate/signature/handshake"
	"github.com/hookgate/hookgate/signature/keys"
)

// Reply is the answer to a handshake (see package handshake).
type Reply = handshake.Reply

// Handshaker is implemented by the Verifiers of presets whose senders check
// the endpoint.
type Handshaker = handshake.Handshaker

// handshakeVerifier is a Verifier that also answers handshakes.
type handshakeVerifier struct {
	Verifier
	hs   *handshake.Handshake
	keys handshake.Keys
}

func (v *handshakeVerifier) Handshake(r *http.Request, body []byte, verified bool) *Reply {
	return v.hs.Answer(&v.keys, r, body, verified)
}

// withHandshake wraps v when the scheme has a handshake.
func withHandshake(v Verifier, sc *scheme, vk keys.Verifier, verifyToken string) Verifier {
	if sc.handshake == nil {
		return v
	}
	hv := &handshakeVerifier{Verifier: v, hs: sc.handshake, keys: handshake.Keys{VerifyToken: []byte(verifyToken)}}
	if hk, ok := vk.(*keys.HMAC); ok {
		if signers := hk.Signers(); len(signers) > 0 {
			first := signers[0]
			hv.keys.MAC = func(msg []byte) []byte { mac, _ := first.Sign(msg); return mac }
		}
	}
	return hv
}
