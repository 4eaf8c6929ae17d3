// Package keys turns a scheme's secrets into the keys that verify and sign:
// HMAC secrets (raw or Standard Webhooks' whsec_ base64), shared tokens
// compared in constant time, Ed25519 and ECDSA P-256 key pairs. Errors name
// a secret by its position, never by its value.
package keys

import (
	"crypto/subtle"
)

// Verifier checks signatures against every configured key (rotation).
type Verifier interface {
	// SigLen is the decoded length a signature must have, 0 for any.
	SigLen() int
	// Verify reports whether any of sigs is valid for msg under any key.
	Verify(msg []byte, sigs [][]byte) bool
}

// Signer produces the raw signature of msg.
type Signer interface {
	Sign(msg []byte) ([]byte, error)
}

// Token is a shared token sent as is (GitLab's X-Gitlab-Token): the
// "signature" is the secret, compared in constant time.
type Token [][]byte

// Tokens are the secrets as tokens.
func Tokens(secrets []string) Token {
	k := make(Token, len(secrets))
	for i, sec := range secrets {
		k[i] = []byte(sec)
	}
	return k
}

// SigLen is 0: a token has any length.
func (Token) SigLen() int { return 0 }

// Verify reports whether any of sigs is one of the tokens.
func (k Token) Verify(_ []byte, sigs [][]byte) bool {
	for _, tok := range k {
		for _, s := range sigs {
			if subtle.ConstantTimeCompare(tok, s) == 1 {
				return true
			}
		}
	}
	return false
}

// Sign returns the first token.
func (k Token) Sign([]byte) ([]byte, error) { return k[0], nil }
