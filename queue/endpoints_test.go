package queue

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// t0 is the tests' reference time.
var t0 = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

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
