// Package dedupe builds deduplication keys from request data. A key template
// mixes literals with placeholders: {json.a.b} reads a field of the JSON body,
// {header.X} a request header, {query.x} a query parameter, {body_sha256} is
// the hex SHA-256 of the raw body and {signed_digest} the hex SHA-256 of what
// the request's signature covers (see signature.Verifier.VerifyDigest). For
// example "{json.sourceId}:{json.status}" keys a Ctxfy postback by source
// and status, and "{signed_digest}" keys a GitHub delivery by its signed
// body rather than by its unsigned X-GitHub-Delivery header.
package dedupe

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"

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
	bodyDigest
	signedDigest
)

// The placeholders without a namespace.
const (
	BodySHA256   = "{body_sha256}"
	SignedDigest = "{signed_digest}"
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

// Placeholder parses one placeholder, s without its braces, into its
// namespace and argument: "json" and a gjson path, "header" and a canonical
// header name, "query" and a parameter name, or "body_sha256" or
// "signed_digest" and "". The Caddyfile's long forms
// {http.request.header.X} and {http.request.uri.query.x} are accepted. It is
// the one grammar of placeholders, shared with package filter.
func Placeholder(s string) (ns, arg string, err error) {
	switch "{" + s + "}" {
	case BodySHA256, SignedDigest:
		return s, "", nil
	}
	ns, arg, ok := strings.Cut(caddyfileForms.Replace(s), ".")
	if !ok || arg == "" {
		return "", "", fmt.Errorf("placeholder {%s}: want {json.path}, {header.Name}, {query.name}, {body_sha256} or {signed_digest}", s)
	}
	switch ns {
	case "json", "query":
		return ns, arg, nil
	case "header":
		return ns, http.CanonicalHeaderKey(arg), nil
	}
	return "", "", fmt.Errorf("placeholder {%s}: unknown namespace %q", s, ns)
}

func parsePlaceholder(s string) (part, error) {
	ns, arg, err := Placeholder(s)
	if err != nil {
		return part{}, err
	}
	return part{kind: kinds[ns], arg: arg}, nil
}

var kinds = map[string]kind{
	"json": jsonPath, "header": header, "query": query,
	"body_sha256": bodyDigest, "signed_digest": signedDigest,
}

// String returns the template's source.
func (t *Template) String() string { return t.src }

// UsesSigned reports whether the template uses {signed_digest}, which
// needs a verifier that signs content.
func (t *Template) UsesSigned() bool {
	for _, p := range t.parts {
		if p.kind == signedDigest {
			return true
		}
	}
	return false
}

// Headers returns the canonical names of the headers the template reads.
func (t *Template) Headers() []string {
	var out []string
	for _, p := range t.parts {
		if p.kind == header {
			out = append(out, p.arg)
		}
	}
	return out
}

// Key evaluates the template against a request, its raw body and signed,
// the digest of what its signature covers (nil when unverified). Every
// placeholder must resolve to a non-empty value: a missing field, a body that
// is not valid JSON (when a {json.…} placeholder is used), a missing signed
// digest or an over-long key is an error wrapping ErrInput.
func (t *Template) Key(r *http.Request, body, signed []byte) (string, error) {
	return t.KeyOf(&Input{R: r, Body: body, Signed: signed})
}

// KeyOf is Key over in, whose JSON check it shares with the other
// templates and filters that read the same request.
func (t *Template) KeyOf(in *Input) (string, error) {
	if t.json {
		if err := in.CheckJSON(); err != nil {
			return "", fmt.Errorf("%w: %v", ErrInput, err)
		}
	}
	var b strings.Builder
	for _, p := range t.parts {
		v, err := p.value(in.R, in.Body, in.Signed)
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

func (p part) value(r *http.Request, body, signed []byte) (string, error) {
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
	case bodyDigest:
		sum := sha256.Sum256(body)
		return hex.EncodeToString(sum[:]), nil
	case signedDigest:
		if len(signed) == 0 {
			return "", fmt.Errorf("%w: no signed digest: the request was not verified by a scheme that signs content", ErrInput)
		}
		return hex.EncodeToString(signed), nil
	}
	if v == "" {
		return "", fmt.Errorf("%w: %s %q is missing or empty", ErrInput, p.kind, p.arg)
	}
	return v, nil
}

func (k kind) String() string {
	return [...]string{"literal", "json field", "header", "query parameter"}[k]
}
