// Package dedupe builds deduplication keys from request data. A key template
// mixes literals with placeholders: {json.a.b} reads a field of the JSON body,
// {header.X} a request header, {query.x} a query parameter. For example
// "{json.sourceId}:{json.status}" keys a Ctxfy postback by source and status.
package dedupe

import (
	"errors"
	"fmt"
	"net/http"
	"strings"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// ErrInput is wrapped by every error that comes from the request rather than
// from the template: the sender should get a 400.
var ErrInput = errors.New("bad dedupe input")

// MaxKeyLen bounds a key; longer keys are refused rather than stored.
const MaxKeyLen = 1024

type kind uint8

const (
	literal kind = iota
	jsonPath
	header
	query
)

type part struct {
	kind kind
	arg  string
}

// Template is a parsed key template. It is safe for concurrent use.
type Template struct {
	src   string
	parts []part
	json  bool
}

// Parse compiles a template. It fails on an unclosed brace, an empty
// placeholder or an unknown placeholder namespace.
func Parse(src string) (*Template, error) {
	t := &Template{src: src}
	for rest := src; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			t.parts = append(t.parts, part{kind: literal, arg: rest})
			break
		}
		if open > 0 {
			t.parts = append(t.parts, part{kind: literal, arg: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("dedupe template %q: unclosed '{'", src)
		}
		p, err := parsePlaceholder(rest[open+1 : open+end])
		if err != nil {
			return nil, fmt.Errorf("dedupe template %q: %w", src, err)
		}
		t.json = t.json || p.kind == jsonPath
		t.parts = append(t.parts, p)
		rest = rest[open+end+1:]
	}
	if len(t.parts) == 0 {
		return nil, errors.New("dedupe template is empty")
	}
	return t, nil
}

// caddyfileForms are the long forms the Caddyfile adapter rewrites the
// {header.X} and {query.x} shorthands into; both forms are accepted.
var caddyfileForms = strings.NewReplacer("http.request.header.", "header.", "http.request.uri.query.", "query.")

func parsePlaceholder(s string) (part, error) {
	ns, arg, ok := strings.Cut(caddyfileForms.Replace(s), ".")
	if !ok || arg == "" {
		return part{}, fmt.Errorf("placeholder {%s}: want {json.path}, {header.Name} or {query.name}", s)
	}
	switch ns {
	case "json":
		return part{kind: jsonPath, arg: arg}, nil
	case "header":
		return part{kind: header, arg: http.CanonicalHeaderKey(arg)}, nil
	case "query":
		return part{kind: query, arg: arg}, nil
	}
	return part{}, fmt.Errorf("placeholder {%s}: unknown namespace %q", s, ns)
}

// String returns the template's source.
func (t *Template) String() string { return t.src }

// Key evaluates the template against a request and its raw body. Every
// placeholder must resolve to a non-empty value: a missing field, a body that
// is not valid JSON (when a {json.…} placeholder is used) or an over-long key
// is an error wrapping ErrInput.
func (t *Template) Key(r *http.Request, body []byte) (string, error) {
	if t.json {
		if tooDeep(body, MaxDepth) { // before gjson, whose validation recurses per level
			return "", fmt.Errorf("%w: JSON nested deeper than %d levels", ErrInput, MaxDepth)
		}
		if !(utf8.Valid(body) && gjson.ValidBytes(body)) {
			return "", fmt.Errorf("%w: body is not valid JSON", ErrInput)
		}
	}
	var b strings.Builder
	for _, p := range t.parts {
		v, err := p.value(r, body)
		if err != nil {
			return "", err
		}
		b.WriteString(v)
		if b.Len() > MaxKeyLen {
			return "", fmt.Errorf("%w: key longer than %d bytes", ErrInput, MaxKeyLen)
		}
	}
	return b.String(), nil
}

func (p part) value(r *http.Request, body []byte) (string, error) {
	var v string
	switch p.kind {
	case literal:
		return p.arg, nil
	case jsonPath:
		res := gjson.GetBytes(body, p.arg)
		if res.IsObject() || res.IsArray() {
			return "", fmt.Errorf("%w: json field %q is not a scalar", ErrInput, p.arg)
		}
		v = res.String()
	case header:
		v = r.Header.Get(p.arg)
	case query:
		v = r.URL.Query().Get(p.arg)
	}
	if v == "" {
		return "", fmt.Errorf("%w: %s %q is missing or empty", ErrInput, p.kind, p.arg)
	}
	return v, nil
}

func (k kind) String() string {
	return [...]string{"literal", "json field", "header", "query parameter"}[k]
}
