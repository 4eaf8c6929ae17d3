package framing

import (
	"errors"
	"strings"
)

// SpacedKV is a space-separated list of KV groups (Persona during a
// rotation: "t=…,v1=… t=…,v1=…"), whose timestamps must agree. It formats
// as its KV.
type SpacedKV struct{ KV }

// Parse reads every group's signatures and their common timestamp.
func (f SpacedKV) Parse(v string, sigs []string) ([]string, string, error) {
	var ts string
	groups := strings.Fields(v)
	if len(groups) == 0 || len(groups) > MaxParts {
		return nil, "", errors.New("no signature group")
	}
	for i, g := range groups {
		var t string
		var err error
		if sigs, t, err = f.KV.Parse(g, sigs); err != nil {
			return nil, "", err
		}
		if i > 0 && t != ts {
			return nil, "", errors.New("signature groups carry different timestamps")
		}
		ts = t
	}
	return sigs, ts, nil
}
