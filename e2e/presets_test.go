package e2e

import (
	"crypto/ed25519"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// End-to-end tests of the preset examples: each runs examples/<provider>/Caddyfile
// in the real binary (only the admin, site and upstream addresses are pointed
// at the test's), sends that provider's documented payload, signed by hand
// here (not by the signature package), and checks what reaches the receiver.

// startExample runs the example Caddyfile of dir with env set, and returns
// Caddy and the receiver its upstream points at.
func startExample(t *testing.T, dir string, env map[string]string) (*caddy, *receiver) {
	t.Helper()
	for k, v := range env {
		t.Setenv(k, v)
		watchSecret(v) // every value given here is a secret
	}
	b, err := os.ReadFile(filepath.Join("..", "examples", dir, "Caddyfile"))
	require.NoError(t, err)
	src := string(b)
	for from, to := range map[string]string{
		"{$HOOKGATE_ADMIN:127.0.0.1:2019}":           "{{.Admin}}",
		"{$HOOKGATE_SITE::8080}":                     "http://{{.HTTP}}",
		"{$HOOKGATE_UPSTREAM:http://127.0.0.1:9000}": "{{.Upstream}}",
	} {
		require.Contains(t, src, from, "example %s", dir)
		src = strings.ReplaceAll(src, from, to)
	}
	rc := newReceiver(t)
	return startCaddy(t, src, map[string]any{"Upstream": rc.URL}), rc
}

// hook is one request of a provider.
type hook struct {
	method, path, body string
	header             http.Header
}

func (c *caddy) send(h hook) (int, string, http.Header) {
	c.t.Helper()
	if h.method == "" {
		h.method = http.MethodPost
	}
	req, err := http.NewRequest(h.method, "http://"+c.HTTP+h.path, strings.NewReader(h.body))
	require.NoError(c.t, err)
	req.Header.Set("Content-Type", "application/json")
	for k, v := range h.header {
		req.Header[http.CanonicalHeaderKey(k)] = v
	}
	resp, err := http.DefaultClient.Do(req)
	require.NoError(c.t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(c.t, err)
	require.NotContains(c.t, string(b), secret)
	return resp.StatusCode, string(b), resp.Header
}

// expectQueued sends h, expects 202 and its delivery as the n-th one, and
// returns that delivery.
func expectQueued(t *testing.T, c *caddy, rc *receiver, h hook, n int) delivery {
	t.Helper()
	code, body, _ := c.send(h)
	require.Equal(t, http.StatusAccepted, code, body)
	waitFor(t, 10*time.Second, "delivery", func() bool { return len(rc.deliveries()) >= n })
	d := rc.deliveries()[n-1]
	assert.Equal(t, h.body, d.Body, "the body reaches the app byte for byte")
	return d
}

// expectAnswered sends h and expects code; the receiver keeps n deliveries.
func expectAnswered(t *testing.T, c *caddy, rc *receiver, h hook, code, n int) string {
	t.Helper()
	got, body, _ := c.send(h)
	require.Equal(t, code, got, body)
	time.Sleep(200 * time.Millisecond)
	assert.Len(t, rc.deliveries(), n, "nothing more reached the app")
	return body
}

func hmacSHA256(key, msg string) []byte {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(msg))
	return m.Sum(nil)
}

func hexHMAC(key, msg string) string { return hex.EncodeToString(hmacSHA256(key, msg)) }

// standardSignature is a Standard Webhooks v1 signature with a whsec_ secret.
func standardSignature(t *testing.T, whsec, id, ts, body string) string {
	key, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(whsec, "whsec_"))
	require.NoError(t, err)
	return "v1," + base64.StdEncoding.EncodeToString(hmacSHA256(string(key), id+"."+ts+"."+body))
}

func unix(t time.Time) string { return strconv.FormatInt(t.Unix(), 10) }

// https://docs.github.com/en/webhooks/webhook-events-and-payloads#ping (abridged)
const githubPing = `{"zen":"Keep it logically awesome.","hook_id":109948940,"hook":{"type":"Repository","id":109948940,"name":"web","active":true,"events":["*"],"config":{"content_type":"json","insecure_ssl":"0","url":"https://hooks.example.com/hooks/github"}},"repository":{"id":1296269,"full_name":"octocat/Hello-World"},"sender":{"login":"octocat","id":1}}`

