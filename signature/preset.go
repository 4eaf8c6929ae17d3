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
	// Signed is false for senders that sign nothing: guard their routes
	// with a shared token, basic auth or the remote_ip matcher.
	Signed bool
	// Doc is the provider's documentation of the scheme.
	Doc string
	// MaxBody is the largest body the sender documents sending, in bytes:
	// the route's default max_body, so that a legitimate large delivery is
	// not refused with 413. 0 at registration means DefaultMaxBody, and
	// MaxBodyDoc is then "" (the sender documents no cap).
	MaxBody int64
	// MaxBodyDoc cites where the sender documents MaxBody.
	MaxBodyDoc string
	// Handshake names the endpoint checks the preset answers ("" for none),
	// for the generated tables.
	Handshake string
	// Summary overrides, for the generated tables, what is derived from the
	// scheme (the other fields of Summary stay derived when left empty).
	Summary Summary
	// Scheme is how the sender signs (BodyHMAC, StandardWebhooks, …).
	Scheme Scheme
}

// DefaultMaxBody is the max_body of a preset whose sender documents no cap
// on its payloads, and of routes without a preset: 1 MiB.
const DefaultMaxBody = 1 << 20

var presets = map[string]Preset{}

// Register adds a preset: package presets registers every one at init.
// FailureStatus 0 means 401 and MaxBody 0 DefaultMaxBody; Signed is
// derived from the scheme. It panics on a duplicate name.
func Register(p Preset) {
	if p.FailureStatus == 0 {
		p.FailureStatus = http.StatusUnauthorized
	}
	if p.MaxBody == 0 {
		p.MaxBody = DefaultMaxBody
	}
	p.Signed = p.Scheme.sp.prim != primNone
	p.Scheme.sp.tolerance = p.Tolerance
	if _, dup := presets[p.Name]; dup {
		panic("signature: duplicate preset " + p.Name)
	}
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

// BodyTimestamp is the JSON path of the unix-milliseconds timestamp the
// sender signs inside its body (Linear's webhookTimestamp), "" for none.
func (p Preset) BodyTimestamp() string { return p.Scheme.sp.BodyTS }

// LookupPreset returns the named preset.
func LookupPreset(name string) (Preset, bool) {
	p, ok := presets[name]
	return p, ok
}
