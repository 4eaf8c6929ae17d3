package signature_test

import (
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"net/http"
	"strings"
	"testing"
)

// Fuzz targets for every parser of sender-controlled input. `go test` runs
// their seeds; `make fuzz` explores further. Properties: no panic, bounded
// work, errors that never echo the input, and format→parse round trips.

// noEcho fails when err quotes a distinctive input.
func noEcho(t *testing.T, err error, input string) {
	t.Helper()
	if err != nil && len(input) >= 12 && strings.Contains(err.Error(), input) {
		t.Fatalf("error echoes its input: %v", err)
	}
}

// FuzzVerifyHeaders runs whole verifiers over hostile headers and bodies.
func FuzzVerifyHeaders(f *testing.F) {
	names := []string{"github", "stripe", "slack", "standard_webhooks", "paddle", "twitch", "hubspot", "twilio", "discord", "gitlab", "shopify"}
	f.Add(uint8(0), "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17", "", "Hello, World!")
	f.Add(uint8(1), "t=1492774577,v1=5257a869e7ecebeda32affa62cdca3fa51cad7e77a0e56ff536d0ce8e108d8bd", "", "{}")
	f.Add(uint8(2), "v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503", "1531420618", "token=x")
	f.Add(uint8(3), "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", "1614265330", `{"test": 2432232314}`)
	f.Add(uint8(5), "sha256=00", "2023-05-01T12:00:00Z", "{}")
	f.Add(uint8(7), "AAAA", "", "a=b&c=d")
	f.Add(uint8(8), strings.Repeat("0", 128), "1700000000", `{"type":1}`)
	f.Fuzz(func(t *testing.T, which uint8, sig, ts, body string) {
		name := names[int(which)%len(names)]
		sp := PresetSpec(name)
		secret := "fuzz-secret"
		switch {
		case sp.Whsec:
			secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
		case sp.Ed25519:
			secret = strings.Repeat("ab", 32)
		}
		v, err := Config{Scheme: name}.NewVerifier([]string{secret}, 0)
		if err != nil {
			t.Fatal(err)
		}
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
		h.Set(sp.Header, sig)
		for _, th := range []string{sp.TSHeader, sp.IDHeader} {
			if th != "" {
				h.Set(th, ts)
			}
		}
		r := request(testTarget, h, body)
		err = v.Verify(r, []byte(body), t0)
		noEcho(t, err, sig)
		if hs, ok := v.(Handshaker); ok {
			_ = hs.Handshake(r, []byte(body), err == nil)
		}
	})
}
