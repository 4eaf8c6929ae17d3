package framing

import (
	"encoding/base64"
	"encoding/hex"
)

// Encoding is how a signature is written in its header.
type Encoding uint8

// The encodings.
const (
	Hex Encoding = iota
	Base64
	Raw // the header holds the secret itself (shared token)
)

var encodings = map[string]Encoding{"hex": Hex, "base64": Base64}

// EncodingNamed returns the encoding a configuration names: hex or base64.
func EncodingNamed(name string) (Encoding, bool) {
	e, ok := encodings[name]
	return e, ok
}

// Encode writes b.
func (e Encoding) Encode(b []byte) string {
	switch e {
	case Hex:
		return hex.EncodeToString(b)
	case Base64:
		return base64.StdEncoding.EncodeToString(b)
	}
	return string(b)
}

// Decode appends the decoded s to dst. It accepts either hex case, and base64
// with or without padding.
func (e Encoding) Decode(dst []byte, s string) ([]byte, bool) {
	switch e {
	case Hex:
		if len(s)%2 != 0 {
			return nil, false
		}
		out, err := hex.AppendDecode(dst, []byte(s))
		return out, err == nil
	case Base64:
		enc := base64.StdEncoding
		if len(s)%4 != 0 {
			enc = base64.RawStdEncoding
		}
		out, err := enc.AppendDecode(dst, []byte(s))
		return out, err == nil
	}
	return append(dst, s...), true
}
