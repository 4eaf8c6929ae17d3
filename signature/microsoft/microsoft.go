// Package microsoft verifies Microsoft Graph change notifications and Azure
// Event Grid webhook deliveries. Neither signs its requests: Graph echoes
// the subscription's clientState in every notification, and an Event Grid
// endpoint is guarded by a key of the user's in its URL's query or in a
// delivery-property header. Both check the endpoint first: Graph with a
// validationToken query it wants echoed as text/plain, Event Grid with a
// SubscriptionValidation event it wants answered {"validationResponse": code}.
//
// https://learn.microsoft.com/en-us/graph/change-notifications-delivery-webhooks
// https://learn.microsoft.com/en-us/azure/event-grid/webhook-event-delivery
package microsoft

import (
	"bytes"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"time"

	"github.com/hookgate/hookgate/signature/ext"
	"github.com/hookgate/hookgate/signature/handshake"
)

// MaxValidationToken bounds the validationToken echoed back.
const MaxValidationToken = 2048

func match(tokens [][]byte, s string) bool {
	ok := 0
	for _, t := range tokens {
		ok |= subtle.ConstantTimeCompare(t, []byte(s))
	}
	return ok == 1
}

func toBytes(secrets []string) [][]byte {
	out := make([][]byte, len(secrets))
	for i, s := range secrets {
		out[i] = []byte(s)
	}
	return out
}

// Graph verifies change notifications by their clientState.
type Graph struct{ states [][]byte }

// NewGraph takes the clientState values of the subscriptions (rotation).
func NewGraph(states []string) *Graph { return &Graph{states: toBytes(states)} }

// Verify checks that every notification carries a configured clientState.
// It returns no digest: the clientState covers nothing.
func (g *Graph) Verify(_ *http.Request, body []byte, _ time.Time) ([]byte, error) {
	var n struct {
		Value []struct {
			ClientState *string `json:"clientState"`
		} `json:"value"`
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return nil, ext.Fail(ext.Missing, "no notification in the body")
	}
	if json.Unmarshal(body, &n) != nil {
		return nil, ext.Fail(ext.Malformed, "body is not a change notification collection")
	}
	if len(n.Value) == 0 {
		return nil, ext.Fail(ext.Missing, "no notification in the body")
	}
	for i, v := range n.Value {
		if v.ClientState == nil {
			return nil, ext.Fail(ext.Missing, "notification %d has no clientState", i+1)
		}
		if !match(g.states, *v.ClientState) {
			return nil, ext.Fail(ext.Mismatch, "notification %d: clientState is not a configured one", i+1)
		}
	}
	return nil, nil
}

// Handshake echoes Graph's validationToken as text/plain. Graph does not
// authenticate this request; answering it only lets Graph create a
// subscription whose notifications must still carry the clientState.
func (g *Graph) Handshake(r *http.Request, _ []byte, _ bool) *handshake.Reply {
	tok := r.URL.Query().Get("validationToken")
	if r.Method != http.MethodPost || tok == "" {
		return nil
	}
	if len(tok) > MaxValidationToken {
		return &handshake.Reply{Status: http.StatusBadRequest, ContentType: "text/plain; charset=utf-8", Body: []byte("validationToken too long")}
	}
	return &handshake.Reply{Status: http.StatusOK, ContentType: "text/plain; charset=utf-8", Body: []byte(tok)}
}

// DefaultKeyParam is the query parameter that carries the Event Grid key
// when no header is configured: the user writes it into the subscription's
// endpoint URL (…?code=<key>).
const DefaultKeyParam = "code"

// EventGrid verifies Event Grid deliveries by a shared key, read from a
// header when Header is set (a delivery property of the subscription), else
// from the code query parameter.
type EventGrid struct {
	Header string
	keys   [][]byte
}

// NewEventGrid takes the keys (rotation) and the header, if any.
func NewEventGrid(keys []string, header string) *EventGrid {
	return &EventGrid{Header: header, keys: toBytes(keys)}
}

// Verify checks the key; it returns no digest, the key covering nothing.
func (e *EventGrid) Verify(r *http.Request, _ []byte, _ time.Time) ([]byte, error) {
	var got string
	if e.Header != "" {
		got = r.Header.Get(e.Header)
	} else {
		got = r.URL.Query().Get(DefaultKeyParam)
	}
	if got == "" {
		return nil, ext.Fail(ext.Missing, "no Event Grid key in the request")
	}
	if !match(e.keys, got) {
		return nil, ext.Fail(ext.Mismatch, "Event Grid key is not a configured one")
	}
	return nil, nil
}

// Handshake answers a verified SubscriptionValidation event (aeg-event-type
// SubscriptionValidation) with its validationCode.
func (e *EventGrid) Handshake(r *http.Request, body []byte, verified bool) *handshake.Reply {
	if !verified || r.Method != http.MethodPost || r.Header.Get("Aeg-Event-Type") != "SubscriptionValidation" {
		return nil
	}
	var evs []struct {
		EventType string
		Data      struct{ ValidationCode string }
	}
	if json.Unmarshal(body, &evs) != nil || len(evs) == 0 ||
		evs[0].EventType != "Microsoft.EventGrid.SubscriptionValidationEvent" || evs[0].Data.ValidationCode == "" {
		return nil
	}
	b, _ := json.Marshal(map[string]string{"validationResponse": evs[0].Data.ValidationCode})
	return &handshake.Reply{Status: http.StatusOK, ContentType: "application/json", Body: b}
}
