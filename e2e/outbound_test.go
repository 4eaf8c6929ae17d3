package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature"
)

// outSecret signs the outbound test routes (Standard Webhooks: base64 after
// whsec_). It is written in the Caddyfile, so it must stay out of the logs
// and the admin API's answers.
const outSecret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

// outboundGlobal starts every outbound Caddyfile.
const outboundGlobal = `{
	admin {{.Admin}}
	webhooks {
		storage embedded
	}
}
`

// startOutbound runs Caddy with routes (a template over .HTTP, .Admin and
// vars) inside the site block.
func startOutbound(t *testing.T, routes string, vars map[string]any) *caddy {
	c := startCaddy(t, outboundGlobal+"http://{{.HTTP}} {\n"+routes+"\n}\n", vars)
	t.Cleanup(func() {
		if strings.Contains(c.logs(), outSecret) {
			t.Errorf("an outbound secret reached Caddy's log")
		}
	})
	return c
}

// emit submits body to path as an app would.
func emit(t *testing.T, c *caddy, path, body string, header map[string]string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, "http://"+c.HTTP+path, strings.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range header {
		req.Header.Set(k, v)
	}
	code, text := do(t, req)
	var out map[string]any
	require.NoError(t, json.Unmarshal([]byte(text), &out), text)
	return code, out
}

// adminJSON calls the admin API with a JSON body and decodes the answer.
func adminJSON(t *testing.T, c *caddy, method, path string, body any, out any) (int, string) {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, err := http.NewRequest(method, "http://"+c.Admin+path, rd)
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	code, text := do(t, req)
	require.NotContains(t, text, outSecret)
	if out != nil && code < 300 {
		require.NoError(t, json.Unmarshal([]byte(text), out), text)
	}
	return code, text
}

// verifyStandard checks a delivery's Standard Webhooks signature twice:
// with Hookgate's signature package, and with the spec's recipe written
// out here (HMAC-SHA256 of "id.timestamp.body", base64, "v1," prefix).
func verifyStandard(t *testing.T, d delivery, secret string) {
	t.Helper()
	v, err := signature.Config{Scheme: "standard_webhooks"}.NewVerifier([]string{secret}, 0)
	require.NoError(t, err)
	r, _ := http.NewRequest(http.MethodPost, "http://receiver"+d.URI, nil)
	r.Header = d.Header
	require.NoError(t, v.Verify(r, []byte(d.Body), time.Now()), "signature package")
	assert.NoError(t, verifyStandardWebhook(d, secret), "spec recipe")
}

const signedTo = `
	route /emit {
		webhook_outbound {{.To}} {
			name emit
			sign standard_webhooks {
				secret ` + outSecret + `
			}
			retry 1100ms
			max_attempts 5
			allow_http
			allow_private 127.0.0.0/8
		}
	}
`

// TestOutboundSignedDelivery: 202 with an id, then the customer gets the
// body byte for byte with its content type, each attempt signed afresh
// under one stable webhook-id; an Idempotency-Key resubmission queues
// nothing.
func TestOutboundSignedDelivery(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ *http.Request, _ http.ResponseWriter) int {
		if n == 1 {
			return http.StatusServiceUnavailable
		}
		return http.StatusNoContent
	})
	c := startOutbound(t, signedTo, map[string]any{"To": rc.URL + "/hooks"})
	body := "{\"type\":\"order.created\",  \"id\": 7}\n" // odd spacing: no re-serialisation
	req, _ := http.NewRequest(http.MethodPost, "http://"+c.HTTP+"/emit", strings.NewReader(body))
	req.Header.Set("Content-Type", "application/vnd.acme+json; charset=utf-8")
	req.Header.Set("Idempotency-Key", "order-7")
	req.Header.Set("Authorization", "Bearer app-internal")
	code, text := do(t, req)
	require.Equal(t, http.StatusAccepted, code, text)
	var ans struct{ ID, Status string }
	require.NoError(t, json.Unmarshal([]byte(text), &ans))

	waitFor(t, 10*time.Second, "two attempts", func() bool { return len(rc.deliveries()) >= 2 })
	got := rc.deliveries()
	for _, d := range got {
		assert.Equal(t, body, d.Body)
		assert.Equal(t, "application/vnd.acme+json; charset=utf-8", d.Header.Get("Content-Type"))
		assert.Equal(t, ans.ID, d.Header.Get("Webhook-Id"))
		assert.Empty(t, d.Header.Get("Authorization"), "the app's own headers stay home")
		assert.Equal(t, "/hooks", d.URI)
		verifyStandard(t, d, outSecret)
	}
	assert.NotEqual(t, got[0].Header.Get("Webhook-Timestamp"), got[1].Header.Get("Webhook-Timestamp"), "signed afresh")
	assert.Equal(t, []string{"1", "2"}, []string{got[0].Header.Get("Webhook-Attempt"), got[1].Header.Get("Webhook-Attempt")})

	code, again := emit(t, c, "/emit", body, map[string]string{"Idempotency-Key": "order-7"})
	assert.Equal(t, http.StatusOK, code)
	assert.Equal(t, ans.ID, again["id"])
	assert.Equal(t, "duplicate", again["status"])
	time.Sleep(300 * time.Millisecond)
	assert.Len(t, rc.deliveries(), 2)
}

