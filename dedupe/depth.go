package dedupe

import (
	"bytes"
	"errors"
	"fmt"
	"unicode/utf8"

	"github.com/tidwall/gjson"
)

// MaxDepth bounds how deeply a JSON body may nest arrays and objects when a
// {json.…} placeholder reads it. gjson validates by recursion, one stack
// frame per level: 1 MiB of '[' took 128 MB of goroutine stack and 0.4 s,
// and a larger max_body would reach Go's 1 GB stack limit, a fatal error
// that no recover catches — from one request (unauthenticated on the
// routes of unsigned presets). Real webhooks nest a few levels deep.
const MaxDepth = 512

// CheckJSON returns an error unless body is valid UTF-8 JSON nested at most
// MaxDepth levels deep. The depth is checked first, by a cheap scan without
// recursion, so that gjson's recursive validation never sees a deep body.
// After it, gjson lookups on body are safe.
func CheckJSON(body []byte) error {
	if tooDeep(body, MaxDepth) {
		return fmt.Errorf("JSON nested deeper than %d levels", MaxDepth)
	}
	if !(utf8.Valid(body) && gjson.ValidBytes(body)) {
		return errors.New("body is not valid JSON")
	}
	return nil
}

// tooDeep reports whether body nests arrays or objects more than max levels
// deep. It scans once, without recursion, skipping the insides of strings
// (by IndexByte to their closing quote, the bulk of a webhook's bytes); it
// does not validate (gjson does that after it).
func tooDeep(body []byte, max int) bool {
	depth := 0
	for i := 0; i < len(body); i++ {
		switch body[i] {
		case '"':
			i = stringEnd(body, i+1)
		case '[', '{':
			if depth++; depth > max {
				return true
			}
		case ']', '}':
			depth--
		}
	}
	return false
}

// stringEnd returns the index of the quote that closes the string whose
// contents start at body[i], or len(body) if none does. A quote is escaped
// when an odd number of backslashes precede it.
func stringEnd(body []byte, i int) int {
	for {
		q := bytes.IndexByte(body[i:], '"')
		if q < 0 {
			return len(body)
		}
		q += i
		n := 0
		for j := q - 1; j >= i && body[j] == '\\'; j-- {
			n++
		}
		if n%2 == 0 {
			return q
		}
		i = q + 1
	}
}
