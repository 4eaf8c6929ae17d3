package e2e

import (
	"bytes"
	"compress/gzip"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stdSecret is the Standard Webhooks secret of the hostile routes.
const stdSecret = "whsec_aG9zdGlsZS1zdGFuZGFyZC13ZWJob29rcy1rZXk="

// hostileCaddyfile: a small max_body route, a large one keyed by a header
// (for non-JSON bodies), two multi-signature presets, and an unsigned route
// (what the ctxfy and superai presets look like: anyone can post to it).
// read_body bounds how long a client may take to send its body.
// max_header_size is raised from Caddy's 16 KiB default (which answers 431
// before any handler runs) so that huge headers reach our parsers.
const hostileCaddyfile = `{
	admin {{.Admin}}
	servers {
		max_header_size 1MiB
		timeouts {
			read_header 2s
			read_body 1s
		}
	}
	webhooks {
		storage embedded
	}
}
http://{{.HTTP}} {
	route /hooks/in {
		webhook_inbound {
			name in
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			max_body 1KiB
			upstream {{.Upstream}}
		}
	}
	route /hooks/big {
		webhook_inbound {
			name big
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {header.X-Delivery}
			max_body 2MiB
			upstream {{.Upstream}}
		}
	}
	route /hooks/stripe {
		webhook_inbound {
			verify stripe {
				secret {env.HOOKGATE_SECRET}
			}
			upstream {{.Upstream}}
		}
	}
	route /hooks/std {
		webhook_inbound {
			verify standard_webhooks {
				secret {env.HOOKGATE_STD_SECRET}
			}
			upstream {{.Upstream}}
		}
	}
	route /hooks/open {
		webhook_inbound {
			name open
			dedupe {json.id}
			max_body 2MiB
			upstream {{.Upstream}}
		}
	}
}
`

func startHostile(t *testing.T) (*caddy, *receiver) {
	t.Setenv("HOOKGATE_STD_SECRET", stdSecret)
	rc := newReceiver(t)
	return startCaddy(t, hostileCaddyfile, map[string]any{"Upstream": rc.URL}), rc
}

// jsonOfSize is a signed-able JSON body of exactly n bytes with id.
func jsonOfSize(id string, n int) string {
	head := fmt.Sprintf(`{"id":%q,"pad":"`, id)
	return head + strings.Repeat("x", n-len(head)-2) + `"}`
}

func TestBodiesAroundMaxBody(t *testing.T) {
	c, rc := startHostile(t)
	want := map[int]int{1023: 202, 1024: 202, 1025: 413, 1 << 20: 413}
	accepted := 0
	for size, code := range want {
		for _, chunked := range []bool{false, true} {
			body := jsonOfSize(fmt.Sprintf("evt_%d_%v", size, chunked), size)
			req := c.request("/hooks/in", body, nil)
			if chunked {
				req.ContentLength = -1 // sent chunked: only reading can tell the size
				req.Body = nopCloser(body)
			}
			got, resp := do(t, req)
			assert.Equal(t, code, got, "%d bytes, chunked %v: %s", size, chunked, resp)
			if got == 202 {
				accepted++
			}
		}
	}
	waitFor(t, 5*time.Second, "the accepted bodies delivered", func() bool { return len(rc.deliveries()) == accepted })
	for _, d := range rc.deliveries() {
		assert.LessOrEqual(t, len(d.Body), 1024)
	}
}

// TestGzipBombIsNeitherDecompressedNorTrusted: 50 MB of zeros in 50 KB of
// gzip. Signatures are over the bytes sent, so the bomb is verified and
// stored as sent (and forwarded with its Content-Encoding), never inflated.
func TestGzipBombIsNeitherDecompressedNorTrusted(t *testing.T) {
	c, rc := startHostile(t)
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.BestCompression)
	zero := make([]byte, 1<<20)
	for range 50 {
		_, _ = zw.Write(zero)
	}
	require.NoError(t, zw.Close())
	bomb := buf.String()
	require.Less(t, len(bomb), 2<<20)

	hdr := map[string]string{"Content-Encoding": "gzip", "Content-Type": "application/octet-stream", "X-Delivery": "bomb-1"}
	hdr["X-Webhook-Signature"] = "00"
	code, _ := c.post("/hooks/big", bomb, hdr)
	assert.Equal(t, http.StatusUnauthorized, code)
	delete(hdr, "X-Webhook-Signature") // request() signs the raw bytes
	code, resp := c.post("/hooks/big", bomb, hdr)
	require.Equal(t, http.StatusAccepted, code, resp)
	waitFor(t, 5*time.Second, "the bomb delivered", func() bool { return len(rc.deliveries()) == 1 })
	d := rc.deliveries()[0]
	assert.Equal(t, bomb, d.Body, "stored and forwarded as sent")
	assert.Equal(t, "gzip", d.Header.Get("Content-Encoding"))
	assert.Less(t, rssMiB(t, c), 200, "Caddy's memory after the bomb (MiB)")
}

