package caddyfile

import (
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// adaptRoute adapts a site whose only handler is webhook_inbound with body.
func adaptRoute(t *testing.T, body string) (string, error) {
	t.Helper()
	src := ":8080 {\n\twebhook_inbound {\n" + body + "\n\t}\n}\n"
	out, _, err := caddyconfig.GetAdapter("caddyfile").Adapt([]byte(src), nil)
	return string(out), err
}

func TestAdaptVerifyPresets(t *testing.T) {
	for _, tc := range []struct {
		name, body string
		want       []string // JSON fragments
	}{
		{"preset with secret", `verify github {
			secret {env.GITHUB_SECRET}
		}`, []string{`"verify":{"scheme":"github","secrets":["{env.GITHUB_SECRET}"]}`}},
		{"rotation and overrides", `verify posternity {
			header X-Posternity-Sig
			id_header X-Id
			signed_content "{id}.{body}"
			secret {env.NEW}
			secret {env.OLD}
		}`, []string{`"verify":{"header":"X-Posternity-Sig","id_header":"X-Id","scheme":"posternity","secrets":["{env.NEW}","{env.OLD}"],"signed_content":"{id}.{body}"}`}},
		{"signed url", `verify square {
			url https://hooks.example.com/square
			secret {env.SQUARE}
		}`, []string{`"url":"https://hooks.example.com/square"`}},
		{"meta verify token", `verify meta {
			secret {env.META_APP_SECRET}
			verify_token {env.META_VERIFY_TOKEN}
		}`, []string{`"verify_token":"{env.META_VERIFY_TOKEN}"`}},
		{"unsigned preset, dedupe off", "verify ctxfy\ndedupe off", []string{`"verify":{"scheme":"ctxfy"}`, `"dedupe":"off"`}},
		{"preset defaults stay out of the JSON", "verify stripe {\nsecret {env.S}\n}", []string{`"handler":"webhook_inbound","verify":{"scheme":"stripe","secrets":["{env.S}"]}}`}},
		{"upstream sign", `verify slack {
			secret {env.SLACK}
		}
		upstream http://127.0.0.1:9000 {
			sign standard_webhooks {
				secret {env.HOOKGATE_SIGNING}
			}
		}`, []string{`"upstream":{"sign":{"scheme":"standard_webhooks","secrets":["{env.HOOKGATE_SIGNING}"]},"url":"http://127.0.0.1:9000"}`}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := adaptRoute(t, tc.body)
			require.NoError(t, err)
			for _, w := range tc.want {
				assert.Contains(t, out, w)
			}
		})
	}
}

func TestAdaptVerifyErrors(t *testing.T) {
	for _, tc := range []struct{ name, body, err string }{
		{"no secret", "verify github", "at least one secret"},
		{"unknown preset", "verify gitbub {\nsecret s\n}", `unknown signature scheme "gitbub"`},
		{"secret on unsigned", "verify superai {\nsecret s\n}", "signs nothing"},
		{"bad option", "verify github {\nsecrets s\n}", `unrecognized verify option "secrets"`},
		{"override that does not apply", "verify stripe {\nprefix x\nsecret s\n}", "prefix does not apply"},
		{"verify token elsewhere", "verify github {\nverify_token t\nsecret s\n}", "verify_token does not apply"},
		{"sign without secret", "upstream http://127.0.0.1:9 {\nsign standard_webhooks\n}", "sign standard_webhooks: signature scheme"},
		{"sign bad option", "upstream http://127.0.0.1:9 {\nsign standard_webhooks {\nsecrets k\n}\n}", `unrecognized sign option "secrets"`},
		{"key without its type", "upstream http://127.0.0.1:9 {\nsign standard_webhooks {\nkey k\n}\n}", "sign: want key ed25519 <key>"},
		{"key of another type", "verify standard_webhooks {\nkey rsa k\n}", "verify: want key ed25519 <key>"},
		{"key on another scheme", "verify github {\nkey ed25519 k\nsecret s\n}", "keys apply to standard_webhooks only"},
		{"sign needs a scheme", "upstream http://127.0.0.1:9 {\nsign\n}", "wrong argument count"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := adaptRoute(t, tc.body)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.err)
		})
	}
}
