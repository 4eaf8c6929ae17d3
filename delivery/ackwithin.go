package delivery

import (
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/hookgate/hookgate/queue"
)

// Reply is the upstream's answer to an attempt.
type Reply struct {
	Status int
	Header http.Header
	Body   []byte // up to the bytes the caller asked to keep

	kept []byte // the start of the body kept with the attempt (keep_responses)
}

func (r *Reply) status() int {
	if r == nil {
		return 0 // no answer
	}
	return r.Status
}

// MaxReplyBody bounds the upstream body DeliverNow returns.
const MaxReplyBody = 1 << 20

// NowHold is how far in the future a message handed to DeliverNow must be
// due, at least: the budget, the attempt's timeout and a margin, so that
// the queue's workers (of any instance) leave it alone while the attempt
// may still run. If this process dies meanwhile, the message is delivered
// once it is due, as any other.
func NowHold(p *Policy, budget time.Duration) time.Duration {
	return budget + time.Duration(p.Timeout) + leaseMargin
}

// NowResult is what DeliverNow returns.
type NowResult struct {
	// Done: the attempt ended within the budget and its result was
	// recorded. When not, the message is left to the queue's workers.
	Done bool
	// Outcome of the attempt, when Done.
	Outcome Outcome
	// Reply is the upstream's answer, with up to MaxReplyBody bytes of
	// body, when Done; nil if none came.
	Reply *Reply
}

// DeliverNow makes an attempt of m at once and waits up to budget for it.
// m must be stored already, due NowHold from now. The attempt is recorded
// like any other; its answer and outcome are returned when they come
// within budget. When the queue has no free delivery slot, m is made due
// now for the workers, and DeliverNow returns at once, not Done.
func (d *Dispatcher) DeliverNow(m *queue.Message, budget time.Duration) NowResult {
	d.mu.Lock()
	r := d.queues[m.Queue]
	d.mu.Unlock()
	if r == nil || !r.startNow() {
		d.release(m)
		return NowResult{}
	}
	done := make(chan NowResult, 1)
	d.wg.Add(1)
	go func() {
		reply, outcome := r.attempt(m, MaxReplyBody, nil)
		done <- NowResult{Done: outcome != "", Outcome: outcome, Reply: reply}
	}()
	timer := time.NewTimer(budget)
	defer timer.Stop()
	select {
	case res := <-done:
		return res
	case <-timer.C:
		return NowResult{}
	}
}

// startNow takes a delivery slot and a token of the rate for an attempt
// outside the loop, if there are and the queue's breaker is closed.
func (r *runner) startNow() bool {
	if !r.breaker.Closed() {
		return false // the upstream is refusing connections: the message waits in its queue
	}
	if int(r.inflight.Add(1)) > r.policy.Load().Concurrency {
		r.inflight.Add(-1)
		return false
	}
	if n, _ := r.pace.Allow(1, r.d.now()); n == 0 {
		r.inflight.Add(-1)
		return false
	}
	return true
}

// release makes a held message due now, for the workers.
func (d *Dispatcher) release(m *queue.Message) {
	m.NextAttempt = d.now()
	if err := d.store.Update(m); err != nil {
		d.log.Warn("releasing a held message to its queue: it waits until it was due",
			zap.String("id", m.ID), zap.Error(err))
	}
	d.Wake(m.Queue)
}
