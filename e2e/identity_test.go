package e2e

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDedupeScopeIgnoresPathSpelling: Caddy's path matcher cleans and
// lower-cases, so one route takes /hooks/x, /HOOKS/x, //hooks/x and
// /hooks/./x. A route without a name must still dedupe them as one: a
// captured webhook resent under another spelling is a duplicate, for a
// queued route and for a verify-only one.
func TestDedupeScopeIgnoresPathSpelling(t *testing.T) {
	rc := newReceiver(t)
	c := startCaddy(t, `{
	admin {{.Admin}}
	webhooks {
		storage embedded
	}
}
http://{{.HTTP}} {
	route /hooks/queued {
		webhook_inbound {
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
			upstream {{.Upstream}}
		}
	}
	route /hooks/pass {
		webhook_inbound {
			verify hmac {
				header X-Webhook-Signature
				secret {env.HOOKGATE_SECRET}
			}
			dedupe {json.id}
		}
		reverse_proxy {{.UpstreamHost}}
	}
}
`, map[string]any{"Upstream": rc.URL, "UpstreamHost": rc.URL[len("http://"):]})
	body := `{"id":"evt_spelling"}`
	hdr := map[string]string{"X-Webhook-Signature": sign(body)}
	for _, route := range []string{"queued", "pass"} {
		t.Run(route, func(t *testing.T) {
			before := len(rc.deliveries())
			code, text := c.post("/hooks/"+route, body, hdr)
			require.Less(t, code, 300, text)
			for _, spelling := range []string{"/HOOKS/" + route, "//hooks/" + route, "/hooks/./" + route} {
				code, text := c.post(spelling, body, hdr)
				assert.Equal(t, http.StatusOK, code, "%s: %s", spelling, text)
				assert.Contains(t, text, "duplicate", spelling)
			}
			waitFor(t, 5*time.Second, "the first delivery", func() bool { return len(rc.deliveries()) > before })
			assert.Len(t, rc.deliveries(), before+1, "delivered once whatever the spelling")
		})
	}
}
