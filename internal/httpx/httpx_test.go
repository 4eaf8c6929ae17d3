package httpx

import (
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestReadBodyGrowsWithReceivedBytes(t *testing.T) {
	for _, tc := range []struct {
		name      string
		announced int64
		body      string
		maxCap    int
	}{
		{"announces 1 MiB, sends 2 bytes", 1 << 20, "{}", initialBody * 2},
		{"unknown length", -1, "{}", initialBody * 2},
		{"honest 100 KiB", 100 << 10, strings.Repeat("x", 100<<10), 2 * 100 << 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader(tc.body))
			r.ContentLength = tc.announced
			body, err := ReadBody(httptest.NewRecorder(), r, 1<<20)
			require.NoError(t, err)
			assert.Equal(t, tc.body, string(body))
			assert.LessOrEqual(t, cap(body), tc.maxCap, "buffer sized from the announced length")
		})
	}
}

func TestReadBodyRefusesOverLimit(t *testing.T) {
	var tooLarge *http.MaxBytesError
	r := httptest.NewRequest(http.MethodPost, "/", strings.NewReader("12345"))
	_, err := ReadBody(httptest.NewRecorder(), r, 4)
	assert.True(t, errors.As(err, &tooLarge), "body over the limit: %v", err)
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader("1"))
	r.ContentLength = 5
	_, err = ReadBody(httptest.NewRecorder(), r, 4)
	assert.True(t, errors.As(err, &tooLarge), "announced over the limit: %v", err)
}

// TestWriteStatusIsWriteJSON: the fixed answer is byte for byte what
// encoding/json writes for it, whatever the id holds.
func TestWriteStatusIsWriteJSON(t *testing.T) {
	for _, id := range []string{"01JDX3K2M4ABCDEFGHJKMNPQRS", "~held", "", `q"uote\`, "<&>", "tab\there", "é\u2028", "\xff"} {
		fast, slow := httptest.NewRecorder(), httptest.NewRecorder()
		require.NoError(t, WriteStatus(fast, http.StatusAccepted, id, "accepted"))
		require.NoError(t, WriteJSON(slow, http.StatusAccepted, map[string]string{"id": id, "status": "accepted"}))
		assert.Equal(t, slow.Body.String(), fast.Body.String(), "id %q", id)
		assert.Equal(t, slow.Code, fast.Code)
		assert.Equal(t, slow.Header(), fast.Header())
	}
}
