package inbound

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/hookgate/hookgate/dedupe"
	"github.com/hookgate/hookgate/delivery"
	"github.com/hookgate/hookgate/queue"
)

// enqueue persists m and answers the sender: at once (ack async), or with
// the upstream's own answer when a first attempt, made at once, comes
// within AckWithin (ack within). The message is stored before the attempt
// either way, so nothing is lost when the budget runs out or Caddy stops.
// An ordered message goes through the queue, which keeps its key's order.
func (h *Handler) enqueue(w http.ResponseWriter, m *queue.Message, p *delivery.Policy, key queue.Key) error {
	budget := time.Duration(h.AckWithin)
	if m.OrderKey != "" {
		budget = 0
	}
	if budget > 0 {
		m.NextAttempt = m.ReceivedAt.Add(delivery.NowHold(p, budget)) // the workers wait for this attempt
	}
	id, err := h.backend.Enqueue(m, key)
	if err != nil || budget == 0 {
		return h.answer(w, id, key, err, http.StatusAccepted, "queued")
	}
	res := h.backend.DeliverNow(m, budget)
	if !res.Done || res.Outcome == delivery.Retry || res.Reply == nil {
		// Past the budget, or the upstream should be tried again, or it
		// never answered (dead: no attempt left): the queue owns the
		// message now.
		return h.answer(w, id, key, nil, http.StatusAccepted, "queued")
	}
	h.done(resultAccepted, id, key.Value)
	return passThrough(w, id, res.Reply)
}

// orderKey is the message's order key ("" without order_by). A NUL, which
// the stores use as a separator, is refused.
func (h *Handler) orderKey(in *dedupe.Input) (string, error) {
	if h.order == nil {
		return "", nil
	}
	k, err := h.order.KeyOf(in)
	if err == nil && strings.ContainsRune(k, 0) {
		err = errors.New("the order key holds a NUL character")
	}
	return k, err
}

// passThrough answers with the upstream's reply: its status, end-to-end
// headers and body.
func passThrough(w http.ResponseWriter, id string, reply *delivery.Reply) error {
	h := w.Header()
	for name, values := range delivery.EndToEnd(reply.Header) {
		h[name] = values
	}
	h.Set("Webhook-Id", id)
	w.WriteHeader(reply.Status)
	_, err := w.Write(reply.Body)
	return err
}