// TestHostileJSONInDedupePaths posts, to the unsigned route, bodies that
// make a JSON path lookup work hard: each must be a quick 400, and Caddy
// must be there afterwards (1 MiB of '[' used to take 128 MB of stack).
func TestHostileJSONInDedupePaths(t *testing.T) {
	c, rc := startHostile(t)
	for name, body := range map[string]string{
		"invalid UTF-8":        "{\"id\":\"\xff\xfe\xfd\"}",
		"1 MiB of [":           strings.Repeat("[", 1<<20),
		"100k levels of {":     `{"id":"x","a":` + strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000) + `}`,
		"unterminated":         `{"id":"x"`,
		"id is an object":      `{"id":{"a":1}}`,
		"trailing garbage":     `{"id":"x"}]]]`,
		"NUL in the key field": "{\"id\":\"a\\u0000b\",\"n\":1}",
	} {
		start := time.Now()
		code, resp := c.post("/hooks/open", body, nil)
		if name == "NUL in the key field" {
			assert.Equal(t, http.StatusAccepted, code, resp) // a valid key: a NUL is data, not structure
			continue
		}
		assert.Equal(t, http.StatusBadRequest, code, "%s: %s", name, resp)
		assert.Less(t, time.Since(start), 2*time.Second, name)
	}
	var wg sync.WaitGroup
	codes := make([]int, 8)
	for i := range codes { // at once: the memory of each must not add up
		wg.Go(func() { codes[i], _, _ = send(c.request("/hooks/open", strings.Repeat("[", 2<<20-1), nil)) })
	}
	wg.Wait()
	for _, code := range codes {
		assert.Equal(t, http.StatusBadRequest, code)
	}
	code, resp := c.post("/hooks/open", `{"id":"after"}`, nil)
	assert.Equal(t, http.StatusAccepted, code, "Caddy still serves: %s", resp)
	waitFor(t, 5*time.Second, "deliveries", func() bool { return len(rc.deliveries()) == 2 })
}

func TestHeaderValuesOf64KiB(t *testing.T) {
	c, rc := startHostile(t)
	huge := strings.Repeat("a", 64<<10)
	code, _ := c.post("/hooks/in", `{"id":"h1"}`, map[string]string{"X-Webhook-Signature": huge})
	assert.Equal(t, http.StatusUnauthorized, code, "a 64 KiB signature")
	code, resp := c.post("/hooks/big", `{"id":"h2"}`, map[string]string{"X-Delivery": huge})
	assert.Equal(t, http.StatusBadRequest, code, "a 64 KiB dedupe key: %s", resp)
	code, resp = c.post("/hooks/in", `{"id":"h3"}`, map[string]string{"X-Junk": huge})
	require.Equal(t, http.StatusAccepted, code, resp)
	waitFor(t, 5*time.Second, "delivery", func() bool { return len(rc.deliveries()) == 1 })
	assert.Equal(t, huge, rc.deliveries()[0].Header.Get("X-Junk"), "kept as received")
}

// TestThousandsOfSignaturesInOneHeader: 5000 candidate signatures must not
// cost 5000 comparisons per secret, nor verify.
func TestThousandsOfSignaturesInOneHeader(t *testing.T) {
	c, _ := startHostile(t)
	body := `{"id":"evt_many","type":"x"}`
	now := fmt.Sprint(time.Now().Unix())
	fake := strings.Repeat("ab", 32)
	stripe := "t=" + now + strings.Repeat(",v1="+fake, 5000)
	std := strings.TrimSpace(strings.Repeat("v1,"+base64.StdEncoding.EncodeToString([]byte(fake[:32]))+" ", 5000))
	for name, hdr := range map[string]map[string]string{
		"stripe":            {"Stripe-Signature": stripe},
		"standard_webhooks": {"Webhook-Id": "msg_many", "Webhook-Timestamp": now, "Webhook-Signature": std},
	} {
		path := map[string]string{"stripe": "/hooks/stripe", "standard_webhooks": "/hooks/std"}[name]
		start := time.Now()
		code, resp := c.post(path, body, hdr)
		assert.Equal(t, http.StatusUnauthorized, code, "%s: %s", name, resp)
		assert.Less(t, time.Since(start), time.Second, name)
	}
	// The same with the one good signature last: still refused, since only
	// the first parts are examined.
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(now + "." + body))
	code, _ := c.post("/hooks/stripe", body, map[string]string{"Stripe-Signature": stripe + fmt.Sprintf(",v1=%x", m.Sum(nil))})
	assert.Equal(t, http.StatusUnauthorized, code)
}

func TestNonPostMethodsAre405(t *testing.T) {
	c, rc := startHostile(t)
	for _, method := range []string{http.MethodGet, http.MethodHead, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodOptions, "PROPFIND"} {
		req := c.request("/hooks/in", `{"id":"m"}`, nil)
		req.Method = method
		code, _ := do(t, req)
		assert.Equal(t, http.StatusMethodNotAllowed, code, method)
	}
	time.Sleep(200 * time.Millisecond)
	assert.Empty(t, rc.deliveries())
}
