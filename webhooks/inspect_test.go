package webhooks

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
)

// TestInspect: a message of a queue registered with inspect shows its body
// and redacted headers; of another queue, of an outbound route's endpoint
// with inspect and without, as the route says; never in a list.
func TestInspect(t *testing.T) {
	header := http.Header{"Content-Type": {"application/json"}, "X-Sig": {"sha256=abc"}, "Authorization": {"Bearer t"}}
	msg := func(q string, body []byte) *queue.Message {
		return &queue.Message{ID: queue.NewID(time.Now()), Queue: q, Method: http.MethodPost, Header: header, Body: body,
			Size: len(body), State: queue.StateQueued, ReceivedAt: time.Now()}
	}
	long := "a" + strings.Repeat("é", maxShownBody) // 2 bytes a rune: the cut falls inside one
	ms := []*queue.Message{
		msg("seen", []byte(`{"id":"evt_1"}`)),
		msg("hidden", []byte(`{"id":"evt_2"}`)),
		msg("seen", []byte{0xff, 0x00, 0x01}),
		msg("seen", []byte(long)),
		msg("outbound:loud:ep", []byte(`{"n":1}`)),
		msg("outbound:quiet", []byte(`{"n":2}`)),
	}
	a := runningApp(t, &fakeStore{messages: ms},
		&OutboundRoute{Name: "loud", Inspect: redact.NewHeaders()}, &OutboundRoute{Name: "quiet"})
	require.NoError(t, a.RegisterQueue("seen", nil, redact.NewHeaders("X-Sig")))
	require.NoError(t, a.RegisterQueue("hidden", nil, nil))

	get := func(m *queue.Message) (messageView, map[string]any) {
		code, body := serveRoutes(t, adminAPI{}.Routes(), http.MethodGet, "/webhooks/messages/"+m.ID, "")
		require.Equal(t, http.StatusOK, code, body)
		var v struct {
			messageView
			Header http.Header `json:"header"`
		}
		var raw map[string]any
		require.NoError(t, json.Unmarshal([]byte(body), &v))
		require.NoError(t, json.Unmarshal([]byte(body), &raw))
		v.messageView.Message = &queue.Message{Header: v.Header}
		return v.messageView, raw
	}

	v, _ := get(ms[0])
	assert.True(t, v.Inspected)
	assert.Equal(t, `{"id":"evt_1"}`, v.Body)
	assert.Equal(t, "text", v.BodyEncoding)
	assert.Equal(t, http.Header{"Content-Type": {"application/json"}, "X-Sig": {redact.Redacted}, "Authorization": {redact.Redacted}}, v.Message.Header)

	for _, m := range []*queue.Message{ms[1], ms[5]} {
		v, raw := get(m)
		assert.False(t, v.Inspected, m.Queue)
		for _, field := range []string{"body", "header", "body_encoding"} {
			assert.NotContains(t, raw, field, m.Queue)
		}
		assert.ElementsMatch(t, []string{"Content-Type", "X-Sig", "Authorization"}, raw["header_names"], m.Queue)
	}

	v, _ = get(ms[2])
	assert.Equal(t, "base64", v.BodyEncoding)
	assert.Equal(t, "/wAB", v.Body)

	v, _ = get(ms[3])
	assert.True(t, v.BodyTruncated)
	assert.Equal(t, maxShownBody-1, len(v.Body), "cut back to a rune's start")
	assert.Equal(t, "text", v.BodyEncoding)

	v, _ = get(ms[4])
	assert.Equal(t, `{"n":1}`, v.Body, "the route of an endpoint's queue inspects")

	code, list := serveRoutes(t, adminAPI{}.Routes(), http.MethodGet, "/webhooks/messages?queue=seen", "")
	require.Equal(t, http.StatusOK, code)
	assert.NotContains(t, list, "evt_1", "lists never show bodies")
	assert.NotContains(t, list, "sha256=abc")
}
