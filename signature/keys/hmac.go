package keys

import (
	"crypto/hmac"
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"encoding/base64"
	"fmt"
	"hash"
	"strings"
	"sync"
)

type algorithm struct {
	new  func() hash.Hash
	size int
}

var algorithms = map[string]algorithm{
	"sha1":   {sha1.New, sha1.Size},
	"sha256": {sha256.New, sha256.Size},
	"sha512": {sha512.New, sha512.Size},
}

// HasAlgorithm reports whether name is an HMAC hash: sha1, sha256 or sha512.
func HasAlgorithm(name string) bool {
	_, ok := algorithms[name]
	return ok
}

// Format says how an HMAC secret string becomes key bytes.
type Format uint8

// The formats of HMAC secrets.
const (
	Raw   Format = iota // the secret's bytes, as is (whsec_… included)
	Whsec               // Standard Webhooks: base64 after an optional "whsec_"
)

func (f Format) parse(secret string) ([]byte, error) {
	if f == Raw {
		return []byte(secret), nil
	}
	b, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(secret, "whsec_"))
	if err != nil || len(b) == 0 {
		// Never echo the secret.
		return nil, fmt.Errorf("secret is not base64 (optionally prefixed by whsec_)")
	}
	return b, nil
}

// hmacKey is one secret with a pool of keyed hashes, so verifying does not
// re-derive the HMAC pads on every request.
type hmacKey struct {
	pool sync.Pool
}

func newHMACKey(alg algorithm, key []byte) *hmacKey {
	k := &hmacKey{}
	k.pool.New = func() any { return hmac.New(alg.new, key) }
	return k
}

func (k *hmacKey) mac(dst, msg []byte) []byte {
	h := k.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(msg)
	dst = h.Sum(dst)
	k.pool.Put(h)
	return dst
}

// HMAC are the active secrets of an HMAC scheme, tried in order.
type HMAC struct {
	size int
	keys []*hmacKey
}

// NewHMAC keys the hash algName with each of secrets, read as kf says.
func NewHMAC(algName string, kf Format, secrets []string) (*HMAC, error) {
	alg, ok := algorithms[algName]
	if !ok {
		return nil, fmt.Errorf("unknown algorithm %q", algName)
	}
	hk := &HMAC{size: alg.size}
	for i, s := range secrets {
		key, err := kf.parse(s)
		if err != nil {
			return nil, fmt.Errorf("secret #%d: %w", i+1, err)
		}
		hk.keys = append(hk.keys, newHMACKey(alg, key))
	}
	return hk, nil
}

// SigLen is the size of the hash.
func (k *HMAC) SigLen() int { return k.size }

// Verify reports whether any of sigs is the HMAC of msg under any secret.
func (k *HMAC) Verify(msg []byte, sigs [][]byte) bool {
	var buf [sha512.Size]byte
	for _, key := range k.keys {
		mac := key.mac(buf[:0], msg)
		for _, s := range sigs {
			if hmac.Equal(mac, s) {
				return true
			}
		}
	}
	return false
}

// Signers are one Signer per secret, in order.
func (k *HMAC) Signers() []Signer {
	out := make([]Signer, 0, len(k.keys))
	for _, key := range k.keys {
		out = append(out, hmacSigner{key})
	}
	return out
}

// hmacSigner signs with one secret.
type hmacSigner struct{ key *hmacKey }

func (s hmacSigner) Sign(msg []byte) ([]byte, error) { return s.key.mac(nil, msg), nil }
