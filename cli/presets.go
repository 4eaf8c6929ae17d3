package cli

//go:generate go test -run TestPresetTablesInDocs -update .

import (
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets" // the named schemes Configs resolve
)

func presetsCommand() *cobra.Command {
	var markdown bool
	cmd := &cobra.Command{
		Use:   "presets [--markdown]",
		Short: "List every preset: header, scheme, default dedupe key, tolerance, max_body",
		Args:  cobra.NoArgs,
	}
	cmd.Flags().BoolVar(&markdown, "markdown", false, "print the README's Markdown table")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if markdown {
			_, err := io.WriteString(cmd.OutOrStdout(), ReadmeTable())
			return err
		}
		return writePresetList(cmd.OutOrStdout())
	}
	return cmd
}

// writePresetList writes the presets as aligned text.
func writePresetList(out io.Writer) error {
	w := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "PRESET\tHEADER\tSCHEME\tSIGNED\tDEDUPE KEY\tTOLERANCE\tMAX_BODY")
	for _, name := range signature.Presets() {
		p, _ := signature.LookupPreset(name)
		d := p.Describe()
		fmt.Fprintf(w, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", name, d.Header, d.Algorithm, d.Signed,
			or(p.DedupeKey, "none: set one"), signature.FormatTolerance(p.Tolerance), signature.FormatSize(p.MaxBody))
	}
	fmt.Fprintf(w, "\n%d presets\n", len(signature.Presets()))
	return w.Flush()
}

func or(s, def string) string {
	if s == "" {
		return def
	}
	return s
}

// cell escapes a Markdown table cell and puts it in code.
func code(s string) string {
	if s == "" || s == "—" {
		return s
	}
	return "`" + strings.ReplaceAll(s, "|", `\|`) + "`"
}

// ReadmeTable is the README's preset table, with the count: generated from
// the registered presets (go generate ./cli), checked by a test.
func ReadmeTable() string {
	var b strings.Builder
	names := signature.Presets()
	fmt.Fprintf(&b, "Hookgate knows **%d presets**.\n\n", len(names))
	b.WriteString("| preset | header | algorithm | signed content | default dedupe key | tolerance | max_body | handshake |\n")
	b.WriteString("|---|---|---|---|---|---|---|---|\n")
	for _, name := range names {
		p, _ := signature.LookupPreset(name)
		d := p.Describe()
		key := code(p.DedupeKey)
		if key == "" {
			key = "none: set one"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %s | %s | %s | %s |\n", name, code(d.Header), d.Algorithm,
			code(d.Signed), key, signature.FormatTolerance(p.Tolerance), signature.FormatSize(p.MaxBody), p.Handshake)
	}
	return b.String()
}

// SourcesTable is docs/presets.md's table of where each preset comes from:
// the provider's documentation, the documented largest payload (its
// default max_body) and the answer to a failed verification.
func SourcesTable() string {
	var b strings.Builder
	b.WriteString("| preset | the sender's documentation | default max_body | documented where | reject |\n")
	b.WriteString("|---|---|---|---|---|\n")
	for _, name := range signature.Presets() {
		p, _ := signature.LookupPreset(name)
		where := p.MaxBodyDoc
		if where == "" {
			where = "no cap documented: Hookgate's 1 MiB default"
		}
		fmt.Fprintf(&b, "| `%s` | %s | %s | %s | %d |\n", name, p.Doc, signature.FormatSize(p.MaxBody), where, p.FailureStatus)
	}
	return b.String()
}