// TestOutboundRetryAfter: a 429 or 503 with Retry-After: 2 holds the next
// attempt back for 2 s although the schedule says 100ms; 408 and 425 are
// retried like them, until the delivery succeeds.
func TestOutboundRetryAfter(t *testing.T) {
	statuses := []int{http.StatusTooManyRequests, http.StatusServiceUnavailable, http.StatusRequestTimeout, http.StatusTooEarly, http.StatusNoContent}
	rc := newReceiver(t)
	rc.setAnswer(func(n int, _ *http.Request, w http.ResponseWriter) int {
		if n > len(statuses) {
			return http.StatusNoContent
		}
		if statuses[n-1] == http.StatusTooManyRequests || statuses[n-1] == http.StatusServiceUnavailable {
			w.Header().Set("Retry-After", "2")
		}
		return statuses[n-1]
	})
	routes := strings.Replace(signedTo, "retry 1100ms", "retry 100ms", 1)
	c := startOutbound(t, routes, map[string]any{"To": rc.URL})
	code, ans := emit(t, c, "/emit", `{"type":"order.paid"}`, nil)
	require.Equal(t, http.StatusAccepted, code, ans)

	waitFor(t, 15*time.Second, "every attempt", func() bool { return len(rc.deliveries()) == len(statuses) })
	d := rc.deliveries()
	for i := range d {
		assert.Equal(t, fmt.Sprint(i+1), d[i].Header.Get("Webhook-Attempt"))
		assert.Equal(t, ans["id"], d[i].Header.Get("Webhook-Id"))
	}
	// The attempt after each Retry-After: 2 comes no sooner than 2 s (the
	// receiver records when it was asked; the answer left after that).
	for _, i := range []int{1, 2} {
		assert.GreaterOrEqual(t, d[i].At.Sub(d[i-1].At), 1950*time.Millisecond, "Retry-After: 2 after a %d was not honoured", statuses[i-1])
	}
	waitFor(t, 5*time.Second, "the delivery recorded", func() bool {
		q := c.stats().Queues["outbound:emit"]
		return q.Queued == 0 && q.InFlight == 0
	})
	assert.Zero(t, c.stats().Queues["outbound:emit"].Dead, "408 and 425 are retried, not dead-lettered")
}

const ssrfRoutes = `
	route /strict {
		webhook_outbound {
			name strict
			destination_header Webhook-Destination
			allow_http
			sign standard_webhooks {
				secret ` + outSecret + `
			}
		}
	}
	route /lab {
		webhook_outbound {
			name lab
			destination_header Webhook-Destination
			allow_http
			allow_private 127.0.0.0/8
			sign standard_webhooks {
				secret ` + outSecret + `
			}
		}
	}
	route /byname {
		webhook_outbound {{.ByName}} {
			name byname
			allow_http
			max_attempts 1
			sign standard_webhooks {
				secret ` + outSecret + `
			}
		}
	}
`

