package signature_test

import (
	"crypto/tls"
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// urlVector is a signature made by a provider's published recipe over an
// https URL: Twilio's RequestValidator (URL + sorted form parameters,
// HMAC-SHA1; a JSON body through the URL's bodySHA256), Square's
// HMAC-SHA256(notification URL + body), HubSpot's v3 HMAC-SHA256(method +
// URI + body + timestamp). The values were computed with Python's hmac
// module (/tmp-free recipe in each provider's docs), independently of this
// package.
type urlVector struct {
	Name, Scheme, Secret string
	// Public is the URL the sender called; Query is its raw query as sent
	// (HubSpot signs some of it decoded).
	Public, Query string
	Body          string
	Header        http.Header
	Now           time.Time
}

const urlVecTwilioJSONHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620"

// urlVectors: cli/sign_test.go checks some through `caddy webhook verify --url`.
func urlVectors() []urlVector {
	form := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}
	js := http.Header{"Content-Type": {"application/json"}}
	with := func(h http.Header, k, v string) http.Header { h = h.Clone(); h.Set(k, v); return h }
	formBody := "CallSid=CA1234567890ABCDE&Digits=1234&From=%2B14158675309"
	tw, sq, hs := "X-Twilio-Signature", "X-Square-Hmacsha256-Signature", "X-Hubspot-Signature-V3"
	hsh := with(js, "X-Hubspot-Request-Timestamp", "1700000000000")
	sqBody := `{"merchant_id":"M1","type":"payment.updated","event_id":"e1"}`
	hsBody := `[{"eventId":1,"subscriptionType":"contact.creation"}]`
	return []urlVector{
		{"twilio form, no query", "twilio", "12345", "https://hooks.example.com/twilio/voice", "", formBody,
			with(form, tw, "mJa4sK5UQ3P3hOKGInGhp7gnR54="), t0},
		{"twilio form, query", "twilio", "12345", "https://hooks.example.com/twilio/voice", "tenant=acme&x=1", formBody,
			with(form, tw, "/TuHrVfxahZ172RnZsxAlkWQ3co="), t0},
		{"twilio json, bodySHA256 only", "twilio", "12345", "https://hooks.example.com/twilio/json",
			"bodySHA256=" + urlVecTwilioJSONHash, `{"property": "value", "boolean": true}`,
			with(js, tw, "EJToDTfB9gR4NMMKjFoH8+9sBVQ="), t0},
		{"twilio json, query and bodySHA256", "twilio", "12345", "https://hooks.example.com/twilio/json",
			"tenant=acme&bodySHA256=" + urlVecTwilioJSONHash, `{"property": "value", "boolean": true}`,
			with(js, tw, "WE+q3QsN1mqrXhPfEVCRH344YO8="), t0},
		{"square, no query", "square", "sq-key", "https://hooks.example.com/square", "", sqBody,
			with(js, sq, "YxMvoBDYwgIzqhqjhNbJ9CL+EUFrE9ZtKZLaK7JyHIw="), t0},
		{"square, query", "square", "sq-key", "https://hooks.example.com/square", "tenant=acme", sqBody,
			with(js, sq, "IA19hjoMYtN8VfYZU40igjzt13LplwuUpqXUZH4o20M="), t0},
		{"hubspot, no query", "hubspot", "hs-secret", "https://hooks.example.com/hubspot", "", hsBody,
			with(hsh, hs, "/PFHYWEgGHkFwfynjw8ltjBrWWuo6syjv1JHcBw0LE8="), t0},
		{"hubspot, query with an escape it decodes", "hubspot", "hs-secret", "https://hooks.example.com/hubspot",
			"tenant=acme&r=a%3Ab", hsBody, with(hsh, hs, "VTglKxZBpOhUA1HG/M/C5c8rN3zGPBpU7UYSRzN8b+E="), t0},
	}
}

func (v urlVector) full(base string) string {
	if v.Query == "" {
		return base
	}
	return base + "?" + v.Query
}

// The handler's view: the URL Caddy sees differs from the one the sender
// called (TLS terminated by a proxy, host and path rewritten); url gives the
// public scheme, host and path, and the request's own query is signed.
func TestURLSigningSchemes(t *testing.T) {
	for _, v := range urlVectors() {
		t.Run(v.Name, func(t *testing.T) {
			cfg := Config{Scheme: v.Scheme, URL: v.Public}
			behindProxy := request(v.full("http://10.0.0.7:8080/internal/hook"), v.Header, v.Body)
			requireReason(t, "", verify(t, cfg, []string{v.Secret}, behindProxy, v.Body, v.Now))

			// Without url, on a TLS connection to the public host.
			direct := request(v.full(v.Public), v.Header, v.Body)
			direct.TLS = &tls.ConnectionState{}
			requireReason(t, "", verify(t, Config{Scheme: v.Scheme}, []string{v.Secret}, direct, v.Body, v.Now))

			// Another query than the one signed fails: the query is the request's.
			other := request(v.full("http://10.0.0.7:8080/internal/hook")+"&extra=1", v.Header, v.Body)
			if v.Query == "" {
				other = request("http://10.0.0.7:8080/internal/hook?extra=1", v.Header, v.Body)
			}
			assert.Error(t, verify(t, cfg, []string{v.Secret}, other, v.Body, v.Now))

			// The signer makes the same signature for the public URL, with
			// url set (and the target's query) or without.
			for _, c := range []Config{cfg, {Scheme: v.Scheme}} {
				h := v.Header.Clone()
				h.Del("X-Twilio-Signature")
				h.Del("X-Square-Hmacsha256-Signature")
				h.Del("X-Hubspot-Signature-V3")
				s, err := c.NewSigner([]string{v.Secret})
				if err != nil {
					t.Fatal(err)
				}
				if err := s.Sign(h, mustURL(t, v.full(v.Public)), "", []byte(v.Body), v.Now); err != nil {
					t.Fatal(err)
				}
				for k, want := range v.Header {
					if strings.HasSuffix(k, "Signature") || strings.HasSuffix(k, "Signature-V3") {
						assert.Equal(t, want[0], h.Get(k), "signer, url %q", c.URL)
					}
				}
			}
		})
	}
}

func TestURLRefusesAQuery(t *testing.T) {
	for _, u := range []string{"https://hooks.example.com/t?x=1", "https://hooks.example.com/t?", "https://hooks.example.com/t#f"} {
		cfg := Config{Scheme: "twilio", URL: u, Secrets: []string{"s"}}
		assert.ErrorContains(t, cfg.Validate(), "query signed is the request's own", u)
	}
	assert.Equal(t, "https://h.example/p", PublicURL("https://h.example/p?x=1#y"))
	assert.True(t, Config{Scheme: "twilio"}.SignsURL())
	assert.False(t, Config{Scheme: "github"}.SignsURL())
}
