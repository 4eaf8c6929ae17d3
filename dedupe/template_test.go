package dedupe

import (
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
		inputErr               bool
	}{
		{name: "json id", tmpl: "{json.id}", body: `{"id":"evt_1"}`, want: "evt_1"},
		{name: "composite", tmpl: "{json.sourceId}:{json.status}", body: `{"sourceId":"s1","status":"done"}`, want: "s1:done"},
		{name: "nested and number", tmpl: "{json.data.object.n}", body: `{"data":{"object":{"n":42}}}`, want: "42"},
		{name: "header", tmpl: "gh-{header.x-github-delivery}", headers: map[string]string{"X-GitHub-Delivery": "abc"}, want: "gh-abc"},
		{name: "query", tmpl: "{query.event}", want: "ping"},
		{name: "caddyfile long forms", tmpl: "{http.request.header.X-Id}/{http.request.uri.query.event}", headers: map[string]string{"X-Id": "7"}, want: "7/ping"},
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
			got, err := tmpl.Key(r, []byte(tc.body))
			if tc.inputErr {
				assert.True(t, errors.Is(err, ErrInput), "want ErrInput, got %v", err)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"", "{json.id", "{}", "{json}", "{json.}", "{env.HOME}", "a{b.c}"} {
		_, err := Parse(s)
		assert.Error(t, err, s)
	}
}

func FuzzTemplate(f *testing.F) {
	f.Add("{json.id}", `{"id":"x"}`)
	f.Add("{json.a.b}:{header.X}", `{"a":{"b":[1,2]}}`)
	f.Add("{json.#}", `[1,2,3]`)
	f.Add("lit{query.q}", "")
	f.Fuzz(func(t *testing.T, tmpl, body string) {
		tp, err := Parse(tmpl)
		if err != nil {
			return
		}
		r := httptest.NewRequest("POST", "/?q=1", nil)
		r.Header.Set("X", "y")
		key, err := tp.Key(r, []byte(body))
		if err == nil && (key == "" || len(key) > MaxKeyLen) {
			t.Fatalf("key %q accepted", key)
		}
	})
}