// TestOutboundSSRF: loopback (by address or by a name resolving to it),
// metadata and https-only refusals at submission, allow_private opening a
// prefix, and the connect-time check catching a name the config accepted.
func TestOutboundSSRF(t *testing.T) {
	rc := newReceiver(t)
	port := strings.TrimPrefix(rc.URL, "http://127.0.0.1:")
	c := startOutbound(t, ssrfRoutes, map[string]any{"ByName": "http://localhost:" + port + "/"})
	dest := func(u string) map[string]string { return map[string]string{"Webhook-Destination": u} }
	for _, u := range []string{rc.URL, "http://localhost:" + port, "http://[::ffff:127.0.0.1]:" + port, "http://169.254.169.254/latest/meta-data/", "http://10.0.0.1/"} {
		code, ans := emit(t, c, "/strict", `{}`, dest(u))
		assert.Equal(t, http.StatusUnprocessableEntity, code, "%s: %v", u, ans)
		assert.Contains(t, ans["error"], "not allowed")
	}
	code, _ := emit(t, c, "/lab", `{}`, dest("http://169.254.169.254/"))
	assert.Equal(t, http.StatusUnprocessableEntity, code, "allow_private 127.0.0.0/8 opens nothing else")
	code, ans := emit(t, c, "/lab", `{"ok":1}`, dest(rc.URL+"/in"))
	require.Equal(t, http.StatusAccepted, code, ans)
	waitFor(t, 5*time.Second, "the allowed delivery", func() bool { return len(rc.deliveries()) == 1 })

	// The config's name is resolved at connect time, to loopback: refused.
	code, ans = emit(t, c, "/byname", `{}`, nil)
	require.Equal(t, http.StatusAccepted, code, ans)
	path := "/webhooks/messages/" + ans["id"].(string)
	waitFor(t, 5*time.Second, "the dial to be refused", func() bool {
		var m struct {
			State     string
			LastError string `json:"last_error"`
		}
		return c.admin(http.MethodGet, path, &m) == http.StatusOK && m.State == "dead" && strings.Contains(m.LastError, "not allowed")
	})
	assert.Len(t, rc.deliveries(), 1)
}

const fanOutRoutes = `
	route /events {
		webhook_outbound {
			name events
			event_type {json.type}
			allow_http
			allow_private 127.0.0.0/8
			retry 100ms
			endpoint orders {{.A}} {
				events order.*
				sign standard_webhooks {
					secret ` + outSecret + `
				}
			}
			endpoint billing {{.B}} {
				events order.created invoice.*
				sign contextfile {
					secret {env.HOOKGATE_SECRET}
				}
			}
		}
	}
`

type endpointAnswer struct {
	ID, URL, Route, Queue, Secret string
	Events                        []string
	Active                        bool
	DisabledReason                string `json:"disabled_reason"`
}

