package cli

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/tidwall/gjson"

	"github.com/hookgate/hookgate/signature"
)

// Every preset's sample carries a value wherever its dedupe key reads one.
func TestSampleFillsTheDedupeKey(t *testing.T) {
	for _, name := range signature.Presets() {
		p, _ := signature.LookupPreset(name)
		body, header, err := sample(name)
		require.NoError(t, err, name)
		require.True(t, gjson.ValidBytes(body), name)
		for _, m := range keyPart.FindAllStringSubmatch(p.DedupeKey, -1) {
			if m[1] == "header" {
				assert.NotEmpty(t, header.Get(m[2]), "%s: header %s", name, m[2])
				continue
			}
			assert.True(t, gjson.GetBytes(body, m[2]).Exists(), "%s: %s in %s", name, m[2], body)
		}
		if path := p.BodyTimestamp(); path != "" {
			ms := gjson.GetBytes(body, path).Int()
			assert.WithinDuration(t, time.Now(), time.UnixMilli(ms), time.Minute, "%s: signed body timestamp %s", name, path)
		}
	}
}

// Each sample is a new event, also for presets keyed on the signed body.
func TestSampleIsFreshEachTime(t *testing.T) {
	for _, name := range []string{"stripe", "github", "shopify", "linear", "hubspot"} {
		a, _, _ := sample(name)
		b, _, _ := sample(name)
		assert.NotEqual(t, string(a), string(b), name)
	}
}

func TestSetPath(t *testing.T) {
	doc := setPath(map[string]any{}, []string{"0", "event", "id"}, "x")
	assert.Equal(t, []any{map[string]any{"event": map[string]any{"id": "x"}}}, doc)
	doc = setPath(map[string]any{"a": "keep"}, []string{"b", "c"}, "y")
	assert.Equal(t, map[string]any{"a": "keep", "b": map[string]any{"c": "y"}}, doc)
}
