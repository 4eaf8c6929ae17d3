// Package template compiles and renders signed-content templates: which
// bytes a signature scheme signs. A template mixes literals with
// placeholders:
//
//	{body}       the raw request body
//	{timestamp}  the timestamp exactly as sent (header or signature field)
//	{id}         the message id (read from the scheme's id header on verify)
//	{method}     the request method (POST when signing)
//	{url}        the full request URL (see signature.Config.URL)
//	{form}       the form parameters of a form-encoded body, sorted by name,
//	             each name followed by its value (Twilio); empty otherwise
//	{header.X}   the request header X, empty when absent
//
// A template is compiled once into parts, so rendering does no parsing.
package template

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
)

// Kind is the kind of a template part: a literal or a placeholder.
type Kind uint8

// The kinds of parts.
const (
	Literal Kind = iota
	Body
	Timestamp
	ID
	Method
	URL
	Form
	Header
)

// Part is one literal or placeholder of a template.
type Part struct {
	Kind Kind
	Arg  string // the literal, or the canonical header name
}

// Template is a compiled signed-content template; safe for concurrent use.
type Template struct {
	src   string
	parts []Part
	uses  map[Kind]bool
}

// Compile parses src. It fails on an unclosed or empty brace and on an
// unknown placeholder.
func Compile(src string) (*Template, error) {
	if src == "" {
		return nil, fmt.Errorf("signed content template is empty")
	}
	t := &Template{src: src, uses: map[Kind]bool{}}
	for rest := src; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			t.add(Part{Kind: Literal, Arg: rest})
			break
		}
		if open > 0 {
			t.add(Part{Kind: Literal, Arg: rest[:open]})
		}
		end := strings.IndexByte(rest[open:], '}')
		if end < 0 {
			return nil, fmt.Errorf("signed content template %q: unclosed '{'", src)
		}
		p, err := parsePart(rest[open+1 : open+end])
		if err != nil {
			return nil, fmt.Errorf("signed content template %q: %w", src, err)
		}
		t.add(p)
		rest = rest[open+end+1:]
	}
	return t, nil
}

func (t *Template) add(p Part) {
	t.parts = append(t.parts, p)
	t.uses[p.Kind] = true
}

// Source is the template as written.
func (t *Template) Source() string { return t.src }

// Parts are the compiled parts, in order. The caller must not modify them.
func (t *Template) Parts() []Part { return t.parts }

// Uses reports whether the template has a part of kind k.
func (t *Template) Uses(k Kind) bool { return t.uses[k] }

var placeholders = map[string]Kind{
	"body":      Body,
	"timestamp": Timestamp,
	"id":        ID,
	"method":    Method,
	"url":       URL,
	"form":      Form,
}

func parsePart(name string) (Part, error) {
	if strings.ContainsRune(name, '{') {
		return Part{}, fmt.Errorf("nested '{'")
	}
	if k, ok := placeholders[name]; ok {
		return Part{Kind: k}, nil
	}
	if h, ok := strings.CutPrefix(name, "header."); ok {
		if !ValidHeaderName(h) {
			return Part{}, fmt.Errorf("placeholder {%s}: invalid header name", name)
		}
		return Part{Kind: Header, Arg: http.CanonicalHeaderKey(h)}, nil
	}
	return Part{}, fmt.Errorf("unknown placeholder {%s}: want {body}, {timestamp}, {id}, {method}, {url}, {form} or {header.Name}", name)
}

// ValidHeaderName reports whether s is a non-empty RFC 9110 token.
func ValidHeaderName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		case strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0:
		default:
			return false
		}
	}
	return true
}

// Values are what a template is rendered from.
type Values struct {
	Body      []byte
	Timestamp string
	ID        string
	Method    string
	URL       string
	Header    http.Header
}

// Render returns the signed content. When the template is just {body} it
// returns v.Body itself, without a copy. Otherwise it appends to *buf (from
// its start) and returns the result, which lives in *buf: the caller may
// pool buf and reuse it once done with the result.
func (t *Template) Render(buf *[]byte, v *Values) []byte {
	if len(t.parts) == 1 && t.parts[0].Kind == Body {
		return v.Body
	}
	b := (*buf)[:0]
	for _, p := range t.parts {
		switch p.Kind {
		case Literal:
			b = append(b, p.Arg...)
		case Body:
			b = append(b, v.Body...)
		case Timestamp:
			b = append(b, v.Timestamp...)
		case ID:
			b = append(b, v.ID...)
		case Method:
			b = append(b, v.Method...)
		case URL:
			b = append(b, v.URL...)
		case Form:
			b = appendForm(b, v.Header, v.Body)
		case Header:
			if hv := v.Header[p.Arg]; len(hv) > 0 {
				b = append(b, hv[0]...)
			}
		}
	}
	*buf = b
	return b
}

// IsForm reports whether h declares a form-encoded body.
func IsForm(h http.Header) bool {
	ct := h.Get("Content-Type")
	if i := strings.IndexByte(ct, ';'); i >= 0 {
		ct = ct[:i]
	}
	return strings.EqualFold(strings.TrimSpace(ct), "application/x-www-form-urlencoded")
}

// appendForm appends the form parameters of body, sorted by name then value,
// each name followed by its value, when h declares a form-encoded body. An
// unparsable body contributes nothing, so its signature cannot match.
func appendForm(b []byte, h http.Header, body []byte) []byte {
	if !IsForm(h) {
		return b
	}
	q, err := url.ParseQuery(string(body))
	if err != nil {
		return b
	}
	names := make([]string, 0, len(q))
	for k := range q {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		vs := q[k]
		sort.Strings(vs)
		for _, v := range vs {
			b = append(b, k...)
			b = append(b, v...)
		}
	}
	return b
}