func TestPresetGitHub(t *testing.T) {
	c, rc := startExample(t, "github", map[string]string{"GITHUB_WEBHOOK_SECRET": secret})
	h := hook{path: "/hooks/github", body: githubPing, header: http.Header{
		"X-GitHub-Event":      {"ping"},
		"X-GitHub-Delivery":   {"72d3162e-cc78-11e3-81ab-4c9367dc0958"},
		"X-Hub-Signature-256": {"sha256=" + hexHMAC(secret, githubPing)},
	}}
	d := expectQueued(t, c, rc, h, 1)
	assert.Equal(t, "ping", d.Header.Get("X-GitHub-Event"))
	assert.Equal(t, h.header.Get("X-Hub-Signature-256"), d.Header.Get("X-Hub-Signature-256"))

	// A redelivery keeps X-GitHub-Delivery: acknowledged, not forwarded.
	expectAnswered(t, c, rc, h, http.StatusOK, 1)

	bad := h
	bad.header = h.header.Clone()
	bad.header.Set("X-GitHub-Delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0959")
	bad.header.Set("X-Hub-Signature-256", "sha256="+hexHMAC("not-the-secret", githubPing))
	expectAnswered(t, c, rc, bad, http.StatusUnauthorized, 1)
}

// https://docs.stripe.com/api/events/object (abridged)
const stripeEvent = `{"id":"evt_1NG8Du2eZvKYlo2CUI79vXWy","object":"event","api_version":"2022-11-15","created":1686089970,"data":{"object":{"id":"pi_3NG8Dt2eZvKYlo2C0","object":"payment_intent","amount":2000,"currency":"usd","status":"succeeded"}},"livemode":false,"pending_webhooks":1,"request":{"id":null,"idempotency_key":null},"type":"payment_intent.succeeded"}`

func TestPresetStripe(t *testing.T) {
	signing := "whsec_" + base64.StdEncoding.EncodeToString([]byte("hookgate-e2e-signing-key-0123456"))
	c, rc := startExample(t, "stripe", map[string]string{"STRIPE_WEBHOOK_SECRET": secret, "HOOKGATE_SIGNING_SECRET": signing})
	stripeHook := func(at time.Time) hook {
		ts := unix(at)
		return hook{path: "/hooks/stripe", body: stripeEvent, header: http.Header{
			"Stripe-Signature": {"t=" + ts + ",v1=" + hexHMAC(secret, ts+"."+stripeEvent) + ",v0=" + hexHMAC("test", "x")},
		}}
	}
	// Stripe signed it 10 minutes ago: beyond the 5 m tolerance.
	expectAnswered(t, c, rc, stripeHook(time.Now().Add(-10*time.Minute)), http.StatusUnauthorized, 0)

	d := expectQueued(t, c, rc, stripeHook(time.Now()), 1)
	// Re-signed with Standard Webhooks: webhook-id is the Stripe event id.
	id, ts := d.Header.Get("Webhook-Id"), d.Header.Get("Webhook-Timestamp")
	assert.Equal(t, "evt_1NG8Du2eZvKYlo2CUI79vXWy", id)
	assert.Equal(t, standardSignature(t, signing, id, ts, stripeEvent), d.Header.Get("Webhook-Signature"))
	recv, err := strconv.ParseInt(d.Header.Get("Webhook-Received-At"), 10, 64)
	require.NoError(t, err)
	assert.WithinDuration(t, time.Now(), time.Unix(recv, 0), time.Minute)
	assert.NotEmpty(t, d.Header.Get("Stripe-Signature"), "the sender's headers are kept")

	// Stripe's retry of the same event: acknowledged, not forwarded.
	expectAnswered(t, c, rc, stripeHook(time.Now()), http.StatusOK, 1)

	resp, err := http.Get("http://" + c.Admin + "/config/")
	require.NoError(t, err)
	cfg, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	assert.Contains(t, string(cfg), "{env.HOOKGATE_SIGNING_SECRET}")
	assert.NotContains(t, string(cfg), signing, "the signing secret reached the admin API")
	assert.NotContains(t, c.logs(), signing, "the signing secret reached the log")
}

func TestPresetSlack(t *testing.T) {
	c, rc := startExample(t, "slack", map[string]string{"SLACK_SIGNING_SECRET": secret})
	slackHook := func(body, key string) hook {
		ts := unix(time.Now())
		return hook{path: "/hooks/slack", body: body, header: http.Header{
			"X-Slack-Request-Timestamp": {ts},
			"X-Slack-Signature":         {"v0=" + hexHMAC(key, "v0:"+ts+":"+body)},
		}}
	}
	// https://api.slack.com/events/url_verification
	verification := `{"token":"Jhj5dZrVaK7ZwHHjRyZWjbDl","challenge":"3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P","type":"url_verification"}`
	body := expectAnswered(t, c, rc, slackHook(verification, secret), http.StatusOK, 0)
	assert.Equal(t, "3eZbrw1aBm2rZgRNFdxV2595E9CY3gmdALWMmHkvFXO7tYXAYM8P", body, "the handshake is answered by Hookgate")
	expectAnswered(t, c, rc, slackHook(verification, "forged"), http.StatusUnauthorized, 0)

	// https://api.slack.com/apis/events-api#callback-field (abridged)
	event := `{"token":"XXYYZZ","team_id":"T123ABC456","api_app_id":"A123ABC456","event":{"type":"app_mention","user":"U123ABC456","text":"<@U0LAN0Z89> is it everything a river should be?","ts":"1515449522.000016","channel":"C123ABC456"},"type":"event_callback","event_id":"Ev123ABC456","event_time":1515449522000016}`
	expectQueued(t, c, rc, slackHook(event, secret), 1)
	retry := slackHook(event, secret)
	retry.header.Set("X-Slack-Retry-Num", "1")
	expectAnswered(t, c, rc, retry, http.StatusOK, 1)
}

