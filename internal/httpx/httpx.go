// Package httpx holds the small HTTP helpers the webhook handlers share.
package httpx

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"slices"
	"strings"

	"github.com/caddyserver/caddy/v2"
	"go.uber.org/zap"
)

// initialBody is the most ReadBody sets aside before bytes arrive. The
// Content-Length is the client's word, not bytes received: a buffer sized
// from it lets stalled requests that announce max_body hold max_body each.
const initialBody = 16 << 10

// ReadBody reads at most limit bytes of the raw body; a larger body is an
// *http.MaxBytesError. The buffer grows as bytes arrive (at most twice what
// was received), never from the announced length.
func ReadBody(w http.ResponseWriter, r *http.Request, limit int64) ([]byte, error) {
	if r.ContentLength > limit {
		return nil, &http.MaxBytesError{Limit: limit}
	}
	var buf bytes.Buffer
	// ReadFrom wants MinRead bytes free before each read, the last (EOF)
	// one included: with them, a body of the announced length takes one
	// allocation, not two and a copy.
	buf.Grow(int(min(max(r.ContentLength, 0), initialBody)) + bytes.MinRead)
	_, err := buf.ReadFrom(http.MaxBytesReader(w, r.Body, limit))
	return buf.Bytes(), err
}

// WriteStatus answers with code and {"id":id,"status":status}, the
// handlers' answer to a webhook taken or matched, byte for byte what
// WriteJSON writes for that map, without encoding/json's reflection and
// allocations on the hot path.
func WriteStatus(w http.ResponseWriter, code int, id, status string) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	b := make([]byte, 0, 32+len(id)+len(status))
	b = append(b, `{"id":`...)
	b = appendJSONString(b, id)
	b = append(b, `,"status":`...)
	b = appendJSONString(b, status)
	_, err := w.Write(append(b, "}\n"...))
	return err
}

// appendJSONString appends s as a JSON string. Ids and status words are
// plain printable ASCII, appended as they are; anything else goes through
// encoding/json, so the bytes are always what it would write.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || strings.IndexByte(`"\<>&`, c) >= 0 {
			q, _ := json.Marshal(s)
			return append(b, q...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// WriteJSON answers with code and v as JSON.
func WriteJSON(w http.ResponseWriter, code int, v any) error {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	return json.NewEncoder(w).Encode(v)
}

// Reject answers a request that is not accepted, the handlers' one way: it
// counts the result for route, logs why (an error for a 5xx, else info),
// and answers {"error": msg}. msg is safe to show; cause is only logged.
func Reject(w http.ResponseWriter, log *zap.Logger, count func(route, result string), route string,
	code int, result, msg string, cause error) error {
	count(route, result)
	level := zap.InfoLevel
	if code >= 500 {
		level = zap.ErrorLevel
	}
	if ce := log.Check(level, "webhook rejected"); ce != nil {
		ce.Write(zap.String("route", route), zap.String("result", result), zap.String("reason", msg), zap.NamedError("cause", cause))
	}
	return WriteJSON(w, code, map[string]string{"error": msg})
}

// BodyError classifies an error of ReadBody: 413 for a body over the
// limit, 408 for a client slower than the server's read_body timeout (a
// trickling body: its fault, not a malformed request), else 400; result
// labels it for metrics.
func BodyError(err error) (code int, result, msg string) {
	var tooLarge *http.MaxBytesError
	switch {
	case errors.As(err, &tooLarge):
		return http.StatusRequestEntityTooLarge, "too_large", "body larger than max_body"
	case errors.Is(err, os.ErrDeadlineExceeded):
		return http.StatusRequestTimeout, "timeout", "reading body timed out"
	}
	return http.StatusBadRequest, "bad_request", "reading body"
}

// APIError is an admin API error: its status and message reach the client.
func APIError(code int, format string, args ...any) error {
	return caddy.APIError{HTTPStatus: code, Err: fmt.Errorf(format, args...)}
}

// DecodeJSON decodes a JSON request body of at most 64 KiB into v,
// refusing unknown fields; its error is an APIError (400).
func DecodeJSON(r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(nil, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return APIError(http.StatusBadRequest, "decoding request body: %v", err)
	}
	return nil
}

// CheckMethod refuses (405) a request whose method is not one of methods.
func CheckMethod(r *http.Request, methods ...string) error {
	if !slices.Contains(methods, r.Method) {
		return APIError(http.StatusMethodNotAllowed, "method %s not allowed", r.Method)
	}
	return nil
}
