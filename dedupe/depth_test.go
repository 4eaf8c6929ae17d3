package dedupe

import (
	"encoding/json"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestTooDeep(t *testing.T) {
	for body, deep := range map[string]bool{
		`{"a":[[1]]}`:                           false,
		strings.Repeat("[", 3) + "]]]":          false,
		strings.Repeat("[", 4):                  true,
		`{"s":"[[[[[[[[[["}`:                    false, // inside a string
		`{"s":"\"[[[[[[[[[["}`:                  false, // after an escaped quote
		`{"s":"\\"}` + strings.Repeat("[", 4):   true,  // an escaped backslash ends the string
		`{"s":"\\\"[[[["}`:                      false, // an escaped backslash, then an escaped quote
		`{"s":"\\\\"}` + strings.Repeat("[", 4): true,  // two escaped backslashes
		`{"s":"a\"b\"c","t":"[[[["}`:            false, // two escaped quotes in one string
		`["[[[[`:                                false, // unterminated string: gjson rejects it later
		`{"a":{"b":{"c":{"d":1}}}}`:             true,
		`[` + strings.Repeat("[]", 100) + `]`:   false, // wide, not deep
		strings.Repeat("]", 10) + `[[[`:         false, // unbalanced: gjson rejects it later
	} {
		assert.Equal(t, deep, tooDeep([]byte(body), 3), body)
	}
}

// TestDeeplyNestedBodyIsRefusedQuickly: 1 MiB of '[' used to cost 128 MB of
// stack in gjson's recursive validation; it must now be a cheap input error.
func TestDeeplyNestedBodyIsRefusedQuickly(t *testing.T) {
	tp, err := Parse("{json.id}")
	require.NoError(t, err)
	r := httptest.NewRequest("POST", "/", nil)
	for _, body := range []string{
		strings.Repeat("[", 1<<20),
		`{"id":"x","a":` + strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth) + `}`,
		`{"id":"x","a":` + strings.Repeat(`{"a":`, 100000) + "1" + strings.Repeat("}", 100000) + `}`,
	} {
		start := time.Now()
		_, err := tp.Key(r, []byte(body), nil)
		assert.ErrorIs(t, err, ErrInput)
		assert.Contains(t, err.Error(), "nested deeper")
		assert.Less(t, time.Since(start), 100*time.Millisecond)
	}
	key, err := tp.Key(r, []byte(`{"id":"x","a":`+strings.Repeat("[", MaxDepth-1)+strings.Repeat("]", MaxDepth-1)+`}`), nil)
	require.NoError(t, err, "nesting up to MaxDepth is fine")
	assert.Equal(t, "x", key)
}

// FuzzJSONPath extracts random paths from random bodies: never a panic, and
// a key only from valid, not-too-deep JSON, within MaxKeyLen.
func FuzzJSONPath(f *testing.F) {
	f.Add("id", `{"id":"evt_1"}`)
	f.Add("a.b", `{"a":{"b":"c"}}`)
	f.Add("a.0", `{"a":["x"]}`)
	f.Add("a\\.b", `{"a.b":1}`)
	f.Add("#", `[1,2]`)
	f.Add("@reverse", `[1]`)
	f.Add("a|@this", `{"a":true}`)
	f.Add("id", "{\"id\":\"\xff\xfe\"}")
	f.Add("id", strings.Repeat("[", 2000))
	f.Add("id", `{"id":"x","a":`+strings.Repeat("[", 600)+strings.Repeat("]", 600)+`}`)
	f.Add("id", `{"id":1e999}`)
	f.Add("id", `{"id":"x"} trailing`)
	f.Fuzz(func(t *testing.T, path, body string) {
		tp, err := Parse("{json." + path + "}")
		if err != nil {
			return
		}
		key, err := tp.Key(httptest.NewRequest("POST", "/", nil), []byte(body), nil)
		if err != nil {
			return
		}
		if !json.Valid([]byte(body)) {
			t.Fatalf("key %q from invalid JSON %q", key, body)
		}
		if tooDeep([]byte(body), MaxDepth) || key == "" || len(key) > MaxKeyLen {
			t.Fatalf("key %q accepted from %q", key, body)
		}
	})
}

func TestCheckJSON(t *testing.T) {
	assert.NoError(t, CheckJSON([]byte(`{"a":[1,{"b":null}]}`)))
	assert.ErrorContains(t, CheckJSON([]byte(strings.Repeat("[", 1<<20))), "nested deeper")
	assert.ErrorContains(t, CheckJSON([]byte(`{"a":`)), "not valid JSON")
	assert.ErrorContains(t, CheckJSON([]byte("\"\xff\"")), "not valid JSON")
}