// TestOutboundFanOut: one submission reaches every endpoint whose filter
// takes its type, each signed its own way; an event no one takes is
// accepted as no_endpoint; an endpoint created through the admin API gets
// a secret once, signs with it, and a rotation signs with both secrets.
func TestOutboundFanOut(t *testing.T) {
	ra, rb, rc := newReceiver(t), newReceiver(t), newReceiver(t)
	c := startOutbound(t, fanOutRoutes, map[string]any{"A": ra.URL, "B": rb.URL})

	code, ans := emit(t, c, "/events", `{"type":"order.created"}`, nil)
	require.Equal(t, http.StatusAccepted, code, ans)
	assert.Len(t, ans["deliveries"], 2)
	code, ans = emit(t, c, "/events", `{"type":"invoice.paid"}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, "billing", ans["deliveries"].([]any)[0].(map[string]any)["endpoint"])
	code, ans = emit(t, c, "/events", `{"type":"user.created"}`, nil)
	assert.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, "no_endpoint", ans["status"])
	waitFor(t, 5*time.Second, "fan-out deliveries", func() bool { return len(ra.deliveries()) == 1 && len(rb.deliveries()) == 2 })
	verifyStandard(t, ra.deliveries()[0], outSecret)
	for _, d := range rb.deliveries() {
		assert.Equal(t, sign(d.Body), d.Header.Get("X-Webhook-Signature"), "contextfile: hex HMAC of the body")
	}

	// Created through the admin API: the secret is in this answer only.
	var created endpointAnswer
	code, text := adminJSON(t, c, http.MethodPost, "/webhooks/endpoints", map[string]any{"route": "events", "id": "users", "url": rc.URL, "events": []string{"user.*"}}, &created)
	require.Equal(t, http.StatusCreated, code, text)
	require.True(t, strings.HasPrefix(created.Secret, "whsec_"), text)
	var list struct{ Endpoints []endpointAnswer }
	_, text = adminJSON(t, c, http.MethodGet, "/webhooks/endpoints", nil, &list)
	assert.NotContains(t, text, created.Secret)
	assert.NotContains(t, text, "whsec_")
	assert.Len(t, list.Endpoints, 3)
	_, text = adminJSON(t, c, http.MethodGet, "/webhooks/endpoints/users", nil, nil)
	assert.NotContains(t, text, created.Secret)

	code, ans = emit(t, c, "/events", `{"type":"user.created"}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	assert.Len(t, ans["deliveries"], 1)
	waitFor(t, 5*time.Second, "the admin endpoint's delivery", func() bool { return len(rc.deliveries()) == 1 })
	verifyStandard(t, rc.deliveries()[0], created.Secret)

	var rotated endpointAnswer
	code, _ = adminJSON(t, c, http.MethodPost, "/webhooks/endpoints/users/rotate", nil, &rotated)
	require.Equal(t, http.StatusOK, code)
	require.NotEqual(t, created.Secret, rotated.Secret)
	emit(t, c, "/events", `{"type":"user.deleted"}`, nil)
	waitFor(t, 5*time.Second, "a delivery after rotation", func() bool { return len(rc.deliveries()) == 2 })
	verifyStandard(t, rc.deliveries()[1], rotated.Secret)
	verifyStandard(t, rc.deliveries()[1], created.Secret) // during the grace period

	code, _ = adminJSON(t, c, http.MethodDelete, "/webhooks/endpoints/orders", nil, nil)
	assert.Equal(t, http.StatusConflict, code, "config endpoints are changed in the config")
	code, _ = adminJSON(t, c, http.MethodPost, "/webhooks/endpoints", map[string]any{"route": "events", "url": "http://169.254.169.254/"}, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	code, _ = adminJSON(t, c, http.MethodDelete, "/webhooks/endpoints/users", nil, nil)
	assert.Equal(t, http.StatusNoContent, code)
}

// TestOutboundEndpointPatch: PATCH /webhooks/endpoints/{id} changes an
// endpoint's URL (a message queued before goes to the new one: the URL is
// read at send time), its events (submissions afterwards follow the new
// filter) and whether it is active; config endpoints keep their URL and
// the SSRF guard checks the new one.
func TestOutboundEndpointPatch(t *testing.T) {
	unused, before, after := newReceiver(t), newReceiver(t), newReceiver(t)
	before.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusInternalServerError })
	// Retries outlast the PATCH, so the first message is still queued.
	routes := strings.Replace(fanOutRoutes, "retry 100ms", "retry 100ms\n\t\t\tmax_attempts 200", 1)
	c := startOutbound(t, routes, map[string]any{"A": unused.URL, "B": unused.URL})
	var created endpointAnswer
	code, text := adminJSON(t, c, http.MethodPost, "/webhooks/endpoints", map[string]any{"route": "events", "id": "users", "url": before.URL + "/v1", "events": []string{"user.*"}}, &created)
	require.Equal(t, http.StatusCreated, code, text)

	code, first := emit(t, c, "/events", `{"type":"user.created"}`, nil)
	require.Equal(t, http.StatusAccepted, code, first)
	waitFor(t, 5*time.Second, "a failed attempt at the old URL", func() bool { return len(before.deliveries()) >= 1 })
	assert.Equal(t, "/v1", before.deliveries()[0].URI)

	var patched endpointAnswer
	code, text = adminJSON(t, c, http.MethodPatch, "/webhooks/endpoints/users", map[string]any{"url": after.URL + "/v2", "events": []string{"account.*"}}, &patched)
	require.Equal(t, http.StatusOK, code, text)
	assert.Equal(t, after.URL+"/v2", patched.URL)
	assert.Equal(t, []string{"account.*"}, patched.Events)
	assert.True(t, patched.Active)
	assert.Equal(t, patched, endpointState(t, c, "users"), "the change is what GET shows")

	firstID := deliveryIDs(first)["users"]
	waitFor(t, 5*time.Second, "the queued message at the new URL", func() bool { return len(after.deliveries()) == 1 })
	assert.Equal(t, firstID, after.deliveries()[0].Header.Get("Webhook-Id"))
	assert.Equal(t, "/v2", after.deliveries()[0].URI)
	verifyStandard(t, after.deliveries()[0], created.Secret)

	code, ans := emit(t, c, "/events", `{"type":"account.closed"}`, nil)
	require.Equal(t, http.StatusAccepted, code, ans)
	assert.Contains(t, deliveryIDs(ans), "users", "the new filter takes account.*")
	code, ans = emit(t, c, "/events", `{"type":"user.deleted"}`, nil)
	assert.Equal(t, http.StatusAccepted, code)
	assert.Equal(t, "no_endpoint", ans["status"], "the old filter is gone")
	waitFor(t, 5*time.Second, "the account event at the new URL", func() bool { return len(after.deliveries()) == 2 })
	assert.JSONEq(t, `{"type":"account.closed"}`, after.deliveries()[1].Body)

	code, text = adminJSON(t, c, http.MethodPatch, "/webhooks/endpoints/users", map[string]any{"active": false}, &patched)
	require.Equal(t, http.StatusOK, code, text)
	assert.False(t, patched.Active)
	code, ans = emit(t, c, "/events", `{"type":"account.opened"}`, nil)
	assert.Equal(t, http.StatusConflict, code, ans)
	assert.Contains(t, ans["error"], "users")
	code, _ = adminJSON(t, c, http.MethodPatch, "/webhooks/endpoints/users", map[string]any{"active": true}, nil)
	require.Equal(t, http.StatusOK, code)
	code, ans = emit(t, c, "/events", `{"type":"account.opened"}`, nil)
	assert.Equal(t, http.StatusAccepted, code, ans)
	waitFor(t, 5*time.Second, "the delivery after enabling", func() bool { return len(after.deliveries()) == 3 })

	code, _ = adminJSON(t, c, http.MethodPatch, "/webhooks/endpoints/users", map[string]any{"url": "http://169.254.169.254/"}, nil)
	assert.Equal(t, http.StatusUnprocessableEntity, code)
	code, _ = adminJSON(t, c, http.MethodPatch, "/webhooks/endpoints/orders", map[string]any{"url": after.URL}, nil)
	assert.Equal(t, http.StatusConflict, code, "a config endpoint's URL is the config's")
	assert.Equal(t, after.URL+"/v2", endpointState(t, c, "users").URL)
	assert.Empty(t, unused.deliveries(), "no config endpoint takes user.* or account.*")
}

