package redact

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestBody(t *testing.T) {
	for _, tc := range []struct {
		body       string
		max        int
		shown, enc string
		truncated  bool
	}{
		{`{"id":1}`, 64, `{"id":1}`, "text", false},
		{"", 64, "", "text", false},
		{"\xff\x00\x01", 64, "/wAB", "base64", false},
		{"\xff\x00\x01\x02", 3, "/wAB", "base64", true},
		{"abcdef", 4, "abcd", "text", true},
		{"aéé", 4, "aé", "text", true}, // the cut falls inside the second é
		{"aéé", 3, "aé", "text", true},
	} {
		shown, enc, truncated := Body([]byte(tc.body), tc.max)
		assert.Equal(t, tc.shown, shown, "%q", tc.body)
		assert.Equal(t, tc.enc, enc, "%q", tc.body)
		assert.Equal(t, tc.truncated, truncated, "%q", tc.body)
	}
	shown, _, _ := Body([]byte(strings.Repeat("x", 100)), 10)
	assert.Len(t, shown, 10)
}
