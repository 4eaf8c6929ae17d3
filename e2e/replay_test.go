package e2e

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// replayCaddyfile: presets whose senders leave their delivery id unsigned
// (GitHub) or sign only a token (Mailgun), with their default dedupe keys.
// The GitHub route re-signs deliveries, which a replay must not earn.
const replayCaddyfile = `{
	admin {{.Admin}}
	webhooks {
		storage embedded
	}
}
http://{{.HTTP}} {
	route /hooks/github {
		webhook_inbound {
			name github
			verify github {
				secret {env.HOOKGATE_SECRET}
			}
			upstream {{.Upstream}} {
				sign standard_webhooks {
					secret {env.HOOKGATE_STD_SECRET}
				}
			}
		}
	}
	route /hooks/mailgun {
		webhook_inbound {
			name mailgun
			verify mailgun {
				secret {env.HOOKGATE_SECRET}
			}
			upstream {{.Upstream}}
		}
	}
}
`

// TestReplayThroughUnsignedParts replays signed requests with new values of
// what their signatures do not cover: GitHub's X-GitHub-Delivery header,
// and the event data beside a Mailgun token. Each replay is a 200
// duplicate and nothing more is delivered; a form-encoded Mailgun post is
// accepted and delivered.
func TestReplayThroughUnsignedParts(t *testing.T) {
	t.Setenv("HOOKGATE_STD_SECRET", stdSecret)
	rc := newReceiver(t)
	c := startCaddy(t, replayCaddyfile, map[string]any{"Upstream": rc.URL})

	github := func(delivery string) hook {
		return hook{path: "/hooks/github", body: githubPing, header: http.Header{
			"X-GitHub-Event":      {"ping"},
			"X-GitHub-Delivery":   {delivery},
			"X-Hub-Signature-256": {"sha256=" + hexHMAC(secret, githubPing)},
		}}
	}
	d := expectQueued(t, c, rc, github("72d3162e-cc78-11e3-81ab-4c9367dc0958"), 1)
	assert.NotEmpty(t, d.Header.Get("Webhook-Signature"), "re-signed for the app")
	body := expectAnswered(t, c, rc, github("72d3162e-cc78-11e3-81ab-4c9367dc0958"), http.StatusOK, 1)
	assert.Contains(t, body, `"duplicate"`, "GitHub's own redelivery")
	body = expectAnswered(t, c, rc, github("00000000-0000-0000-0000-replayed0001"), http.StatusOK, 1)
	assert.Contains(t, body, `"duplicate"`, "a replay with a new X-GitHub-Delivery")

	ts := unix(time.Now())
	mailgunForm := func(token, event string) hook {
		form := url.Values{"timestamp": {ts}, "token": {token}, "signature": {hexHMAC(secret, ts+token)},
			"event": {event}, "recipient": {"alice@example.com"}}
		return hook{path: "/hooks/mailgun", body: form.Encode(),
			header: http.Header{"Content-Type": {"application/x-www-form-urlencoded"}}}
	}
	const token = "0a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f607182"
	first := mailgunForm(token, "delivered")
	d = expectQueued(t, c, rc, first, 2)
	assert.Equal(t, "application/x-www-form-urlencoded", d.Header.Get("Content-Type"))
	body = expectAnswered(t, c, rc, mailgunForm(token, "unsubscribed"), http.StatusOK, 2)
	assert.Contains(t, body, `"duplicate"`, "the same token with other event data")
	expectQueued(t, c, rc, mailgunForm("1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293", "opened"), 3)
	require.Len(t, rc.deliveries(), 3)
}
