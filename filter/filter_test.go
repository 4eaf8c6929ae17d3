package filter

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/dedupe"
)

func TestParseErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, want string }{
		{"syntax", `{json.a} == `, "Syntax error"},
		{"unbalanced", `({header.X} == "a"`, "Syntax error"},
		{"unterminated string", `{json.a} == "push`, "Syntax error"},
		{"unknown namespace", `{env.HOME} == "/root"`, `unknown namespace "env"`},
		{"no path", `{json} == 1`, "want {json.path}"},
		{"digest placeholder", `{body_sha256} == "x"`, "not available in an expression"},
		{"undeclared identifier", `action == "opened"`, "undeclared reference to 'action'"},
		{"string result", `{header.X-GitHub-Event}`, "is of type string, not bool"},
		{"int result", `1 + 2`, "is of type int, not bool"},
		{"list result", `[{json.a}]`, "not bool"},
		{"header is a string", `{header.X-Count} > 3`, "found no matching overload for '_>_' applied to '(string, int)'"},
		{"empty", ``, "Syntax error"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.src)
			require.Error(t, err)
			assert.Nil(t, e)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), `filter "`+strings.ReplaceAll(tc.src, `"`, `\"`)+`"`, "the error quotes the expression")
		})
	}
}

// TestParseErrorShowsThePlaceholders: CEL's snippet and caret are about the
// expression as written, not the variables that stand for its placeholders.
func TestParseErrorShowsThePlaceholders(t *testing.T) {
	_, err := Parse(`{header.X-GitHub-Event} == "push" && {json.n} +`)
	require.Error(t, err)
	msg := err.Error()
	assert.Contains(t, msg, `| {header.X-GitHub-Event} == "push" && {json.n} +`)
	assert.NotContains(t, msg, "_p0")
	assert.Contains(t, msg, "<input>:1:48:", "column of the error in the source as written")
}

func TestParseAccepts(t *testing.T) {
	for _, src := range []string{
		`{header.X-GitHub-Event} == "push"`,
		`{http.request.header.X-GitHub-Event} == "push"`, // the Caddyfile's long form
		`{http.request.uri.query.event} == "ping"`,
		`{json.flag}`,                           // dyn: checked at run time
		`{json.a} == {"k": 1}`,                  // a CEL map literal is not a placeholder
		`{json.a} == "{json.b}"`,                // nor is a brace in a string
		"{json.a} == r'''{env.X}''' // {env.Y}", // nor in a raw string or a comment
		`{json.items.#.name}.size() > 0`,        // gjson path syntax
	} {
		e, err := Parse(src)
		if assert.NoError(t, err, src) {
			assert.Equal(t, src, e.String())
		}
	}
}

func request(headers map[string]string, query string) *http.Request {
	r := httptest.NewRequest("POST", "/hook?"+query, nil)
	for k, v := range headers {
		r.Header.Set(k, v)
	}
	return r
}