// TestOutboundFanOutDisabled: when every endpoint that takes an event is
// disabled, the submission gets 409 and claims nothing (the same
// Idempotency-Key is accepted once enabled); when some are active, the 202
// names the disabled ones it skipped, which get nothing.
func TestOutboundFanOutDisabled(t *testing.T) {
	ra, rb := newReceiver(t), newReceiver(t)
	c := startOutbound(t, fanOutRoutes, map[string]any{"A": ra.URL, "B": rb.URL})
	code, _ := adminJSON(t, c, http.MethodPost, "/webhooks/endpoints/orders/disable", nil, nil)
	require.Equal(t, http.StatusOK, code)

	idem := map[string]string{"Idempotency-Key": "order-9-updated"}
	code, ans := emit(t, c, "/events", `{"type":"order.updated"}`, idem)
	assert.Equal(t, http.StatusConflict, code, ans)
	assert.Contains(t, ans["error"], "orders")
	assert.Equal(t, 1.0, c.metric("hookgate_received_total", `result="endpoint_disabled",route="events"`))

	code, ans = emit(t, c, "/events", `{"type":"order.created"}`, nil)
	require.Equal(t, http.StatusAccepted, code, ans)
	assert.Equal(t, []string{"billing"}, slices.Sorted(maps.Keys(deliveryIDs(ans))))
	assert.Equal(t, []any{"orders"}, ans["skipped"])

	code, _ = adminJSON(t, c, http.MethodPost, "/webhooks/endpoints/orders/enable", nil, nil)
	require.Equal(t, http.StatusOK, code)
	code, ans = emit(t, c, "/events", `{"type":"order.updated"}`, idem)
	require.Equal(t, http.StatusAccepted, code, ans)
	assert.Equal(t, "queued", ans["status"], "the 409 claimed no key")
	assert.Equal(t, []string{"orders"}, slices.Sorted(maps.Keys(deliveryIDs(ans))))
	assert.NotContains(t, ans, "skipped")

	waitFor(t, 5*time.Second, "both deliveries", func() bool { return len(ra.deliveries()) == 1 && len(rb.deliveries()) == 1 })
	time.Sleep(300 * time.Millisecond)
	require.Len(t, ra.deliveries(), 1, "orders got nothing while it was disabled")
	assert.JSONEq(t, `{"type":"order.updated"}`, ra.deliveries()[0].Body)
	assert.JSONEq(t, `{"type":"order.created"}`, rb.deliveries()[0].Body)
}

