package framing

import (
	"strings"
	"testing"
)

// Fuzz targets for the header parsers, which read sender-controlled input.
// Properties: no panic, bounded work, errors that never echo the input, and
// format→parse round trips.

// noEcho fails when err quotes a distinctive input.
func noEcho(t *testing.T, err error, input string) {
	t.Helper()
	if err != nil && len(input) >= 12 && strings.Contains(err.Error(), input) {
		t.Fatalf("error echoes its input: %v", err)
	}
}

func FuzzPlainFraming(f *testing.F) {
	for _, s := range []string{"sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "v0=", "sha256=", "", "=", "sha1=abc"} {
		f.Add("sha256=", s)
	}
	f.Add("", "K7f5m3Fh9o3C2gJ1xq1Z4fHq9l8o0wDd5J1kXgG5bLw=")
	f.Fuzz(func(t *testing.T, prefix, v string) {
		fr := Plain{Prefix: prefix}
		sigs, ts, err := fr.Parse(v, nil)
		noEcho(t, err, v)
		if err != nil {
			return
		}
		if len(sigs) != 1 || ts != "" || fr.Format("", sigs) != v {
			t.Fatalf("plain %q: sigs %q ts %q", v, sigs, ts)
		}
	})
}

func FuzzKVFraming(f *testing.F) {
	for _, s := range []string{
		"t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd,v0=6ffbb59b2300aae63f272406069a9788598b792a944a07aba816edb039989a39",
		"ts=1671552777;h1=eb4d0dc8853be92b7f063b9f3ba5233eb920a09459b6e6b2c26705b4364db151",
		"v1=abc,v1=def", "t=,v1=", "t=1,t=2,v1=a", ",,,", "v1", "t=1;h1=a;h1=b;h1=c",
	} {
		f.Add(uint8(0), s)
	}
	frames := []KV{
		{Sep: ',', TSKey: "t", SigKey: "v1"},  // stripe, calendly
		{Sep: ';', TSKey: "ts", SigKey: "h1"}, // paddle
		{Sep: ',', SigKey: "v1"},              // pagerduty
	}
	f.Fuzz(func(t *testing.T, which uint8, v string) {
		fr := frames[int(which)%len(frames)]
		sigs, ts, err := fr.Parse(v, nil)
		noEcho(t, err, v)
		if err != nil {
			return
		}
		if len(sigs) == 0 || len(sigs) > MaxParts {
			t.Fatalf("%d signatures from %q", len(sigs), v)
		}
		if strings.ContainsAny(ts+strings.Join(sigs, ""), string(fr.Sep)) {
			return // values holding the separator do not round-trip
		}
		sigs2, ts2, err := fr.Parse(fr.Format(ts, sigs), nil)
		if err != nil || ts2 != ts || strings.Join(sigs2, "\x00") != strings.Join(sigs, "\x00") {
			t.Fatalf("round trip of %q: %q %q %v", v, sigs2, ts2, err)
		}
	})
}

func FuzzVersionedFraming(f *testing.F) {
	for _, s := range []string{
		"v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,x v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		"v1a,abc", "  v1,a  ", "v1,", ",", "v1", strings.Repeat("v1,a ", 40),
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		fr := Versioned{Version: "v1"}
		sigs, _, err := fr.Parse(v, nil)
		noEcho(t, err, v)
		if err != nil {
			return
		}
		if len(sigs) == 0 || len(sigs) > MaxParts {
			t.Fatalf("%d signatures from %q", len(sigs), v)
		}
		for _, s := range sigs {
			if strings.ContainsRune(s, ' ') {
				return
			}
		}
		sigs2, _, err := fr.Parse(fr.Format("", sigs), nil)
		if err != nil || strings.Join(sigs2, " ") != strings.Join(sigs, " ") {
			t.Fatalf("round trip of %q: %q %v", v, sigs2, err)
		}
	})
}

func FuzzEncoding(f *testing.F) {
	for _, s := range []string{"757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "ABCDEF", "abc",
		"g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE", "%%%", ""} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, e := range []Encoding{Hex, Base64} {
			b, ok := e.Decode(nil, s)
			if !ok {
				continue
			}
			if b2, ok := e.Decode(nil, e.Encode(b)); !ok || string(b2) != string(b) {
				t.Fatalf("encoding %d: %q does not round-trip", e, s)
			}
		}
	})
}