func TestPresetStandardWebhooks(t *testing.T) {
	whsec := "whsec_" + base64.StdEncoding.EncodeToString([]byte("standard-webhooks-e2e-key-012345"))
	c, rc := startExample(t, "standard_webhooks", map[string]string{"WEBHOOK_SECRET": whsec})
	// https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md#payload-structure
	body := `{"type":"contact.created","timestamp":"2022-11-03T20:26:10.344522Z","data":{"id":"1f81eb52-5198-4599-803e-771906343485","type":"contact"}}`
	std := func(id string) hook {
		ts := unix(time.Now())
		return hook{path: "/hooks/standard", body: body, header: http.Header{
			"webhook-id": {id}, "webhook-timestamp": {ts},
			"webhook-signature": {"v1,bm90LWEtc2lnbmF0dXJl " + standardSignature(t, whsec, id, ts, body)},
		}}
	}
	expectQueued(t, c, rc, std("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"), 1)
	expectAnswered(t, c, rc, std("msg_2KWPBgLlAfxdpx2AI54pPJ85f4W"), http.StatusOK, 1)
	tampered := std("msg_2KWPBgLlAfxdpx2AI54pPJ85f4X")
	tampered.body = strings.Replace(body, "contact.created", "contact.deleted", 1)
	expectAnswered(t, c, rc, tampered, http.StatusUnauthorized, 1)
	assert.NotContains(t, c.logs(), whsec)
}

func TestPresetContextFile(t *testing.T) {
	c, rc := startExample(t, "contextfile", map[string]string{"CONTEXTFILE_SECRET": secret})
	body := `{"id":"evt_9f8e7d6c5b4a","type":"context.updated","created_at":"2026-01-05T10:00:00Z","data":{"context_id":"ctx_123","name":"handbook"}}`
	h := hook{path: "/hooks/contextfile", body: body, header: http.Header{"X-Webhook-Signature": {hexHMAC(secret, body)}}}
	expectQueued(t, c, rc, h, 1)
	expectAnswered(t, c, rc, h, http.StatusOK, 1)
	h.header = http.Header{"X-Webhook-Signature": {"sha256=" + hexHMAC(secret, body)}} // a prefix ContextFile does not send
	expectAnswered(t, c, rc, h, http.StatusUnauthorized, 1)
}

func TestPresetChangeThisFile(t *testing.T) {
	// Rotation: the sender still signs with the previous secret.
	c, rc := startExample(t, "changethisfile", map[string]string{"CTF_SECRET": "ctf-new-secret-after-rotation", "CTF_SECRET_NEXT": secret})
	job := func(state string) hook {
		body := `{"job_id":"job_5a1b","state":"` + state + `","input":"report.docx","output_format":"pdf","download_url":"https://changethisfile.example/d/job_5a1b.pdf"}`
		return hook{path: "/hooks/changethisfile", body: body, header: http.Header{"X-CTF-Signature": {"sha256=" + hexHMAC(secret, body)}}}
	}
	expectQueued(t, c, rc, job("processing"), 1)
	expectQueued(t, c, rc, job("completed"), 2)
	expectAnswered(t, c, rc, job("completed"), http.StatusOK, 2)
}

func TestPresetPosternity(t *testing.T) {
	c, rc := startExample(t, "posternity", map[string]string{"POSTERNITY_SECRET": secret})
	body := `{"id":"evt_pst_0001","event":"post.published","created_at":"2026-01-05T10:00:00Z","data":{"post_id":"p_42","url":"https://posternity.example/p/42"}}`
	h := hook{path: "/hooks/posternity", body: body, header: http.Header{"X-Posternity-Signature": {hexHMAC(secret, body)}}}
	expectQueued(t, c, rc, h, 1)
	h.header = http.Header{}
	expectAnswered(t, c, rc, h, http.StatusUnauthorized, 1)
}

