package signature

import "strings"

// maxParts bounds how many parts of a multi-signature header are examined.
// A header with more is malformed: hostile input cannot make a request cost
// more than maxParts signature comparisons per key.
const maxParts = 32

// framing is how signatures (and possibly a timestamp) are laid out in the
// signature header. Parsers never echo header content in their errors.
type framing interface {
	// parse appends the still-encoded signatures found in v to sigs and
	// returns the timestamp the header carries ("" when it carries none).
	parse(v string, sigs []string) ([]string, string, *Error)
	// format lays out encoded signatures (and ts when the header carries it).
	format(ts string, sigs []string) string
	// multi reports whether the header can hold several signatures.
	multi() bool
	// carriesTimestamp reports whether the timestamp is in the header itself.
	carriesTimestamp() bool
}

// plainFraming is prefix + one signature: "sha256=<hex>", "v0=<hex>", "<base64>".
type plainFraming struct{ prefix string }

func (f plainFraming) parse(v string, sigs []string) ([]string, string, *Error) {
	s, ok := strings.CutPrefix(v, f.prefix)
	if !ok {
		return nil, "", fail(ReasonMalformed, "signature lacks prefix %q", f.prefix)
	}
	if s == "" {
		return nil, "", fail(ReasonMalformed, "signature is empty")
	}
	return append(sigs, s), "", nil
}

func (f plainFraming) format(_ string, sigs []string) string { return f.prefix + sigs[0] }
func (plainFraming) multi() bool                             { return false }
func (plainFraming) carriesTimestamp() bool                  { return false }

// kvFraming is a list of key=value pairs: Stripe's "t=…,v1=…,v1=…",
// Paddle's "ts=…;h1=…", PagerDuty's "v1=…,v1=…". Unknown keys (Stripe's v0)
// are skipped; every signature under sigKey is a candidate.
type kvFraming struct {
	sep    byte
	tsKey  string // "" when the header carries no timestamp
	sigKey string
}

func (f kvFraming) parse(v string, sigs []string) ([]string, string, *Error) {
	var ts string
	haveTS := false
	for n := 0; v != ""; n++ {
		if n == maxParts {
			return nil, "", fail(ReasonMalformed, "more than %d parts", maxParts)
		}
		var item string
		if i := strings.IndexByte(v, f.sep); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, ""
		}
		k, val, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return nil, "", fail(ReasonMalformed, "part %d is not key=value", n+1)
		}
		switch {
		case k == f.sigKey:
			if val != "" {
				sigs = append(sigs, val)
			}
		case f.tsKey != "" && k == f.tsKey:
			if haveTS {
				return nil, "", fail(ReasonMalformed, "several %q timestamps", f.tsKey)
			}
			ts, haveTS = val, true
		}
	}
	if len(sigs) == 0 {
		return nil, "", fail(ReasonMalformed, "no %q signature", f.sigKey)
	}
	if f.tsKey != "" && !haveTS {
		return nil, "", fail(ReasonMalformed, "no %q timestamp", f.tsKey)
	}
	return sigs, ts, nil
}

func (f kvFraming) format(ts string, sigs []string) string {
	var b strings.Builder
	if f.tsKey != "" {
		b.WriteString(f.tsKey + "=" + ts)
	}
	for _, s := range sigs {
		if b.Len() > 0 {
			b.WriteByte(f.sep)
		}
		b.WriteString(f.sigKey + "=" + s)
	}
	return b.String()
}

func (kvFraming) multi() bool              { return true }
func (f kvFraming) carriesTimestamp() bool { return f.tsKey != "" }

// versionedFraming is Standard Webhooks' space-separated "v1,<sig>" list;
// entries of other versions (v1a, …) are skipped.
type versionedFraming struct{ version string }

func (f versionedFraming) parse(v string, sigs []string) ([]string, string, *Error) {
	for n := 0; ; n++ {
		v = strings.TrimLeft(v, " ")
		if v == "" {
			break
		}
		if n == maxParts {
			return nil, "", fail(ReasonMalformed, "more than %d parts", maxParts)
		}
		var item string
		if i := strings.IndexByte(v, ' '); i >= 0 {
			item, v = v[:i], v[i+1:]
		} else {
			item, v = v, ""
		}
		ver, sig, ok := strings.Cut(item, ",")
		if !ok {
			return nil, "", fail(ReasonMalformed, "part %d is not version,signature", n+1)
		}
		if ver == f.version && sig != "" {
			sigs = append(sigs, sig)
		}
	}
	if len(sigs) == 0 {
		return nil, "", fail(ReasonMalformed, "no %q signature", f.version)
	}
	return sigs, "", nil
}

func (f versionedFraming) format(_ string, sigs []string) string {
	var b strings.Builder
	for i, s := range sigs {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(f.version + "," + s)
	}
	return b.String()
}

func (versionedFraming) multi() bool            { return true }
func (versionedFraming) carriesTimestamp() bool { return false }
