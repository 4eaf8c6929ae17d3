package signature_test

import (
	. "github.com/hookgate/hookgate/signature"
	_ "github.com/hookgate/hookgate/signature/presets"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/signature/template"
)

// TestPresetKeysAreSigned audits every preset's default dedupe key: each
// header it reads must be one the signature covers, {signed_digest} needs a
// scheme that signs content, and a {json.…} field must lie in a signed body.
// Otherwise a replay of one captured delivery with a new value of the
// unsigned part would not be a duplicate. A shared token (gitlab, okta)
// covers nothing: there the key must at least read no header, so that a
// verbatim replay of the body is a duplicate.
func TestPresetKeysAreSigned(t *testing.T) {
	for _, name := range Presets() {
		p, _ := LookupPreset(name)
		if p.DedupeKey == "" || !p.Signed {
			continue // meta: no default key; ctxfy, superai: nothing is signed
		}
		t.Run(name, func(t *testing.T) {
			tmpl, err := dedupe.Parse(p.DedupeKey)
			require.NoError(t, err)
			cfg := Config{Scheme: name}
			for _, h := range tmpl.Headers() {
				assert.Contains(t, cfg.SignedHeaders(), h, "the key reads %s, which the signature does not cover", h)
			}
			if tmpl.UsesSigned() {
				assert.True(t, cfg.SignsContent(), "{signed_digest} on a scheme that signs no content")
			}
			if strings.Contains(p.DedupeKey, "{json.") && cfg.SignsContent() {
				sc, err := Resolve(cfg)
				require.NoError(t, err)
				assert.True(t, sc.Template != nil && sc.Template.Uses(template.Body), "the key reads the body, which the signature does not cover")
			}
		})
	}
}