func TestPresetCtxfy(t *testing.T) {
	token := "ctxfy-e2e-token-6b1f0f3a9c"
	c, rc := startExample(t, "ctxfy", map[string]string{"CTXFY_TOKEN": token})
	body := `{"sourceId":"src_81c2","status":"completed","url":"https://example.com/a","result":{"pages":3}}`
	h := hook{path: "/hooks/ctxfy", body: body}
	expectAnswered(t, c, rc, h, http.StatusForbidden, 0)
	h.header = http.Header{"X-Postback-Token": {"wrong"}}
	expectAnswered(t, c, rc, h, http.StatusForbidden, 0)
	h.header = http.Header{"X-Postback-Token": {token}}
	expectQueued(t, c, rc, h, 1)
	expectAnswered(t, c, rc, h, http.StatusOK, 1) // same sourceId and status
}

// TestCtxfyExampleFailsClosed: with CTXFY_TOKEN unset, the example must
// refuse every postback, an empty token header included (Caddy's header
// matcher would compare it with the empty value and let it in).
func TestCtxfyExampleFailsClosed(t *testing.T) {
	t.Setenv("CTXFY_TOKEN", "")
	require.NoError(t, os.Unsetenv("CTXFY_TOKEN"))
	c, rc := startExample(t, "ctxfy", nil)
	body := `{"sourceId":"src_81c2","status":"completed"}`
	for _, header := range []http.Header{nil, {"X-Postback-Token": {""}}, {"X-Postback-Token": {"*"}}} {
		expectAnswered(t, c, rc, hook{path: "/hooks/ctxfy", body: body, header: header}, http.StatusForbidden, 0)
	}
}

func TestPresetSuperAI(t *testing.T) {
	c, rc := startExample(t, "superai", map[string]string{
		"SUPERAI_USER": "superai",
		// caddy hash-password --plaintext superai-e2e-pw
		"SUPERAI_PASSWORD_HASH": "$2a$14$Dn0opqNmcp8FEeIVqTiale6gMDUDzbvgM54xs54dKxp9nIORISinO",
	})
	auth := "Basic " + base64.StdEncoding.EncodeToString([]byte("superai:superai-e2e-pw"))
	body := `{"uuid":"8d1f7c1e-4f1a-4b5e-9a0c-2f0e6e1d9b77","state":"COMPLETED","action":"job.completed","data":{"output":"ok"}}`
	h := hook{path: "/hooks/superai/", body: body}
	expectAnswered(t, c, rc, h, http.StatusUnauthorized, 0)
	h.header = http.Header{"Authorization": {auth}}
	d := expectQueued(t, c, rc, h, 1)
	assert.True(t, strings.HasSuffix(d.URI, "/"), "the callback path keeps its trailing slash: %s", d.URI)
	expectAnswered(t, c, rc, h, http.StatusOK, 1) // at-least-once: the repeat is dropped
}

// A Discord-style route: invalid-signature probes must get 401, and the PING
// is answered by Hookgate without reaching the app.
func TestPresetDiscordProbes(t *testing.T) {
	seed := sha256.Sum256([]byte("discord-e2e"))
	priv := ed25519.NewKeyFromSeed(seed[:])
	rc := newReceiver(t)
	c := startCaddy(t, `{
	admin {{.Admin}}
}
http://{{.HTTP}} {
	route /hooks/discord {
		webhook_inbound {
			verify discord {
				secret `+hex.EncodeToString(priv.Public().(ed25519.PublicKey))+`
			}
			upstream {{.Upstream}}
		}
	}
}
`, map[string]any{"Upstream": rc.URL})
	discord := func(body string, key ed25519.PrivateKey) hook {
		ts := unix(time.Now())
		return hook{path: "/hooks/discord", body: body, header: http.Header{
			"X-Signature-Timestamp": {ts},
			"X-Signature-Ed25519":   {hex.EncodeToString(ed25519.Sign(key, []byte(ts+body)))},
		}}
	}
	other := ed25519.NewKeyFromSeed(make([]byte, ed25519.SeedSize))
	ping := `{"application_id":"1234567890","id":"1234567891","token":"aW50ZXJhY3Rpb24","type":1,"version":1}`
	expectAnswered(t, c, rc, discord(ping, other), http.StatusUnauthorized, 0)
	body := expectAnswered(t, c, rc, discord(ping, priv), http.StatusOK, 0)
	assert.JSONEq(t, `{"type":1}`, body)

	command := `{"id":"1234567892","type":2,"data":{"name":"hello"},"token":"aW50ZXJhY3Rpb24"}`
	expectQueued(t, c, rc, discord(command, priv), 1)
	expectAnswered(t, c, rc, discord(command, priv), http.StatusOK, 1)
}
