package cli

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature"
)

var update = flag.Bool("update", false, "rewrite the generated preset tables in README.md and docs/presets.md")

// The preset tables of README.md and docs/presets.md are generated from the
// registered presets; this test fails when they drift (fix: go generate ./cli).
func TestPresetTablesInDocs(t *testing.T) {
	for _, doc := range []struct {
		path, table string
	}{
		{"../README.md", ReadmeTable()},
		{"../docs/presets.md", SourcesTable()},
	} {
		path := filepath.Clean(doc.path)
		raw, err := os.ReadFile(path)
		require.NoError(t, err)
		const begin, end = "<!-- presets:begin (generated: go generate ./cli) -->\n", "<!-- presets:end -->"
		text := string(raw)
		i, j := strings.Index(text, begin), strings.Index(text, end)
		require.True(t, i >= 0 && j > i, "%s: markers missing", path)
		want := text[:i+len(begin)] + doc.table + text[j:]
		if *update {
			require.NoError(t, os.WriteFile(path, []byte(want), 0o644))
			continue
		}
		assert.Equal(t, want, text, "%s drifted from the presets: run go generate ./cli", path)
	}
}

func TestPresetsCommand(t *testing.T) {
	out, err := runCmd(t, presetsCommand(), "")
	require.NoError(t, err)
	for _, name := range signature.Presets() {
		p, _ := signature.LookupPreset(name)
		assert.Contains(t, out, name)
		if p.DedupeKey != "" {
			assert.Contains(t, out, p.DedupeKey)
		}
	}
	assert.Contains(t, out, "X-Hub-Signature-256: sha256=<hex>")
	assert.Contains(t, out, "25MB")
	out, err = runCmd(t, presetsCommand(), "", "--markdown")
	require.NoError(t, err)
	assert.Equal(t, ReadmeTable(), out)
}