// deliveryIDs maps the endpoints of a fan-out answer to their message ids.
func deliveryIDs(ans map[string]any) map[string]string {
	out := map[string]string{}
	list, _ := ans["deliveries"].([]any)
	for _, d := range list {
		d := d.(map[string]any)
		out[d["endpoint"].(string)] = d["id"].(string)
	}
	return out
}

const disableRoutes = `
	route /gone {
		webhook_outbound {{.Gone}} {
			name gone
			allow_http
			allow_private 127.0.0.0/8
			sign standard_webhooks {
				secret ` + outSecret + `
			}
		}
	}
	route /flaky {
		webhook_outbound {{.Flaky}} {
			name flaky
			allow_http
			allow_private 127.0.0.0/8
			retry 100ms
			max_attempts 50
			disable_after 3
			sign standard_webhooks {
				secret ` + outSecret + `
			}
		}
	}
`

func endpointState(t *testing.T, c *caddy, id string) endpointAnswer {
	var e endpointAnswer
	code, text := adminJSON(t, c, http.MethodGet, "/webhooks/endpoints/"+id, nil, &e)
	require.Equal(t, http.StatusOK, code, text)
	return e
}

// TestOutboundDisable: a 410 disables the endpoint at once (submissions
// then get 409), disable_after consecutive failures disable it with its
// messages kept waiting, and enabling it through the admin API delivers
// them; a dead letter is replayed through the admin API.
func TestOutboundDisable(t *testing.T) {
	gone, flaky := newReceiver(t), newReceiver(t)
	gone.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusGone })
	flaky.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusInternalServerError })
	c := startOutbound(t, disableRoutes, map[string]any{"Gone": gone.URL, "Flaky": flaky.URL})

	code, first := emit(t, c, "/gone", `{"n":1}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	waitFor(t, 5*time.Second, "410 to disable", func() bool { return !endpointState(t, c, "gone").Active })
	assert.Contains(t, endpointState(t, c, "gone").DisabledReason, "410")
	code, _ = emit(t, c, "/gone", `{"n":2}`, nil)
	assert.Equal(t, http.StatusConflict, code)
	gone.setAnswer(nil)
	code, _ = adminJSON(t, c, http.MethodPost, "/webhooks/endpoints/gone/enable", nil, nil)
	require.Equal(t, http.StatusOK, code)
	code, _ = emit(t, c, "/gone", `{"n":3}`, nil)
	assert.Equal(t, http.StatusAccepted, code)
	// The 410'd message is a dead letter: replay it.
	assert.Equal(t, http.StatusOK, c.admin(http.MethodPost, "/webhooks/messages/"+first["id"].(string)+"/replay", nil))
	waitFor(t, 5*time.Second, "the replay and the new message", func() bool { return len(gone.deliveries()) == 3 })

	for i := range 2 {
		code, _ = emit(t, c, "/flaky", fmt.Sprintf(`{"n":%d}`, i), nil)
		require.Equal(t, http.StatusAccepted, code)
	}
	waitFor(t, 5*time.Second, "disable_after", func() bool { return !endpointState(t, c, "flaky").Active })
	time.Sleep(500 * time.Millisecond)
	n := len(flaky.deliveries())
	assert.LessOrEqual(t, n, 4, "attempts stop once disabled (two may be in flight)")
	time.Sleep(500 * time.Millisecond)
	assert.Equal(t, n, len(flaky.deliveries()), "a disabled endpoint's messages wait")
	assert.Equal(t, 2, c.stats().Queues["outbound:flaky"].Queued)

	out, err := webhookCLI(t, "", "endpoints", "--address", c.Admin)
	require.NoError(t, err, out)
	assert.Regexp(t, `flaky\s+flaky\s+http://\S+\s+\S*\s+false\s+3 consecutive failed attempts`, out)
	flaky.setAnswer(nil)
	out, err = webhookCLI(t, "", "enable", "flaky", "--address", c.Admin) // the CLI over the admin API
	require.NoError(t, err, out)
	waitFor(t, 5*time.Second, "the waiting messages", func() bool { return c.stats().Queues["outbound:flaky"].Queued == 0 })
	assert.Zero(t, c.stats().Queues["outbound:flaky"].Dead)
}

