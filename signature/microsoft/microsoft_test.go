package microsoft

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/signature/ext"
)

func reason(err error) string {
	if e, ok := err.(*ext.Error); ok {
		return e.Reason
	}
	return ""
}

const graphBody = `{"value":[{"subscriptionId":"s1","clientState":"secretClientValue","changeType":"created","resource":"Users/u/messages/m"}]}`

func TestGraph(t *testing.T) {
	g := NewGraph([]string{"old", "secretClientValue"})
	for _, tc := range []struct{ name, body, want string }{
		{"clientState matches", graphBody, ""},
		{"wrong clientState", strings.Replace(graphBody, "secretClientValue", "guess", 1), ext.Mismatch},
		{"no clientState", `{"value":[{"subscriptionId":"s1"}]}`, ext.Missing},
		{"one of two wrong", `{"value":[{"clientState":"old"},{"clientState":"x"}]}`, ext.Mismatch},
		{"empty body", ``, ext.Missing},
		{"not json", `<xml/>`, ext.Malformed},
	} {
		_, err := g.Verify(nil, []byte(tc.body), time.Now())
		assert.Equal(t, tc.want, reason(err), "%s: %v", tc.name, err)
	}
	// The validation POST: ?validationToken=…, empty body, answered as text.
	r := httptest.NewRequest(http.MethodPost, "/hooks/graph?validationToken=Validation%3A+Testing+client+application+reachability", nil)
	rep := g.Handshake(r, nil, false)
	require.NotNil(t, rep)
	assert.Equal(t, http.StatusOK, rep.Status)
	assert.Equal(t, "text/plain; charset=utf-8", rep.ContentType)
	assert.Equal(t, "Validation: Testing client application reachability", string(rep.Body))
	assert.Nil(t, g.Handshake(httptest.NewRequest(http.MethodPost, "/hooks/graph", nil), nil, true))
	long := httptest.NewRequest(http.MethodPost, "/h?validationToken="+strings.Repeat("a", MaxValidationToken+1), nil)
	assert.Equal(t, http.StatusBadRequest, g.Handshake(long, nil, false).Status)
}

const validation = `[{"id":"2d1781af-3a4c-4d7c-bd0c-e34b19da4e66","topic":"/subscriptions/x","subject":"",` +
	`"data":{"validationCode":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6","validationUrl":"https://rp-eastus2.eventgrid.azure.net:553/eventsubscriptions/x/validate?id=y&t=z"},` +
	`"eventType":"Microsoft.EventGrid.SubscriptionValidationEvent","eventTime":"2018-01-25T22:12:19.4556811Z","metadataVersion":"1","dataVersion":"1"}]`

func TestEventGrid(t *testing.T) {
	q := NewEventGrid([]string{"k1"}, "")
	h := NewEventGrid([]string{"k1"}, "X-Hook-Key")
	req := func(target string, hdr ...string) *http.Request {
		r := httptest.NewRequest(http.MethodPost, target, nil)
		for i := 0; i+1 < len(hdr); i += 2 {
			r.Header.Set(hdr[i], hdr[i+1])
		}
		return r
	}
	for _, tc := range []struct {
		name string
		v    *EventGrid
		r    *http.Request
		want string
	}{
		{"query key", q, req("/eg?code=k1"), ""},
		{"wrong query key", q, req("/eg?code=k2"), ext.Mismatch},
		{"no key", q, req("/eg"), ext.Missing},
		{"header key", h, req("/eg", "X-Hook-Key", "k1"), ""},
		{"header mode ignores the query", h, req("/eg?code=k1"), ext.Missing},
		{"wrong header key", h, req("/eg", "X-Hook-Key", "k"), ext.Mismatch},
	} {
		_, err := tc.v.Verify(tc.r, nil, time.Now())
		assert.Equal(t, tc.want, reason(err), "%s: %v", tc.name, err)
	}
	r := req("/eg?code=k1", "Aeg-Event-Type", "SubscriptionValidation")
	rep := q.Handshake(r, []byte(validation), true)
	require.NotNil(t, rep)
	assert.JSONEq(t, `{"validationResponse":"512d38b6-c7b8-40c8-89fe-f46f9e9622b6"}`, string(rep.Body))
	assert.Nil(t, q.Handshake(r, []byte(validation), false), "an unverified validation is refused like any request")
	assert.Nil(t, q.Handshake(req("/eg?code=k1", "Aeg-Event-Type", "Notification"), []byte(validation), true))
}
