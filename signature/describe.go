package signature

import (
	"fmt"
	"strings"
	"time"

	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/keys"
)

// Summary is how a preset reads in `caddy webhook presets`, docs/presets.md
// and the README: what its sender sends. Describe derives each field from
// the scheme; a preset sets one only where the derivation cannot say it
// (signatures inside the body, certificates, tokens in configurable headers).
type Summary struct {
	// Header is the signature header as the sender writes it, with the
	// other headers the scheme reads, e.g. "Stripe-Signature: t=…,v1=<hex>".
	Header string
	// Algorithm is the cryptography, e.g. "HMAC-SHA256".
	Algorithm string
	// Signed is the signed content, e.g. "{ts}.{body}".
	Signed string
}

// Describe returns p's summary: its Summary, with the fields it leaves empty
// derived from the scheme.
func (p Preset) Describe() Summary {
	s, d := p.Summary, p.Scheme.sp.describe()
	if s.Header == "" {
		s.Header = d.Header
	}
	if s.Algorithm == "" {
		s.Algorithm = d.Algorithm
	}
	if s.Signed == "" {
		s.Signed = d.Signed
	}
	return s
}

func (sp spec) describe() Summary {
	if sp.prim == primNone {
		return Summary{Header: "none: guard the route", Algorithm: "—", Signed: "—"}
	}
	enc := "<hex>"
	if sp.Enc == framing.Base64 {
		enc = "<base64>"
	}
	var h string
	switch f := sp.Frame.(type) {
	case framing.KV:
		h = f.SigKey + "=" + enc
		if f.TSKey != "" {
			h = f.TSKey + "=…" + string(f.Sep) + h
		}
		h += "[" + string(f.Sep) + f.SigKey + "=…]"
	case framing.Versioned:
		h = f.Version + "," + enc + " [" + f.Version + ",…]"
	default:
		h = sp.Prefix + enc
	}
	if sp.prim == primToken {
		h = "<secret>"
	}
	h = sp.Header + ": " + h
	var also []string
	for _, x := range []string{sp.IDHeader, sp.TSHeader} {
		if x != "" {
			also = append(also, x)
		}
	}
	if len(also) > 0 {
		h += " + " + strings.Join(also, ", ")
	}
	if sp.TSFormat == UnixMillis {
		h += " (ms)"
	}
	var alg string
	switch sp.prim {
	case primHMAC, primMailgun:
		alg = "HMAC-" + strings.ToUpper(strings.Replace(sp.Alg, "sha", "SHA", 1))
		if sp.KeyFmt == keys.Whsec {
			alg += ", base64 key"
		}
	case primToken:
		alg = "shared token"
	case primEd25519:
		alg = "Ed25519 (public key as secret)"
	case primECDSA:
		alg = "ECDSA P-256 (public key as secret)"
	default:
		alg = "see the preset"
	}
	signed := "—"
	if sp.prim != primToken {
		signed = strings.ReplaceAll(sp.Content, "{timestamp}", "{ts}")
		if signed == "" {
			signed = "{body}"
		}
		if sp.BodyTS != "" {
			signed += ", with its " + sp.BodyTS + " (ms)"
		}
	}
	return Summary{Header: h, Algorithm: alg, Signed: signed}
}

// FormatSize writes a byte count as the Caddyfile's max_body reads it
// (25MB, 1MiB, 512KiB).
func FormatSize(n int64) string {
	for _, u := range []struct {
		name string
		size int64
	}{{"MiB", 1 << 20}, {"MB", 1e6}, {"KiB", 1 << 10}, {"KB", 1e3}} {
		if n >= u.size && n%u.size == 0 {
			return fmt.Sprintf("%d%s", n/u.size, u.name)
		}
	}
	return fmt.Sprint(n)
}

// FormatTolerance writes a preset's tolerance ("—" for none).
func FormatTolerance(d time.Duration) string {
	if d == 0 {
		return "—"
	}
	s := d.String()
	if strings.HasSuffix(s, "m0s") {
		s = strings.TrimSuffix(s, "0s")
	}
	if strings.HasSuffix(s, "h0m") {
		s = strings.TrimSuffix(s, "0m")
	}
	return s
}
