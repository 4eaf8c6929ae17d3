package dedupe

import (
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestInputChecksJSONOnce: the templates of one request share one JSON
// check (a fan-out route reads the body for drop, each when, the dedupe
// and the order key).
func TestInputChecksJSONOnce(t *testing.T) {
	in := &Input{R: httptest.NewRequest("POST", "/", nil), Body: []byte(`{"id":"evt_1","n":{"a":1}}`)}
	key, order := mustParse(t, "{json.id}"), mustParse(t, "{json.n.a}")
	k, err := key.KeyOf(in)
	require.NoError(t, err)
	assert.Equal(t, "evt_1", k)
	in.Body = []byte(`{"id":"evt_1","n":{"a":1}`) // the check is not run again
	assert.NoError(t, in.CheckJSON())

	bad := &Input{R: in.R, Body: []byte(`{"id":`)}
	_, err = key.KeyOf(bad)
	assert.ErrorIs(t, err, ErrInput)
	_, err = order.KeyOf(bad)
	assert.ErrorIs(t, err, ErrInput, "the remembered failure answers every template")
}

func mustParse(t *testing.T, src string) *Template {
	t.Helper()
	tmpl, err := Parse(src)
	require.NoError(t, err)
	return tmpl
}