// TestOutboundDeadLetterAndCrash: a message past max_attempts is a dead
// letter, replayed through the admin API; queued messages survive kill -9.
func TestOutboundDeadLetterAndCrash(t *testing.T) {
	rc := newReceiver(t)
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusBadGateway })
	routes := strings.Replace(signedTo, "max_attempts 5", "max_attempts 2", 1)
	routes = strings.Replace(routes, "retry 1100ms", "retry 100ms", 1)
	c := startOutbound(t, routes, map[string]any{"To": rc.URL})

	code, ans := emit(t, c, "/emit", `{"dead":1}`, nil)
	require.Equal(t, http.StatusAccepted, code)
	waitFor(t, 5*time.Second, "a dead letter", func() bool { return c.stats().Queues["outbound:emit"].Dead == 1 })
	rc.setAnswer(nil)
	assert.Equal(t, http.StatusOK, c.admin(http.MethodPost, "/webhooks/messages/"+ans["id"].(string)+"/replay", nil))
	waitFor(t, 5*time.Second, "the replay", func() bool { return len(rc.deliveries()) == 3 })

	// Crash with messages queued (the receiver slow to come back).
	rc.setAnswer(func(int, *http.Request, http.ResponseWriter) int { return http.StatusServiceUnavailable })
	routes = strings.Replace(routes, "max_attempts 2", "max_attempts 50", 1)
	c.reload(outboundGlobal + "http://{{.HTTP}} {\n" + strings.Replace(routes, "retry 100ms", "retry 2s", 1) + "\n}\n")
	ids := map[string]bool{}
	for i := range 5 {
		code, ans = emit(t, c, "/emit", fmt.Sprintf(`{"crash":%d}`, i), nil)
		require.Equal(t, http.StatusAccepted, code)
		ids[ans["id"].(string)] = true
	}
	c.kill()
	killedAt := time.Now()
	rc.setAnswer(nil)
	c.start()
	waitFor(t, 10*time.Second, "every queued message after the crash", func() bool {
		seen := map[string]bool{}
		for _, d := range rc.deliveries() {
			if ids[d.Header.Get("Webhook-Id")] && d.At.After(killedAt) {
				seen[d.Header.Get("Webhook-Id")] = true
			}
		}
		return len(seen) == len(ids)
	})
}
