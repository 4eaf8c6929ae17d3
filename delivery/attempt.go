package delivery

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/hookgate/hookgate/delivery/pacing"
	"github.com/hookgate/hookgate/delivery/spans"
	"github.com/hookgate/hookgate/delivery/upstreamauth"
	"github.com/hookgate/hookgate/internal/netguard"
	"github.com/hookgate/hookgate/internal/redact"
	"github.com/hookgate/hookgate/queue"
)

// client is an HTTP client for one upstream that follows no redirects.
// Without a configured transport, it is tuned for the upstream: keep-alive
// connections up to the queue's concurrency, and the policy's guard
// checking every address it connects to; no proxy is used, so that the
// guard sees the real destination. With one, the policy's loaded
// transport (guarded when it loaded) carries the requests.
type client struct {
	*http.Client
	concurrency int
	guard       *netguard.Rules
	transport   http.RoundTripper
	auth        *upstreamauth.Source
}

func newClient(p *Policy) *client {
	rt := p.transport
	if rt == nil {
		dialer := &net.Dialer{Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
		if p.Guard != nil {
			dialer.Control = p.Guard.Control
		}
		rt = &http.Transport{
			DialContext:         dialer.DialContext,
			MaxIdleConnsPerHost: p.Concurrency,
			IdleConnTimeout:     90 * time.Second,
			TLSHandshakeTimeout: 10 * time.Second,
		}
	}
	c := &client{concurrency: p.Concurrency, guard: p.Guard, transport: p.transport, auth: p.auth}
	if p.auth != nil {
		rt = p.auth.Transport(rt)
	}
	c.Client = &http.Client{
		Transport:     rt,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
	return c
}

// fits reports whether c is the client p asks for.
func (c *client) fits(p *Policy) bool {
	return c.concurrency == p.Concurrency && reflect.DeepEqual(c.guard, p.Guard) &&
		c.transport == p.transport && c.auth == p.auth
}

// hopHeaders are not forwarded (RFC 9110 §7.6.1), as in reverse_proxy.
var hopHeaders = []string{
	"Connection", "Proxy-Connection", "Keep-Alive", "Proxy-Authenticate",
	"Proxy-Authorization", "Te", "Trailer", "Transfer-Encoding", "Upgrade",
	"Content-Length",
}

// EndToEnd returns a copy of h without hop-by-hop headers, nor the headers
// that Connection names.
func EndToEnd(h http.Header) http.Header {
	out := h.Clone()
	for _, f := range out.Values("Connection") {
		for _, name := range strings.Split(f, ",") {
			out.Del(strings.TrimSpace(name))
		}
	}
	for _, name := range hopHeaders {
		out.Del(name)
	}
	return out
}

func (r *runner) deliver(m *queue.Message, dst *pacing.Destination) { r.attempt(m, 0, dst) }

// attempt makes one delivery attempt of m, records its result and returns
// the upstream's answer, with up to keep bytes of its body (nil when the
// upstream did not answer, or when shutting down). dst, when not nil, is
// the destination's slot that start took for it, and learns the result
// in place of the queue's pacer and breaker.
func (r *runner) attempt(m *queue.Message, keep int64, dst *pacing.Destination) (*Reply, Outcome) {
	defer func() {
		r.inflight.Add(-1)
		r.poke()
		r.d.wg.Done()
	}()
	p := r.policy.Load()
	m.Attempts++
	start := r.d.now()
	ctx, span := r.d.spans.Start(r.d.ctx, m.TraceParent, r.name, m.ID, m.Attempts)
	reply, retryAfter, err := r.send(ctx, p, m, keep)
	err = redactURLs(err)
	end := r.d.now()
	took := end.Sub(start)
	if dst == nil {
		r.pace.Observe(reply.status(), retryAfter, end)
	}
	if r.d.ctx.Err() != nil {
		if dst != nil {
			r.dests.Done(dst, 0, 0, took, pacing.Unrelated, time.Time{}, r.d.now())
		}
		endSpan(span, reply.status(), "", err)
		return nil, "" // shutting down: the message stays queued, this attempt uncounted
	}
	status := reply.status()
	rec := queue.Attempt{At: start, Status: status, LatencyMS: float64(took.Microseconds()) / 1000}
	if reply != nil && p.KeepResponses {
		rec.Response = string(reply.kept)
	}
	outcome := r.settle(p, m, status, retryAfter, err, rec)
	endSpan(span, status, outcome, err)
	if dst != nil {
		result, retryAt := attemptResult(m, outcome, err)
		r.dests.Done(dst, status, retryAfter, took, result, retryAt, r.d.now())
	} else {
		r.observeAttempt(p, m, outcome, err)
	}
	r.d.report.Attempted(Attempt{ID: m.ID, At: start, Queue: r.name, Outcome: outcome, Status: status, Took: took})
	if ce := r.d.log.Check(zap.InfoLevel, "delivery attempt"); ce != nil {
		ce.Write(zap.String("id", m.ID), zap.String("queue", r.name), zap.Int("attempt", m.Attempts),
			zap.Int("status", status), zap.Duration("took", took), zap.String("outcome", string(outcome)), zap.Error(err))
	}
	return reply, outcome
}

// send makes one attempt and returns the upstream's answer (nil when it
// did not answer), with up to keep bytes of its body, and its Retry-After.
func (r *runner) send(ctx context.Context, p *Policy, m *queue.Message, keep int64) (*Reply, time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, time.Duration(p.Timeout))
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, m.Method, r.target(p, m), bytes.NewReader(m.Body))
	if err != nil {
		return nil, 0, err
	}
	req.Header = m.Header.Clone()
	if req.Header == nil {
		req.Header = http.Header{}
	}
	for name, values := range p.headerUp {
		req.Header[name] = append([]string(nil), values...)
	}
	req.Header.Set("Webhook-Id", m.ID)
	req.Header.Set("Webhook-Attempt", strconv.Itoa(m.Attempts))
	req.Header.Set("Idempotency-Key", m.ID)
	spans.Inject(ctx, req.Header)
	if err := p.sign(req, m, r.d.now()); err != nil {
		return nil, 0, err
	}
	resp, err := r.client.Load().Do(req)
	if err != nil {
		return nil, 0, err
	}
	defer resp.Body.Close()
	reply := &Reply{Status: resp.StatusCode, Header: resp.Header}
	read := keep
	if p.KeepResponses {
		read = max(keep, queue.MaxResponse)
	}
	if read > 0 {
		body, _ := io.ReadAll(io.LimitReader(resp.Body, read))
		if p.KeepResponses {
			reply.kept = body[:min(len(body), queue.MaxResponse)]
		}
		if keep > 0 {
			reply.Body = body[:min(int64(len(body)), keep)]
		}
	}
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10)) // lets the connection be reused
	return reply, retryAfter(resp.Header.Get("Retry-After"), r.d.now()), nil
}

