package dedupe

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTemplateKey(t *testing.T) {
	for _, tc := range []struct {
		name, tmpl, body, want string
		headers                map[string]string
		signed                 []byte
		inputErr               bool
	}{
		{name: "json id", tmpl: "{json.id}", body: `{"id":"evt_1"}`, want: "evt_1"},
		{name: "composite", tmpl: "{json.sourceId}:{json.status}", body: `{"sourceId":"s1","status":"done"}`, want: "s1:done"},
		{name: "nested and number", tmpl: "{json.data.object.n}", body: `{"data":{"object":{"n":42}}}`, want: "42"},
		{name: "header", tmpl: "gh-{header.x-github-delivery}", headers: map[string]string{"X-GitHub-Delivery": "abc"}, want: "gh-abc"},
		{name: "query", tmpl: "{query.event}", want: "ping"},
		{name: "caddyfile long forms", tmpl: "{http.request.header.X-Id}/{http.request.uri.query.event}", headers: map[string]string{"X-Id": "7"}, want: "7/ping"},
		{name: "body digest", tmpl: "{body_sha256}", body: "abc",
			want: "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"}, // FIPS 180-2 "abc"
		{name: "body digest of a form", tmpl: "f:{body_sha256}", body: "a=1&b=2",
			want: "f:" + sha256Hex("a=1&b=2")},
		{name: "signed digest", tmpl: "{signed_digest}", body: `{"id":"x"}`, signed: []byte{0xde, 0xad, 0xbe, 0xef}, want: "deadbeef"},
		{name: "signed digest and id", tmpl: "{json.id}:{signed_digest}", body: `{"id":"x"}`, signed: []byte{0x01}, want: "x:01"},
		{name: "signed digest of an unverified request", tmpl: "{signed_digest}", body: `{"id":"x"}`, inputErr: true},
		{name: "missing field", tmpl: "{json.id}", body: `{"other":1}`, inputErr: true},
		{name: "empty field", tmpl: "{json.id}", body: `{"id":""}`, inputErr: true},
		{name: "not json", tmpl: "{json.id}", body: `id=1`, inputErr: true},
		{name: "truncated json", tmpl: "{json.id}", body: `{"id":"x"`, inputErr: true},
		{name: "invalid utf8 json", tmpl: "{json.id}", body: "{\"id\":\"\xff\"}", inputErr: true},
		{name: "object is not a key", tmpl: "{json.data}", body: `{"data":{"a":1}}`, inputErr: true},
		{name: "missing header", tmpl: "{header.X-Id}", inputErr: true},
		{name: "deeply nested", tmpl: "{json.id}", body: strings.Repeat("[", 100000), inputErr: true},
		{name: "too long", tmpl: "{json.id}", body: `{"id":"` + strings.Repeat("a", MaxKeyLen+1) + `"}`, inputErr: true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tmpl, err := Parse(tc.tmpl)
			require.NoError(t, err)
			r := httptest.NewRequest("POST", "/hook?event=ping", nil)
			for k, v := range tc.headers {
				r.Header.Set(k, v)
			}
			got, err := tmpl.Key(r, []byte(tc.body), tc.signed)
			if tc.inputErr {
				assert.True(t, errors.Is(err, ErrInput), "want ErrInput, got %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func sha256Hex(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

func TestTemplateIntrospection(t *testing.T) {
	for _, tc := range []struct {
		tmpl    string
		signed  bool
		headers []string
	}{
		{"{json.id}", false, nil},
		{"{signed_digest}", true, nil},
		{"{header.x-github-delivery}:{http.request.header.X-Other}", false, []string{"X-Github-Delivery", "X-Other"}},
		{"{header.webhook-id}:{signed_digest}", true, []string{"Webhook-Id"}},
	} {
		tp, err := Parse(tc.tmpl)
		require.NoError(t, err)
		assert.Equal(t, tc.signed, tp.UsesSigned(), tc.tmpl)
		assert.Equal(t, tc.headers, tp.Headers(), tc.tmpl)
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"", "{json.id", "{}", "{json}", "{json.}", "{env.HOME}", "a{b.c}", "{signed}", "{body_sha256.x}", "{sha256}"} {
		_, err := Parse(s)
		assert.Error(t, err, s)
	}
}

func FuzzTemplate(f *testing.F) {
	f.Add("{json.id}", `{"id":"x"}`)
	f.Add("{json.a.b}:{header.X}", `{"a":{"b":[1,2]}}`)
	f.Add("{json.#}", `[1,2,3]`)
	f.Add("lit{query.q}", "")
	f.Add("{signed_digest}:{body_sha256}", "x")
	f.Fuzz(func(t *testing.T, tmpl, body string) {
		tp, err := Parse(tmpl)
		if err != nil {
			return
		}
		r := httptest.NewRequest("POST", "/?q=1", nil)
		r.Header.Set("X", "y")
		key, err := tp.Key(r, []byte(body), nil)
		if err == nil && (key == "" || len(key) > MaxKeyLen) {
			t.Fatalf("key %q accepted", key)
		}
	})
}

func TestPlaceholder(t *testing.T) {
	for _, tc := range []struct{ in, ns, arg string }{
		{"json.data.object.id", "json", "data.object.id"},
		{"header.x-github-event", "header", "X-Github-Event"},
		{"http.request.header.X-Id", "header", "X-Id"},
		{"query.event", "query", "event"},
		{"http.request.uri.query.event", "query", "event"},
		{"body_sha256", "body_sha256", ""},
		{"signed_digest", "signed_digest", ""},
	} {
		ns, arg, err := Placeholder(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, [2]string{tc.ns, tc.arg}, [2]string{ns, arg}, tc.in)
	}
	for _, bad := range []string{"", "json", "json.", "env.HOME", "body"} {
		_, _, err := Placeholder(bad)
		assert.Error(t, err, bad)
	}
}
