package queue

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redistest"
)

// suiteEndpoints is the EndpointStore behaviour both stores share.
func suiteEndpoints(t *testing.T, s EndpointStore) {
	list, err := s.ListEndpoints()
	require.NoError(t, err)
	assert.Empty(t, list)
	_, err = s.GetEndpoint("crm")
	assert.ErrorIs(t, err, ErrEndpointNotFound)

	crm := &Endpoint{ID: "crm", Route: "emit", URL: "https://crm.example.com/", Events: []string{"a.*"}, Secrets: []string{"whsec_x"}, CreatedAt: t0}
	require.NoError(t, s.PutEndpoint(crm))
	require.NoError(t, s.PutEndpoint(&Endpoint{ID: "billing", Route: "emit", Config: true, Disabled: true, DisabledReason: "gone"}))
	got, err := s.GetEndpoint("crm")
	require.NoError(t, err)
	assert.Equal(t, crm.URL, got.URL)
	assert.Equal(t, crm.Secrets, got.Secrets)
	assert.True(t, got.CreatedAt.Equal(t0))

	crm.Disabled = true
	require.NoError(t, s.PutEndpoint(crm))
	list, err = s.ListEndpoints()
	require.NoError(t, err)
	require.Len(t, list, 2)
	assert.Equal(t, "billing", list[0].ID)
	assert.True(t, list[1].Disabled)

	require.NoError(t, s.DeleteEndpoint("crm"))
	assert.ErrorIs(t, s.DeleteEndpoint("crm"), ErrEndpointNotFound)
	_, err = s.GetEndpoint("crm")
	assert.ErrorIs(t, err, ErrEndpointNotFound)
}

func TestRedisEndpoints(t *testing.T) {
	redistest.Binary(t)
	s := redisBackend(t)().(*Redis)
	defer s.Close()
	suiteEndpoints(t, s)
}

func TestEndpointQueueAndSecrets(t *testing.T) {
	assert.Equal(t, "outbound:emit", (&Endpoint{ID: "emit", Route: "emit"}).Queue())
	assert.Equal(t, "outbound:emit:crm", (&Endpoint{ID: "crm", Route: "emit"}).Queue())
	e := &Endpoint{Secrets: []string{"new", "old"}, PreviousUntil: t0}
	assert.Equal(t, []string{"new", "old"}, e.ActiveSecrets(t0.Add(-time.Second)))
	assert.Equal(t, []string{"new"}, e.ActiveSecrets(t0))
}

func TestEventFilter(t *testing.T) {
	for _, tc := range []struct {
		events []string
		typ    string
		takes  bool
	}{
		{nil, "anything", true},
		{[]string{"context.created"}, "context.created", true},
		{[]string{"context.created"}, "context.updated", false},
		{[]string{"context.created"}, "context.created.v2", false},
		{[]string{"context.*"}, "context.updated", true},
		{[]string{"context.*"}, "context.a.b", true},
		{[]string{"context.*"}, "context", false},
		{[]string{"context.*"}, "contextual.x", false},
		{[]string{"invoice.*", "context.created"}, "invoice.paid", true},
		{[]string{"*"}, "x", true},
		{[]string{"a.b"}, "", false},
	} {
		e := &Endpoint{Events: tc.events}
		assert.Equal(t, tc.takes, e.Takes(tc.typ), "%v takes %q", tc.events, tc.typ)
	}
	for p, ok := range map[string]bool{
		"a.b": true, "a.*": true, "*": true, "a.b.*": true,
		"": false, "a*": false, "*.b": false, "a.*.c": false, "a b": false,
	} {
		assert.Equal(t, ok, ValidEventPattern(p) == nil, p)
	}
}
