package redisurl

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestParseRedisURLNeverShowsThePassword: a password holding / @ : # ? —
// unescaped, so that it spills into the host, database or query — never
// appears in an error or in String(), whole or as any of its fragments.
func TestParseRedisURLNeverShowsThePassword(t *testing.T) {
	passwords := []string{
		"Ab3/Qz8",
		"Kq7@Wv2",
		"Mn4:Pr6",
		"Jd5#Lt9",
		"Hs2?Xc4",
		"Fg6?Ty1=Ru3",
		"Vb8/Nm2@Ze5:Wq1#Oi7?Pl3",
	}
	shapes := []string{
		"redis://:%s@cache.example:6380/2",
		"redis://ops:%s@cache.example",
		"rediss://:%s@h1:1,h2:2",
		"redis://:%s@h1:26379/1?master_name=mymaster",
		"redis://:%s@h1:notaport",
		"redis://:%s@h1/x",
		"redis://:%s@h1?pasword=x",
	}
	for _, pass := range passwords {
		secrets := append(strings.FieldsFunc(pass, func(r rune) bool {
			return strings.ContainsRune("/@:#?=", r)
		}), pass)
		for _, shape := range shapes {
			raw := strings.Replace(shape, "%s", pass, 1)
			u, err := Parse(raw)
			shown := ""
			if err != nil {
				shown = err.Error()
			} else {
				shown = u.String()
			}
			for _, s := range secrets {
				assert.NotContains(t, shown, s, "%s: %s", raw, shown)
			}
		}
	}
}

// TestParseRedisURLSaysWhyAnUnescapedPasswordFails: the error names the fix
// (percent-encoding), since it cannot show where the URL went wrong.
func TestParseRedisURLSaysWhyAnUnescapedPasswordFails(t *testing.T) {
	for _, raw := range []string{
		"redis://:Ab3/Qz8@cache.example:6379",
		"redis://:Hs2?Xc4@cache.example:6379",
		"redis://ops:Vb8/Nm2@Ze5:Wq1#Oi7?Pl3@h1",
	} {
		_, err := Parse(raw)
		if assert.Error(t, err, raw) {
			assert.Contains(t, err.Error(), "percent-encode", raw)
		}
	}
	u, err := Parse("redis://:Ab3%2FQz8@h1?master_name=a@b")
	if assert.NoError(t, err) {
		assert.Equal(t, "Ab3/Qz8", u.Password)
		assert.Equal(t, "a@b", u.MasterName)
	}
}
