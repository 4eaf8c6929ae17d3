// Package filter compiles and evaluates the CEL expressions of a route's
// `drop` and of an upstream's `when`. In an expression, the placeholders of
// dedupe templates stand for values of the request:
//
//   - {json.a.b}: the JSON value at that gjson path of the body: a string, a
//     number (a CEL double), a bool, a list or a map as in the JSON; null when
//     the field is missing or null.
//   - {header.Name}: the first value of a request header (names are
//     case-insensitive); "" when missing.
//   - {query.name}: the first value of a query parameter; "" when missing.
//
// The Caddyfile's long forms {http.request.header.Name} and
// {http.request.uri.query.name} are accepted too. The rest is CEL, with its
// standard library, and the expression must be a bool:
//
//	{header.X-GitHub-Event} == "push"
//	{json.action} in ["opened", "reopened"] && {json.sender.type} != "Bot"
//	{json.livemode} == false
//
// A placeholder is a brace, a letter, then no space, quote, comma, colon or
// brace up to the closing brace; braces inside string literals and comments
// are CEL's, so `{json.a} == "{json.b}"` compares with the text "{json.b}".
// JSON numbers are doubles: compare ids beyond 2^53 as strings.
package filter

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"unicode/utf8"

	"cel.dev/cel-go/cel"
	"cel.dev/cel-go/common/types"
	"cel.dev/cel-go/common/types/ref"
	"cel.dev/cel-go/interpreter"
	"github.com/tidwall/gjson"

	"github.com/hookgate/hookgate/dedupe"
)

// Expr is a compiled expression. It is safe for concurrent use.
type Expr struct {
	src     string
	prg     cel.Program
	names   map[string]int // CEL variable name → index in fields
	fields  []field        // one per distinct placeholder
	texts   []string       // by field: the placeholder as first written
	json    bool           // some field reads the body
	dynamic bool           // the checker could not tell the result is a bool
	pool    sync.Pool      // of *activation
}

// field is one distinct placeholder: its namespace ("json", "header" or
// "query") and argument (gjson path, canonical header name, parameter name).
type field struct{ ns, arg string }

// baseEnv is CEL's standard environment, built once; each expression extends
// it with its own variables.
var baseEnv = sync.OnceValues(func() (*cel.Env, error) { return cel.NewEnv() })

// Parse compiles src, a CEL expression in which Hookgate's key placeholders
// stand for values. Syntax errors, unknown placeholders and a result that
// cannot be a bool are errors that quote src.
func Parse(src string) (*Expr, error) {
	e := &Expr{src: src, names: map[string]int{}}
	translated, placeholders, err := e.translate()
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", src, err)
	}
	base, err := baseEnv()
	if err != nil {
		return nil, fmt.Errorf("filter: cel environment: %w", err)
	}
	opts := make([]cel.EnvOption, 0, len(e.names))
	for name, i := range e.names {
		t := cel.StringType
		if e.fields[i].ns == "json" {
			t = cel.DynType
		}
		opts = append(opts, cel.Variable(name, t))
	}
	env, err := base.Extend(opts...)
	if err != nil {
		return nil, fmt.Errorf("filter %q: %w", src, err)
	}
	ast, iss := env.Compile(translated)
	if iss.Err() != nil {
		// The variables are as long as the placeholders they replace, so
		// CEL's positions and snippet are those of src once they are put back.
		return nil, fmt.Errorf("filter %q: %s", src, placeholders.Replace(iss.Err().Error()))
	}
	switch out := ast.OutputType(); {
	case out.IsExactType(types.BoolType):
	case out.IsExactType(types.DynType):
		e.dynamic = true
	default:
		return nil, fmt.Errorf("filter %q: the expression is of type %s, not bool", src, out)
	}
	if e.prg, err = env.Program(ast, cel.EvalOptions(cel.OptOptimize)); err != nil {
		return nil, fmt.Errorf("filter %q: %w", src, err)
	}
	return e, nil
}