func TestMatch(t *testing.T) {
	const body = `{
		"id": "evt_1", "action": "opened", "n": 7, "ratio": 0.5, "live": true, "off": false,
		"nothing": null, "tags": ["a", "b"], "nums": [1, 2],
		"sender": {"type": "Bot", "login": "dependabot[bot]"},
		"obj": {"k": "v", "n": 2}, "big": 12345678901234567890, "name": "x\u00e9"
	}`
	headers := map[string]string{"X-GitHub-Event": "push", "x-lower": "yes"}
	for _, tc := range []struct {
		src  string
		want bool
	}{
		// strings
		{`{json.id} == "evt_1"`, true},
		{`{json.id} == "evt_2"`, false},
		{`{json.id}.startsWith("evt_")`, true},
		{`{json.name} == "xé"`, true},
		{`{json.sender.type} == "Bot"`, true},
		// numbers are doubles, compared with ints and doubles alike
		{`{json.n} == 7`, true},
		{`{json.n} == 7.0`, true},
		{`{json.n} > 3`, true},
		{`{json.n} < 3`, false},
		{`{json.ratio} < 1`, true},
		{`{json.big} > 1e19`, true},
		// bools
		{`{json.live}`, true},
		{`{json.off}`, false},
		{`{json.live} == true`, true},
		{`{json.off} == false`, true},
		{`!{json.off}`, true},
		// null and missing
		{`{json.nothing} == null`, true},
		{`{json.missing} == null`, true},
		{`{json.missing.deeper} == null`, true},
		{`{json.missing} == false`, false},
		{`{json.missing} == "x"`, false},
		{`{json.missing} in ["opened"]`, false},
		// lists
		{`{json.action} in ["opened", "reopened"]`, true},
		{`{json.id} in ["opened", "reopened"]`, false},
		{`"a" in {json.tags}`, true},
		{`"c" in {json.tags}`, false},
		{`{json.tags}.size() == 2`, true},
		{`{json.tags}[1] == "b"`, true},
		{`{json.tags.1} == "b"`, true},
		{`2 in {json.nums}`, true},
		{`{json.nums}.exists(x, x > 1)`, true},
		// maps
		{`{json.obj}.k == "v"`, true},
		{`{json.obj}["n"] == 2`, true},
		{`"k" in {json.obj}`, true},
		{`"z" in {json.obj}`, false},
		{`{json.obj}.size() == 2`, true},
		// headers: names are case-insensitive, missing is ""
		{`{header.X-GitHub-Event} == "push"`, true},
		{`{header.x-github-event} == "push"`, true},
		{`{header.X-LOWER} == "yes"`, true},
		{`{http.request.header.X-Github-Event} == "push"`, true},
		{`{header.X-Missing} == ""`, true},
		// query, missing is ""
		{`{query.event} == "ping"`, true},
		{`{query.event} == "ping" && {query.other} == "2"`, true},
		{`{http.request.uri.query.event} == "ping"`, true},
		{`{query.missing} == ""`, true},
		// logic, the same field twice, placeholders against each other
		{`{header.X-GitHub-Event} == "push" || {json.action} == "closed"`, true},
		{`{header.X-GitHub-Event} == "push" && {json.action} == "closed"`, false},
		{`{json.n} > 3 && {json.n} < 10`, true},
		{`{json.id} == {json.id}`, true},
		{`{json.obj.k}=="v"&&"a"in{json.tags}`, true}, // no spaces around placeholders
		// braces that are not placeholders
		{`{json.id} != "{json.id}"`, true},
		{`{json.obj} == {"k": "v", "n": 2}`, true},
	} {
		t.Run(tc.src, func(t *testing.T) {
			e, err := Parse(tc.src)
			require.NoError(t, err)
			got, err := e.Match(request(headers, "event=ping&other=2"), []byte(body))
			require.NoError(t, err)
			assert.Equal(t, tc.want, got)
		})
	}
}

func TestMatchErrors(t *testing.T) {
	for _, tc := range []struct{ name, src, body, want string }{
		{"type mismatch", `{json.n} > 3`, `{"n":"seven"}`, "no such overload ({json.n} is string)"},
		{"null compared", `{json.n} > 3`, `{}`, "({json.n} is null_type)"},
		{"list compared", `{json.a} == 1 && {json.n} > 3`, `{"a":1,"n":[]}`, "({json.a} is double, {json.n} is list)"},
		{"not a bool", `{json.id}`, `{"id":"x"}`, "the result is of type string, not bool"},
		{"null is not a bool", `{json.flag}`, `{}`, "not bool"},
		{"no such key", `{json.obj}.k == "v"`, `{"obj":{}}`, "no such key"},
		{"not json", `{json.id} == "x"`, `id=x`, "not valid JSON"},
		{"truncated json", `{json.id} == "x"`, `{"id":"x"`, "not valid JSON"},
		{"empty body", `{json.id} == "x"`, ``, "not valid JSON"},
		{"deep json", `{json.id} == "x"`, strings.Repeat("[", 1<<20), "nested deeper"},
		// the body is checked even when the evaluation would not reach it
		{"json after a short-circuit", `true || {json.id} == "x"`, `nope`, "not valid JSON"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, err := Parse(tc.src)
			require.NoError(t, err)
			got, err := e.Match(request(nil, ""), []byte(tc.body))
			assert.False(t, got)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Contains(t, err.Error(), "filter ")
		})
	}
}

// TestMatchWithoutJSON: an expression that reads no JSON does not care
// what the body is.
func TestMatchWithoutJSON(t *testing.T) {
	e, err := Parse(`{header.X-GitHub-Event} == "push"`)
	require.NoError(t, err)
	ok, err := e.Match(request(map[string]string{"X-GitHub-Event": "push"}, ""), []byte("a=1&b=2"))
	require.NoError(t, err)
	assert.True(t, ok)
}