// redactURLs returns err with the URLs it carries cut to scheme and host.
// Go's *url.Error quotes the full URL, whose path or query may be a
// capability (Slack, Discord, …); from here the error reaches last_error,
// the logs, the admin API and the dashboard. A URL that does not parse is
// left out, and so is the detail of a parse error, which quotes the bad part.
func redactURLs(err error) error {
	var ue *url.Error
	if !errors.As(err, &ue) {
		return err
	}
	inner := ue.Err
	if ue.Op == "parse" {
		inner = errors.New("invalid URL")
	}
	return &url.Error{Op: ue.Op, URL: redact.URL(ue.URL), Err: inner}
}

// settle records the attempt's result in the store, with the attempt in
// the message's history, and names the outcome.
func (r *runner) settle(p *Policy, m *queue.Message, status int, wait time.Duration, err error, rec queue.Attempt) Outcome {
	now := r.d.now()
	m.LastStatus, m.LastError = status, ""
	if err != nil {
		m.LastError = err.Error()
	} else if status < 200 || status > 299 {
		m.LastError = fmt.Sprintf("upstream answered %d", status)
	}
	rec.Error = m.LastError
	m.Record(rec)
	outcome := Delivered
	switch {
	case err == nil && status >= 200 && status <= 299 && p.KeepDelivered > 0:
		m.State, m.DeliveredAt, m.NextAttempt = queue.StateDelivered, now, time.Time{}
		m.KeepUntil = now.Add(time.Duration(p.KeepDelivered))
		err = r.d.store.Update(m)
	case err == nil && status >= 200 && status <= 299:
		err = r.d.store.Delivered(m.ID)
	case retryable(status, err):
		if next, ok := p.Next(m, now, wait); ok {
			m.NextAttempt, outcome = next, Retry
			err = r.d.store.Update(m)
			break
		}
		fallthrough
	default:
		m.State, m.DeadAt, outcome = queue.StateDead, now, Dead
		err = r.d.store.Update(m)
	}
	switch {
	case err == nil, errors.Is(err, queue.ErrNotFound):
	case errors.Is(err, queue.ErrLeaseLost):
		// A shared store: this instance stalled past its lease and another
		// took the message over; its own attempt decides.
		r.d.log.Warn("delivery result not recorded", zap.String("id", m.ID), zap.Error(err))
	default:
		r.d.log.Error("recording delivery result", zap.String("id", m.ID), zap.Error(err))
	}
	return outcome
}

// retryable reports whether an attempt may succeed later: no answer at all,
// or 408, 425, 429 and 5xx.
func retryable(status int, err error) bool {
	if err != nil {
		return true
	}
	switch status {
	case http.StatusRequestTimeout, http.StatusTooEarly, http.StatusTooManyRequests:
		return true
	}
	return status >= 500
}

// retryAfter parses a Retry-After value: delay-seconds or an HTTP date,
// capped at maxRetryAfter (a huge number of seconds would overflow, and
// the pacer would pause the queue for as long as the upstream says).
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	// delay-seconds is 1*DIGIT (RFC 9110 §10.2.3): no sign; too many
	// digits for a uint64 is still a (very long) delay.
	secs, err := strconv.ParseUint(v, 10, 64)
	if errors.Is(err, strconv.ErrRange) {
		return maxRetryAfter
	}
	if err == nil {
		return time.Duration(min(secs, uint64(maxRetryAfter/time.Second))) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return min(t.Sub(now), maxRetryAfter)
	}
	return 0
}
