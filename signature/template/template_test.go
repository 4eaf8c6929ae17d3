package template

import (
	"net/http"
	"strings"
	"testing"
)

// FuzzTemplate compiles any template (configuration: its errors may quote
// it) and renders it over form data.
func FuzzTemplate(f *testing.F) {
	for _, s := range []string{"{body}", "v0:{timestamp}:{body}", "{id}.{timestamp}.{body}", "{method}{url}{body}{timestamp}",
		"{url}{form}", "{header.X-Custom}|{body}", "{", "}", "{}", "{header.}", "{{body}}", "lit{body", "{bdy}", "a{body}b{id}c"} {
		f.Add(s, "CallSid=CA1&Digits=1", "1700000000")
	}
	f.Fuzz(func(t *testing.T, src, body, ts string) {
		tmpl, err := Compile(src) // configuration: its errors may quote it
		if err != nil {
			return
		}
		if tmpl.src != src || len(tmpl.parts) == 0 {
			t.Fatalf("compiled %q to %+v", src, tmpl.parts)
		}
		h := http.Header{"Content-Type": {"application/x-www-form-urlencoded"}, "X-Custom": {"c"}}
		v := Values{Body: []byte(body), Timestamp: ts, ID: "msg_1", Method: "POST", URL: "https://x.example/?a=1", Header: h}
		buf := make([]byte, 0, 64)
		out := tmpl.Render(&buf, &v)
		if !strings.Contains(src, "{") && string(out) != src {
			t.Fatalf("literal template %q rendered %q", src, out)
		}
		if src == "{body}" && string(out) != body {
			t.Fatalf("{body} rendered %q", out)
		}
	})
}
