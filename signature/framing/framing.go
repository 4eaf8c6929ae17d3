// Package framing says how signatures are written in a signature header:
// their encoding (hex, base64, or a shared token as is) and their layout,
// with possibly a timestamp: one signature after a prefix, a key=value
// list, or Standard Webhooks' versioned list. It parses them back too.
package framing

import (
	"errors"
	"fmt"
	"strings"
)

// MaxParts bounds how many parts of a multi-signature header are examined.
// A header with more is malformed: hostile input cannot make a request cost
// more than MaxParts signature comparisons per key.
const MaxParts = 32

// Framing is how signatures (and possibly a timestamp) are laid out in the
// signature header. Parsers never echo header content in their errors, and
// every error they return means the header is malformed.
type Framing interface {
	// Parse appends the still-encoded signatures found in v to sigs and
	// returns the timestamp the header carries ("" when it carries none).
	Parse(v string, sigs []string) ([]string, string, error)
	// Format lays out encoded signatures (and ts when the header carries it).
	Format(ts string, sigs []string) string
	// Multi reports whether the header can hold several signatures.
	Multi() bool
	// CarriesTimestamp reports whether the timestamp is in the header itself.
	CarriesTimestamp() bool
}

// Plain is prefix + one signature: "sha256=<hex>", "v0=<hex>", "<base64>".
type Plain struct{ Prefix string }

func (f Plain) Parse(v string, sigs []string) ([]string, string, error) {
	s, ok := strings.CutPrefix(v, f.Prefix)
	if !ok {
		return nil, "", fmt.Errorf("signature lacks prefix %q", f.Prefix)
	}
	if s == "" {
		return nil, "", errors.New("signature is empty")
	}
	return append(sigs, s), "", nil
}

func (f Plain) Format(_ string, sigs []string) string { return f.Prefix + sigs[0] }
func (Plain) Multi() bool                             { return false }
func (Plain) CarriesTimestamp() bool                  { return false }

// KV is a list of key=value pairs: Stripe's "t=…,v1=…,v1=…",
// Paddle's "ts=…;h1=…", PagerDuty's "v1=…,v1=…". Unknown keys (Stripe's v0)
// are skipped; every signature under sigKey is a candidate.
type KV struct {
	Sep    byte
	TSKey  string // "" when the header carries no timestamp
	SigKey string
}

func (f KV) Parse(v string, sigs []string) ([]string, string, error) {
	var ts string
	haveTS := false
	for n := 0; v != ""; n++ {
		if n == MaxParts {
			return nil, "", fmt.Errorf("more than %d parts", MaxParts)
		}
		var item string
		if i := strings.IndexByte(v, f.Sep); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, ""
		}
		k, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, "", fmt.Errorf("part %d is not key=value", n+1)
		}
		switch {
		case k == f.SigKey:
			if val != "" {
				sigs = append(sigs, val)
			}
		case f.TSKey != "" && k == f.TSKey:
			if haveTS {
				return nil, "", fmt.Errorf("several %q timestamps", f.TSKey)
			}
			ts, haveTS = val, true
		}
	}
	if len(sigs) == 0 {
		return nil, "", fmt.Errorf("no %q signature", f.SigKey)
	}
	if f.TSKey != "" && !haveTS {
		return nil, "", fmt.Errorf("no %q timestamp", f.TSKey)
	}
	return sigs, ts, nil
}

func (f KV) Format(ts string, sigs []string) string {
	var b strings.Builder
	if f.TSKey != "" {
		b.WriteString(f.TSKey + "=" + ts)
	}
	for _, s := range sigs {
		if b.Len() > 0 {
			b.WriteByte(f.Sep)
		}
		b.WriteString(f.SigKey + "=" + s)
	}
	return b.String()
}

func (KV) Multi() bool              { return true }
func (f KV) CarriesTimestamp() bool { return f.TSKey != "" }

// Versioned is Standard Webhooks' space-separated list of
// "<version>,<base64 signature>": "v1" for HMAC-SHA256, "v1a" for Ed25519
// (spec/standard-webhooks.md, "Signature scheme" and "Webhook headers":
// "v1,K5oZ… v1a,hnO3…"). Entries of other versions are skipped, so one
// header may carry both kinds, each parsed by its own Versioned.
type Versioned struct{ Version string }

func (f Versioned) Parse(v string, sigs []string) ([]string, string, error) {
	for n := 0; ; n++ {
		v = strings.TrimLeft(v, " ")
		if v == "" {
			break
		}
		if n == MaxParts {
			return nil, "", fmt.Errorf("more than %d parts", MaxParts)
		}
		var item string
		if i := strings.IndexByte(v, ' '); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, ""
		}
		ver, sig, ok := strings.Cut(item, ",")
		if !ok {
			return nil, "", fmt.Errorf("part %d is not version,signature", n+1)
		}
		if ver == f.Version && sig != "" {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return nil, "", fmt.Errorf("no %q signature", f.Version)
	}
	return sigs, "", nil
}

func (f Versioned) Format(_ string, sigs []string) string {
	var b strings.Builder
	for i, s := range sigs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.Version + "," + s)
	}
	return b.String()
}

func (Versioned) Multi() bool            { return true }
func (Versioned) CarriesTimestamp() bool { return false }
