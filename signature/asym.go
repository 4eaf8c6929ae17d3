package signature

import (
	"crypto/ed25519"
	"net/http"
	"net/url"
	"time"

	"github.com/hookgate/hookgate/signature/header"
	"github.com/hookgate/hookgate/signature/keys"
)

// Asymmetric Standard Webhooks: Config.Keys sign with Ed25519 as "v1a",
// over the same "{msg_id}.{timestamp}.{payload}" as v1's HMAC, in the same
// space-separated webhook-signature header, so one request may carry both
// (https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md,
// "Signature scheme" and "Webhook headers").

// newAsymVerifier verifies v1a with the public keys pub, and v1 with
// secrets when there are any.
func (c Config) newAsymVerifier(sc *scheme, secrets, pub []string, tol time.Duration) (Verifier, error) {
	asc, err := c.resolveAsym()
	if err != nil {
		return nil, err
	}
	vk, err := keys.Ed25519Public(pub)
	if err != nil {
		return nil, c.errorf("%v", err)
	}
	v := Verifier(asc.verifier(vk, tol))
	if len(secrets) == 0 {
		return v, nil
	}
	hk, err := sc.verifyKeys(secrets)
	if err != nil {
		return nil, c.errorf("%v", err)
	}
	return eitherVerifier{sc.verifier(hk, tol), v}, nil
}

// newAsymSigner signs v1a with each private key priv, after v1 with each
// secret when there are any.
func (c Config) newAsymSigner(sc *scheme, secrets, priv []string) (Signer, error) {
	asc, err := c.resolveAsym()
	if err != nil {
		return nil, err
	}
	ks := make([]keys.Signer, 0, len(priv))
	for i, k := range priv {
		sk, err := keys.Ed25519Private(k)
		if err != nil {
			return nil, c.errorf("key #%d: %v", i+1, err)
		}
		ks = append(ks, sk)
	}
	s := asc.signer(ks)
	if len(secrets) == 0 {
		return s, nil
	}
	hs, err := sc.signKeys(secrets)
	if err != nil {
		return nil, c.errorf("%v", err)
	}
	return bothSigner{sc.signer(hs), s}, nil
}

// PublicKeys returns the public keys, as whpk_<base64>, of the private keys
// that sign for c; c is resolved (see Resolved). It is what a receiver pins,
// and all that may be shown of Keys.
func (c Config) PublicKeys() ([]string, error) {
	var out []string
	for i, k := range nonEmpty(c.Keys) {
		priv, err := keys.ParseEd25519Private(k)
		if err != nil {
			return nil, c.errorf("key #%d: %v", i+1, err)
		}
		out = append(out, keys.WhpkOf(priv.Public().(ed25519.PublicKey)))
	}
	return out, nil
}

// eitherVerifier accepts what either of its verifiers accepts (v1 with the
// secrets, v1a with the keys); on failure it reports the reason that went
// furthest.
type eitherVerifier [2]Verifier

func (e eitherVerifier) Verify(r *http.Request, body []byte, now time.Time) error {
	_, err := e.VerifyDigest(r, body, now)
	return err
}

func (e eitherVerifier) VerifyDigest(r *http.Request, body []byte, now time.Time) ([]byte, error) {
	sum, err := e[0].VerifyDigest(r, body, now)
	if err == nil {
		return sum, nil
	}
	sum, err2 := e[1].VerifyDigest(r, body, now)
	if err2 == nil || rank(err2) > rank(err) {
		return sum, err2
	}
	return nil, err
}

// rank orders failures by how far verification got: a header missing, then
// a malformed one (no signature of that version), a mismatch, and a
// signature that matched a stale timestamp.
func rank(err error) int {
	switch ReasonOf(err) {
	case ReasonMalformed:
		return 1
	case ReasonMismatch:
		return 2
	case ReasonStale:
		return 3
	}
	return 0
}

// bothSigner signs v1 then v1a, and joins their signatures in one header.
type bothSigner [2]*header.Signer

func (b bothSigner) Sign(h http.Header, target *url.URL, id string, body []byte, now time.Time) error {
	if err := b[0].Sign(h, target, id, body, now); err != nil {
		return err
	}
	v1 := h.Get(b[0].Header)
	if err := b[1].Sign(h, target, id, body, now); err != nil {
		return err
	}
	h.Set(b[1].Header, v1+" "+h.Get(b[1].Header))
	return nil
}
