package benchscenario

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"text/template"
)

// CaddyfileParams is what a Caddyfile is rendered from.
type CaddyfileParams struct {
	AdminAddr string
	HTTPPort  int
	Storage   string // `storage` arguments, e.g. "embedded /dir"; "" leaves the webhooks option out
	Path      string
	Route     RouteData
}

// Caddyfile builds the whole Caddyfile for s.
func Caddyfile(s *Scenario, p CaddyfileParams) (string, error) {
	t, err := template.New("route").Parse(expandVerify(s.Route))
	if err != nil {
		return "", fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	var route bytes.Buffer
	if err := t.Execute(&route, p.Route); err != nil {
		return "", fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	var b strings.Builder
	b.WriteString("{\n\tadmin " + p.AdminAddr + "\n")
	if p.Storage != "" {
		b.WriteString("\twebhooks {\n\t\tstorage " + p.Storage + "\n\t}\n")
	}
	b.WriteString("}\n\n")
	fmt.Fprintf(&b, ":%d {\n\tbind 127.0.0.1\n\troute %s {\n", p.HTTPPort, p.Path)
	b.WriteString(indent(route.String(), "\t\t"))
	b.WriteString("\t}\n}\n")
	return b.String(), nil
}

// expandVerify replaces each line that is only {{template "verify" .}} with
// verifyBlock, indented as that line was.
func expandVerify(route string) string {
	lines := strings.Split(route, "\n")
	for i, l := range lines {
		if strings.TrimSpace(l) == verifyCall {
			pre := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			lines[i] = strings.TrimRight(indent(verifyBlock, pre), "\n")
		}
	}
	return strings.Join(lines, "\n")
}

// indent prefixes every non-empty line of s with pre and ends it with a newline.
func indent(s, pre string) string {
	var b strings.Builder
	for _, l := range strings.Split(strings.TrimRight(s, "\n"), "\n") {
		if strings.TrimSpace(l) != "" {
			b.WriteString(pre)
		}
		b.WriteString(l)
		b.WriteString("\n")
	}
	return b.String()
}

// Check verifies names are unique and each baseline comes earlier.
func Check(list []Scenario) error {
	seen := map[string]bool{}
	for _, s := range list {
		if seen[s.Name] {
			return fmt.Errorf("scenario %q listed twice", s.Name)
		}
		if s.Baseline != "" && !seen[s.Baseline] {
			return fmt.Errorf("scenario %q: baseline %q must come before it", s.Name, s.Baseline)
		}
		if len(s.Goals) > 0 && s.Baseline == "" {
			for _, g := range s.Goals {
				if g.Kind.NeedsBaseline() {
					return fmt.Errorf("scenario %q: a ratio goal needs a baseline", s.Name)
				}
			}
		}
		seen[s.Name] = true
	}
	return nil
}

// Select returns the scenarios matching expr, plus their baselines,
// in table order. An empty expr selects all.
func Select(list []Scenario, expr string) ([]*Scenario, error) {
	want := map[string]bool{}
	if expr == "" {
		for _, s := range list {
			want[s.Name] = true
		}
	} else {
		re, err := regexp.Compile(expr)
		if err != nil {
			return nil, fmt.Errorf("-run: %w", err)
		}
		for _, s := range list {
			if re.MatchString(s.Name) {
				want[s.Name] = true
			}
		}
		// Baselines of selected scenarios, transitively (they come earlier).
		for i := len(list) - 1; i >= 0; i-- {
			if want[list[i].Name] && list[i].Baseline != "" {
				want[list[i].Baseline] = true
			}
		}
	}
	var out []*Scenario
	for i := range list {
		if want[list[i].Name] {
			out = append(out, &list[i])
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("-run %q matches no scenario", expr)
	}
	return out, nil
}