// TestIssueExamples are the expressions of issue 15's Caddyfile and Stripe
// example.
func TestIssueExamples(t *testing.T) {
	drop := mustParse(t, `{json.sender.type} == "Bot"`)
	ci := mustParse(t, `{header.X-GitHub-Event} == "push"`)
	tracker := mustParse(t, `{json.action} in ["opened", "reopened"]`)
	testMode := mustParse(t, `{json.livemode} == false`)

	for _, tc := range []struct {
		name, event, body       string
		drop, ci, tracker, test bool
	}{
		{name: "push", event: "push", body: `{"ref":"refs/heads/main","sender":{"type":"User"}}`, ci: true},
		{name: "issue opened", event: "issues", body: `{"action":"opened","sender":{"type":"User"}}`, tracker: true},
		{name: "issue reopened", event: "issues", body: `{"action":"reopened","sender":{"type":"User"}}`, tracker: true},
		{name: "issue closed", event: "issues", body: `{"action":"closed","sender":{"type":"User"}}`},
		{name: "bot push", event: "push", body: `{"sender":{"type":"Bot"}}`, drop: true, ci: true},
		{name: "stripe test mode", body: `{"id":"evt_1","livemode":false}`, test: true},
		{name: "stripe live mode", body: `{"id":"evt_1","livemode":true}`},
		{name: "no livemode", body: `{"id":"evt_1"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := request(map[string]string{"X-GitHub-Event": tc.event}, "")
			for _, c := range []struct {
				e    *Expr
				want bool
			}{{drop, tc.drop}, {ci, tc.ci}, {tracker, tc.tracker}, {testMode, tc.test}} {
				got, err := c.e.Match(r, []byte(tc.body))
				require.NoError(t, err, c.e)
				assert.Equal(t, c.want, got, c.e)
			}
		})
	}
}

// TestConcurrentMatch: one Expr serves concurrent requests (run with -race).
func TestConcurrentMatch(t *testing.T) {
	e := mustParse(t, `{header.X-GitHub-Event} == "push" && {json.n} > {json.min} && {query.q} == "1"`)
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Go(func() {
			for j := range 200 {
				n := (i + j) % 4
				body := `{"n":` + string(rune('0'+n)) + `,"min":1}`
				got, err := e.Match(request(map[string]string{"X-GitHub-Event": "push"}, "q=1"), []byte(body))
				assert.NoError(t, err)
				assert.Equal(t, n > 1, got)
			}
		})
	}
	wg.Wait()
}

func TestDepthBound(t *testing.T) {
	e := mustParse(t, `{json.a} == 1`)
	deep := `{"a":1,"b":` + strings.Repeat("[", dedupe.MaxDepth+1) + strings.Repeat("]", dedupe.MaxDepth+1) + `}`
	ok, err := e.Match(request(nil, ""), []byte(deep))
	assert.False(t, ok)
	assert.ErrorContains(t, err, "nested deeper")
}

func mustParse(t testing.TB, src string) *Expr {
	t.Helper()
	e, err := Parse(src)
	require.NoError(t, err)
	return e
}

func BenchmarkMatchGitHub(b *testing.B) {
	e := mustParse(b, `{header.X-GitHub-Event} == "pull_request" && {json.action} in ["opened", "reopened"] && {json.sender.type} != "Bot"`)
	body := []byte(`{"action":"opened","number":42,"pull_request":{"id":1,"title":"Fix the thing","body":"` +
		strings.Repeat("lorem ipsum ", 200) + `","user":{"login":"octocat","type":"User"}},` +
		`"repository":{"id":7,"full_name":"octo/hello"},"sender":{"login":"octocat","type":"User"}}`)
	r := request(map[string]string{"X-GitHub-Event": "pull_request"}, "")
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	for b.Loop() {
		ok, err := e.Match(r, body)
		if err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}

func BenchmarkMatchHeaderOnly(b *testing.B) {
	e := mustParse(b, `{header.X-GitHub-Event} == "push"`)
	r := request(map[string]string{"X-GitHub-Event": "push"}, "")
	b.ReportAllocs()
	for b.Loop() {
		if ok, err := e.Match(r, nil); err != nil || !ok {
			b.Fatal(ok, err)
		}
	}
}
