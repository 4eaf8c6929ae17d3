package e2e

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"
)

// inspectCaddyfile has two routes to one upstream, "seen" with inspect on
// and "hidden" without, an outbound route with inspect on, and the
// dashboard.
const inspectCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		storage {{.Storage}}
	}
}
:{{.Port}} {
	bind 127.0.0.1
	route /hooks/seen {
		webhook_inbound {
			name seen
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			inspect on
			upstream {{.Upstream}}
		}
	}
	route /hooks/hidden {
		webhook_inbound {
			name hidden
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			upstream {{.Upstream}}
		}
	}
	route /emit {
		webhook_outbound {
			name emit
			to {{.Upstream}}/out
			allow_http
			allow_private 127.0.0.0/8
			sign standard_webhooks {
				secret whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw
			}
			inspect on
		}
	}
	route /hookgate/* {
		webhook_dashboard
	}
}
`

type inspectedMessage struct {
	ID, Queue     string
	Header        http.Header
	HeaderNames   []string `json:"header_names"`
	Inspected     bool
	Body          string
	BodyEncoding  string `json:"body_encoding"`
	BodyTruncated bool   `json:"body_truncated"`
}

// TestInspectShowsBodiesAndRedactedHeaders: a dead letter of a route with
// inspect on shows its body and headers, the signature, Authorization and
// any key-like header redacted, on the admin API and the dashboard's api/
// and page; one of a route without shows neither body nor header values.
// On the embedded store and on Redis.
func TestInspectShowsBodiesAndRedactedHeaders(t *testing.T) {
	t.Run("embedded", func(t *testing.T) { testInspect(t, "embedded", true) })
	t.Run("redis", func(t *testing.T) {
		srv := redistest.Shared(t)
		prefix := fmt.Sprintf("inspect%d:", time.Now().UnixNano()) // the server is shared: a run of its own
		testInspect(t, "redis "+srv.URL()+" {\n\t\t\tkey_prefix "+prefix+"\n\t\t}", false)
	})
}

func testInspect(t *testing.T, storage string, page bool) {
	rc := newReceiver(t)
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusUnprocessableEntity })
	c := startCaddy(t, inspectCaddyfile, map[string]any{"Upstream": rc.URL, "Storage": storage})
	header := map[string]string{"Authorization": "Bearer tok_PRIVATE", "X-Api-Key": "key_PRIVATE", "X-Custom": "kept"}
	ids := map[string]string{}
	for _, route := range []string{"seen", "hidden"} {
		code, ack := c.post("/hooks/"+route, `{"id":"evt_`+route+`","customer":"ada@example.com"}`, header)
		require.Equal(t, http.StatusAccepted, code, ack)
		ids[route] = decodeAck(t, ack).ID
	}
	code, out := emit(t, c, "/emit", "\xff\x00binary", map[string]string{"X-Partner-Token": "ptk_PRIVATE", "X-Trace": "t1"})
	require.Equal(t, http.StatusAccepted, code, out)
	emitted, _ := out["id"].(string)
	waitFor(t, 5*time.Second, "three dead letters", func() bool {
		q := c.stats().Queues
		return q["seen"].Dead == 1 && q["hidden"].Dead == 1 && q["outbound:emit"].Dead == 1
	})

	read := func(t *testing.T, url string) (inspectedMessage, string) {
		code, body := do(t, mustRequest(t, http.MethodGet, url))
		require.Equal(t, http.StatusOK, code, body)
		var m inspectedMessage
		require.NoError(t, json.Unmarshal([]byte(body), &m))
		return m, body
	}
	for base, name := range map[string]string{"http://" + c.Admin + "/webhooks/": "admin API", "http://" + c.HTTP + "/hookgate/api/": "dashboard api/"} {
		t.Run(name, func(t *testing.T) {
			m, raw := read(t, base+"messages/"+ids["seen"])
			assert.True(t, m.Inspected)
			assert.Equal(t, `{"id":"evt_seen","customer":"ada@example.com"}`, m.Body)
			assert.Equal(t, "text", m.BodyEncoding)
			assert.Equal(t, "kept", m.Header.Get("X-Custom"))
			assert.Equal(t, "application/json", m.Header.Get("Content-Type"))
			for _, h := range []string{"X-Webhook-Signature", "Authorization", "X-Api-Key"} {
				assert.Equal(t, []string{"[redacted]"}, m.Header.Values(h), h)
			}
			for _, s := range []string{"PRIVATE", sign(`{"id":"evt_seen","customer":"ada@example.com"}`)} {
				assert.NotContains(t, raw, s)
			}

			m, raw = read(t, base+"messages/"+ids["hidden"])
			assert.False(t, m.Inspected)
			assert.Empty(t, m.Body)
			assert.Nil(t, m.Header)
			assert.Contains(t, m.HeaderNames, "X-Custom", "the names only, as without inspect")
			for _, s := range []string{"ada@example.com", "evt_hidden", "kept", "PRIVATE"} {
				assert.NotContains(t, raw, s)
			}
			_, list := read(t, base+"messages?state=dead")
			assert.NotContains(t, list, "ada@example.com", "a list never shows bodies")

			m, raw = read(t, base+"messages/"+emitted)
			assert.True(t, m.Inspected, "outbound: %s", raw)
			assert.Equal(t, "base64", m.BodyEncoding)
			assert.Equal(t, base64.StdEncoding.EncodeToString([]byte("\xff\x00binary")), m.Body)
			assert.Equal(t, http.Header{"Content-Type": {"application/json"}}, m.Header, "an outbound message keeps only its Content-Type")
			assert.NotContains(t, raw, "PRIVATE")
		})
	}
	if !page {
		return
	}

	t.Run("the page", func(t *testing.T) {
		ctx := browser(t)
		require.NoError(t, chromedp.Do(ctx,
			chromedp.Navigate("http://"+c.HTTP+"/hookgate/"),
			chromedp.Click(chromedp.CSS("#show-"+ids["seen"])),
			chromedp.WaitVisible(chromedp.CSS("#message-body")),
		))
		body, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#message-body")))
		require.NoError(t, err)
		assert.Contains(t, body, "ada@example.com")
		headers, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#message-headers tbody")))
		require.NoError(t, err)
		assert.Contains(t, headers, "[redacted]")
		assert.Contains(t, headers, "kept")
		assert.NotContains(t, headers, "PRIVATE")

		require.NoError(t, chromedp.Do(ctx,
			chromedp.Click(chromedp.CSS("#show-"+ids["hidden"])),
			chromedp.WaitNotVisible(chromedp.CSS("#message-body")),
		))
		note, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("#message-note")))
		require.NoError(t, err)
		assert.Contains(t, note, "inspect is off")
		page, err := chromedp.Run(ctx, chromedp.Text(chromedp.CSS("main")))
		require.NoError(t, err)
		assert.False(t, strings.Contains(page, "evt_hidden"), "the hidden route's body is nowhere on the page")
	})
}
