package caddyfile_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/caddyserver/caddy/v2/caddyconfig"
	_ "github.com/caddyserver/caddy/v2/modules/standard"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	_ "github.com/hookgate/hookgate/module"
)

var update = flag.Bool("update", false, "rewrite the expected JSON of testdata/*.caddytest")

// separator divides a .caddytest file: the Caddyfile above, and below either
// the JSON it adapts to or "error: <text the error must contain>".
const separator = "\n----------\n"

// TestAdapt adapts every testdata/*.caddytest Caddyfile and compares the
// result with the file's expectation. go test ./caddyfile -update rewrites
// the JSON expectations (never the error ones): review the diff.
func TestAdapt(t *testing.T) {
	files, err := filepath.Glob("testdata/*.caddytest")
	require.NoError(t, err)
	require.NotEmpty(t, files)
	for _, file := range files {
		t.Run(strings.TrimSuffix(filepath.Base(file), ".caddytest"), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			require.NoError(t, err)
			input, want, ok := strings.Cut(string(raw), separator)
			require.True(t, ok, "%s has no %q line", file, strings.TrimSpace(separator))
			got, adaptErr := adapt(input + "\n")
			if msg, isErr := strings.CutPrefix(want, "error: "); isErr {
				require.Error(t, adaptErr, "adapted to:\n%s", got)
				assert.Contains(t, adaptErr.Error(), strings.TrimSpace(msg))
				return
			}
			require.NoError(t, adaptErr)
			if *update {
				require.NoError(t, os.WriteFile(file, []byte(input+separator+got), 0o644))
				return
			}
			assert.JSONEq(t, want, got)
		})
	}
}

func adapt(caddyfile string) (string, error) {
	adapter := caddyconfig.GetAdapter("caddyfile")
	out, warnings, err := adapter.Adapt([]byte(caddyfile), nil)
	if err != nil {
		return "", err
	}
	if len(warnings) > 0 {
		w, _ := json.Marshal(warnings)
		return "", &warningsError{string(w)}
	}
	var buf bytes.Buffer
	if err := json.Indent(&buf, out, "", "\t"); err != nil {
		return "", err
	}
	return buf.String() + "\n", nil
}

// warningsError turns adapter warnings into failures: a test Caddyfile
// should adapt cleanly.
type warningsError struct{ warnings string }

func (e *warningsError) Error() string { return "adapter warnings: " + e.warnings }
