package signature

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

// keyFormat says how an HMAC secret string becomes key bytes.
type keyFormat uint8

const (
	keyRaw   keyFormat = iota // the secret's bytes, as is (whsec_… included)
	keyWhsec                  // Standard Webhooks: base64 after an optional "whsec_"
)

func (f keyFormat) parse(secret string) ([]byte, error) {
	if f == keyRaw {
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

// hmacKeys are the active secrets of an HMAC scheme, tried in order.
type hmacKeys struct {
	size int
	keys []*hmacKey
}

func newHMACKeys(algName string, kf keyFormat, secrets []string) (*hmacKeys, error) {
	alg, ok := algorithms[algName]
	if !ok {
		return nil, fmt.Errorf("unknown algorithm %q", algName)
	}
	hk := &hmacKeys{size: alg.size}
	for i, s := range secrets {
		key, err := kf.parse(s)
		if err != nil {
			return nil, fmt.Errorf("secret #%d: %w", i+1, err)
		}
		hk.keys = append(hk.keys, newHMACKey(alg, key))
	}
	return hk, nil
}

func (k *hmacKeys) sigLen() int { return k.size }

func (k *hmacKeys) verify(msg []byte, sigs [][]byte) bool {
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

// hmacSigner signs with one secret.
type hmacSigner struct{ key *hmacKey }

func (s hmacSigner) sign(msg []byte) ([]byte, error) { return s.key.mac(nil, msg), nil }
