package signature

import (
	"github.com/hookgate/hookgate/signature/framing"
	"github.com/hookgate/hookgate/signature/keys"
	"github.com/hookgate/hookgate/signature/template"
)

// What the external tests (package signature_test, which imports the
// presets and so cannot be internal) see of the unexported scheme.

// View is what the tests read of a spec or a resolved scheme.
type View struct {
	Header, TSHeader, IDHeader string
	Token, Ed25519, ECDSA      bool
	Whsec                      bool // secrets are whsec_ base64
	Template                   *template.Template
	Framing                    framing.Framing
	Timed                      bool
}

func viewOf(sp spec) View {
	return View{Header: sp.Header, TSHeader: sp.TSHeader, IDHeader: sp.IDHeader, Token: sp.prim == primToken, Ed25519: sp.prim == primEd25519,
		ECDSA: sp.prim == primECDSA, Whsec: sp.KeyFmt == keys.Whsec}
}

// PresetSpec is the named preset's scheme.
func PresetSpec(name string) View { return viewOf(presets[name].Scheme.sp) }

// SpecOf is p's scheme before any Config applies.
func SpecOf(p Preset) View { return viewOf(p.Scheme.sp) }

// Resolve is c's compiled scheme.
func Resolve(c Config) (View, error) {
	sc, err := c.resolve()
	if err != nil {
		return View{}, err
	}
	v := viewOf(sc.spec)
	v.Template, v.Framing, v.Timed = sc.tmpl, sc.Frame, sc.timed
	return v, nil
}
