package signature

import (
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"fmt"
)

// verifyKeys checks signatures against every configured key (rotation).
type verifyKeys interface {
	// sigLen is the decoded length a signature must have, 0 for any.
	sigLen() int
	// verify reports whether any of sigs is valid for msg under any key.
	verify(msg []byte, sigs [][]byte) bool
}

// signKey produces the raw signature of msg.
type signKey interface {
	sign(msg []byte) ([]byte, error)
}

// encoding is how a signature is written in its header.
type encoding uint8

const (
	encHex encoding = iota
	encBase64
	encRaw // the header holds the secret itself (shared token)
)

var encodings = map[string]encoding{"hex": encHex, "base64": encBase64}

func (e encoding) encode(b []byte) string {
	switch e {
	case encHex:
		return hex.EncodeToString(b)
	case encBase64:
		return base64.StdEncoding.EncodeToString(b)
	}
	return string(b)
}

// decode appends the decoded s to dst. It accepts either hex case, and base64
// with or without padding.
func (e encoding) decode(dst []byte, s string) ([]byte, bool) {
	switch e {
	case encHex:
		if len(s)%2 != 0 {
			return nil, false
		}
		out, err := hex.AppendDecode(dst, []byte(s))
		return out, err == nil
	case encBase64:
		enc := base64.StdEncoding
		if len(s)%4 != 0 {
			enc = base64.RawStdEncoding
		}
		out, err := enc.AppendDecode(dst, []byte(s))
		return out, err == nil
	}
	return append(dst, s...), true
}

// tokenKeys is a shared token sent as is (GitLab's X-Gitlab-Token): the
// "signature" is the secret, compared in constant time.
type tokenKeys [][]byte

func (tokenKeys) sigLen() int { return 0 }

func (k tokenKeys) verify(_ []byte, sigs [][]byte) bool {
	for _, tok := range k {
		for _, s := range sigs {
			if subtle.ConstantTimeCompare(tok, s) == 1 {
				return true
			}
		}
	}
	return false
}

func (k tokenKeys) sign([]byte) ([]byte, error) { return k[0], nil }

// errNoSecret is returned when rotation slots are all empty.
var errNoSecret = fmt.Errorf("no secret configured (all secrets are empty)")
