package dedupe

import (
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
// deep. It scans once, without recursion, skipping the insides of strings;
// it does not validate (gjson does that after it).
func tooDeep(body []byte, max int) bool {
	depth, inString, escaped := 0, false, false
	for _, c := range body {
		switch {
		case inString:
			switch {
			case escaped:
				escaped = false
			case c == '\\':
				escaped = true
			case c == '"':
				inString = false
			}
		case c == '"':
			inString = true
		case c == '[' || c == '{':
			if depth++; depth > max {
				return true
			}
		case c == ']' || c == '}':
			depth--
		}
	}
	return false
}