// String returns the source as written.
func (e *Expr) String() string { return e.src }

// Match evaluates e for the request and its raw body. A run-time error (e.g.
// a type mismatch on one payload), a body that is not valid JSON or nests
// too deeply (when a {json.…} placeholder is used) returns false and the
// error.
func (e *Expr) Match(r *http.Request, body []byte) (bool, error) {
	return e.MatchInput(&dedupe.Input{R: r, Body: body})
}

// MatchInput is Match over in, whose JSON check it shares with the other
// filters and key templates that read the same request.
func (e *Expr) MatchInput(in *dedupe.Input) (bool, error) {
	r, body := in.R, in.Body
	if e.json {
		// Before any lookup: gjson's lookups trust it.
		if err := in.CheckJSON(); err != nil {
			return false, fmt.Errorf("filter %q: %w", e.src, err)
		}
	}
	a, _ := e.pool.Get().(*activation)
	if a == nil {
		a = &activation{e: e, vals: make([]ref.Val, len(e.fields))}
	}
	a.r, a.body = r, body
	out, _, err := e.prg.Eval(a)
	if err != nil {
		err = fmt.Errorf("filter %q: %w%s", e.src, err, e.jsonTypes(a.vals))
	}
	clear(a.vals)
	a.r, a.body, a.query = nil, nil, nil
	e.pool.Put(a)
	if err != nil {
		return false, err
	}
	b, ok := out.(types.Bool)
	if !ok {
		return false, fmt.Errorf("filter %q: the result is of type %s, not bool", e.src, out.Type().TypeName())
	}
	return bool(b), nil
}

// jsonTypes describes the types of the JSON values an evaluation read, for
// its error: CEL's "no such overload" names no operand. Types only: a body's
// values never reach a log.
func (e *Expr) jsonTypes(vals []ref.Val) string {
	var b strings.Builder
	for i, v := range vals {
		if v == nil || e.fields[i].ns != "json" {
			continue
		}
		if b.Len() == 0 {
			b.WriteString(" (")
		} else {
			b.WriteString(", ")
		}
		fmt.Fprintf(&b, "%s is %s", e.texts[i], v.Type().TypeName())
	}
	if b.Len() > 0 {
		b.WriteString(")")
	}
	return b.String()
}

// activation resolves the expression's variables for one request, each at
// most once and only when the evaluation reaches it.
type activation struct {
	e     *Expr
	r     *http.Request
	body  []byte
	vals  []ref.Val // by field; nil until resolved
	query url.Values
}

var _ interpreter.Activation = (*activation)(nil)

// ResolveName implements interpreter.Activation.
func (a *activation) ResolveName(name string) (any, bool) {
	i, ok := a.e.names[name]
	if !ok {
		return nil, false
	}
	if v := a.vals[i]; v != nil {
		return v, true
	}
	f := a.e.fields[i]
	var v ref.Val
	switch f.ns {
	case "json":
		v = jsonValue(gjson.GetBytes(a.body, f.arg))
	case "header":
		v = types.String(a.r.Header.Get(f.arg))
	case "query":
		if a.query == nil {
			a.query, _ = url.ParseQuery(a.r.URL.RawQuery) // what URL.Query keeps on error
		}
		v = types.String(a.query.Get(f.arg))
	}
	a.vals[i] = v
	return v, true
}

// Parent implements interpreter.Activation.
func (a *activation) Parent() interpreter.Activation { return nil }

// jsonValue converts a gjson result to a CEL value: missing and null are
// null, numbers doubles, arrays lists and objects maps.
func jsonValue(res gjson.Result) ref.Val {
	switch res.Type {
	case gjson.False:
		return types.False
	case gjson.True:
		return types.True
	case gjson.Number:
		return types.Double(res.Num)
	case gjson.String:
		return types.String(res.Str)
	case gjson.JSON:
		return types.DefaultTypeAdapter.NativeToValue(res.Value())
	}
	return types.NullValue
}

