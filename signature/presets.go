package signature

import (
	"net/http"
	"sort"
	"time"
)

// Preset describes a provider's scheme and the defaults that go with it.
type Preset struct {
	// Name is the value of Config.Scheme that selects the preset.
	Name string
	// DedupeKey is the default dedupe key template (dedupe package syntax).
	DedupeKey string
	// Tolerance is the default replay window; 0 when the scheme carries no
	// timestamp.
	Tolerance time.Duration
	// FailureStatus is the status to answer a request that fails
	// verification.
	FailureStatus int
	// Signed is false for senders that sign nothing.
	Signed bool
	// Doc is the provider's documentation of the scheme.
	Doc string

	spec spec
}

var presets = map[string]Preset{}

func register(p Preset) {
	if p.FailureStatus == 0 {
		p.FailureStatus = http.StatusUnauthorized
	}
	p.Signed = p.spec.prim != primNone
	p.spec.tolerance = p.Tolerance
	presets[p.Name] = p
}

// Presets returns the preset names, sorted.
func Presets() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupPreset returns the named preset.
func LookupPreset(name string) (Preset, bool) {
	p, ok := presets[name]
	return p, ok
}
