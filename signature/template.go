package signature

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
)

// A signed-content template says which bytes a scheme signs. It mixes
// literals with placeholders:
//
//	{body}       the raw request body
//	{timestamp}  the timestamp exactly as sent (header or signature field)
//	{id}         the message id (read from the scheme's id header on verify)
//	{method}     the request method (POST when signing)
//	{url}        the full request URL (see Config.URL)
//	{form}       the form parameters of a form-encoded body, sorted by name,
//	             each name followed by its value (Twilio); empty otherwise
//	{header.X}   the request header X, empty when absent
//
// A template is compiled once into parts, so rendering does no parsing.

type partKind uint8

const (
	partLiteral partKind = iota
	partBody
	partTimestamp
	partID
	partMethod
	partURL
	partForm
	partHeader
)

type part struct {
	kind partKind
	arg  string // the literal, or the canonical header name
}

// template is a compiled signed-content template; safe for concurrent use.
type template struct {
	src   string
	parts []part
	uses  map[partKind]bool
}

// compileTemplate parses src. It fails on an unclosed or empty brace and on
// an unknown placeholder.
func compileTemplate(src string) (*template, error) {
	if src == "" {
		return nil, fmt.Errorf("signed content template is empty")
	}
	t := &template{src: src, uses: map[partKind]bool{}}
	for rest := src; rest != ""; {
		open := strings.IndexByte(rest, '{')
		if open < 0 {
			t.add(part{kind: partLiteral, arg: rest})
			break
		}
		if open > 0 {
			t.add(part{kind: partLiteral, arg: rest[:open]})
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

func (t *template) add(p part) {
	t.parts = append(t.parts, p)
	t.uses[p.kind] = true
}

var placeholders = map[string]partKind{
	"body":      partBody,
	"timestamp": partTimestamp,
	"id":        partID,
	"method":    partMethod,
	"url":       partURL,
	"form":      partForm,
}

func parsePart(name string) (part, error) {
	if strings.ContainsRune(name, '{') {
		return part{}, fmt.Errorf("nested '{'")
	}
	if k, ok := placeholders[name]; ok {
		return part{kind: k}, nil
	}
	if h, ok := strings.CutPrefix(name, "header."); ok {
		if !validHeaderName(h) {
			return part{}, fmt.Errorf("placeholder {%s}: invalid header name", name)
		}
		return part{kind: partHeader, arg: http.CanonicalHeaderKey(h)}, nil
	}
	return part{}, fmt.Errorf("unknown placeholder {%s}: want {body}, {timestamp}, {id}, {method}, {url}, {form} or {header.Name}", name)
}

// validHeaderName reports whether s is a non-empty RFC 9110 token.
func validHeaderName(s string) bool {
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

// values are what a template is rendered from.
type values struct {
	body      []byte
	timestamp string
	id        string
	method    string
	url       string
	header    http.Header
}

var bufPool = sync.Pool{New: func() any { b := make([]byte, 0, 4096); return &b }}

// render returns the signed content. When the template is just {body} it
// returns v.body itself, without a copy. Otherwise it appends to *buf, which
// the caller takes from bufPool and gives back when done with the result.
func (t *template) render(buf *[]byte, v *values) []byte {
	if len(t.parts) == 1 && t.parts[0].kind == partBody {
		return v.body
	}
	b := (*buf)[:0]
	for _, p := range t.parts {
		switch p.kind {
		case partLiteral:
			b = append(b, p.arg...)
		case partBody:
			b = append(b, v.body...)
		case partTimestamp:
			b = append(b, v.timestamp...)
		case partID:
			b = append(b, v.id...)
		case partMethod:
			b = append(b, v.method...)
		case partURL:
			b = append(b, v.url...)
		case partForm:
			b = appendForm(b, v.header, v.body)
		case partHeader:
			if hv := v.header[p.arg]; len(hv) > 0 {
				b = append(b, hv[0]...)
			}
		}
	}
	*buf = b
	return b
}

// isForm reports whether h declares a form-encoded body.
func isForm(h http.Header) bool {
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
	if !isForm(h) {
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