// maxVars bounds the distinct placeholder spellings of one expression, so
// that each variable's name fits in the shortest placeholder ({json.x}).
const maxVars = 10000

// translate replaces each placeholder of e.src, outside string literals and
// comments, by a CEL variable padded with spaces to the placeholder's length
// in runes, so that CEL's error positions are those of src. It fills e.names
// and e.fields and returns the CEL source and a replacer that puts the
// placeholders back into CEL's messages.
func (e *Expr) translate() (string, *strings.Replacer, error) {
	src := e.src
	var b strings.Builder
	b.Grow(len(src))
	spellings := map[string]string{} // placeholder as written → variable
	slots := map[field]int{}
	var back []string
	for i := 0; i < len(src); {
		c := src[i]
		switch {
		case c == '"' || c == '\'':
			n := stringLen(src, i)
			b.WriteString(src[i : i+n])
			i += n
			continue
		case c == '/' && strings.HasPrefix(src[i:], "//"):
			n := strings.IndexByte(src[i:], '\n')
			if n < 0 {
				n = len(src) - i
			}
			b.WriteString(src[i : i+n])
			i += n
			continue
		case c == '{':
			inner, ok := placeholderAt(src[i:])
			if !ok {
				break
			}
			text := "{" + inner + "}"
			name, seen := spellings[text]
			if !seen {
				ns, arg, err := dedupe.Placeholder(inner)
				if err != nil {
					return "", nil, err
				}
				if ns != "json" && ns != "header" && ns != "query" {
					return "", nil, fmt.Errorf("placeholder %s: not available in an expression; use {json.path}, {header.Name} or {query.name}", text)
				}
				if len(spellings) == maxVars {
					return "", nil, fmt.Errorf("more than %d placeholders", maxVars)
				}
				f := field{ns, arg}
				slot, ok := slots[f]
				if !ok {
					slot = len(e.fields)
					slots[f] = slot
					e.fields = append(e.fields, f)
					e.texts = append(e.texts, text)
					e.json = e.json || ns == "json"
				}
				name = fmt.Sprintf("_p%d", len(spellings))
				// Pad to the length of text less the two spaces around it.
				name += strings.Repeat("_", utf8.RuneCountInString(text)-2-len(name))
				spellings[text] = name
				e.names[name] = slot
				back = append(back, " "+name+" ", text, name, text)
			}
			b.WriteString(" " + name + " ")
			i += len(text)
			continue
		}
		b.WriteByte(c)
		i++
	}
	return b.String(), strings.NewReplacer(back...), nil
}

// placeholderAt reports whether s starts with a placeholder and returns what
// is inside its braces. A CEL map literal never looks like one: its keys are
// followed by a colon.
func placeholderAt(s string) (string, bool) {
	end := strings.IndexByte(s, '}')
	if end < 2 || !isLetter(s[1]) {
		return "", false
	}
	inner := s[1:end]
	if strings.ContainsAny(inner, " \t\r\n\"',:{") {
		return "", false
	}
	return inner, true
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

// stringLen returns the length of the CEL string literal that starts with
// the quote at src[i]: single or triple quoted, raw when prefixed by r or R
// (possibly with b or B). An unterminated literal runs to the end; CEL
// reports it.
func stringLen(src string, i int) int {
	raw := false
	for j := i - 1; j >= 0 && j >= i-2; j-- {
		if c := src[j]; c == 'r' || c == 'R' {
			raw = true
		} else if c != 'b' && c != 'B' {
			break
		}
	}
	quote := src[i : i+1]
	if strings.HasPrefix(src[i:], strings.Repeat(quote, 3)) {
		quote = strings.Repeat(quote, 3)
	}
	for j := i + len(quote); j < len(src); j++ {
		switch {
		case src[j] == '\\' && !raw:
			j++
		case strings.HasPrefix(src[j:], quote):
			return j + len(quote) - i
		case src[j] == '\n' && len(quote) == 1:
			return j - i // CEL reports the unterminated literal
		}
	}
	return len(src) - i
}
