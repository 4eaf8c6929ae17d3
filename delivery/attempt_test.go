package delivery

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/hookgate/hookgate/queue"
	"github.com/hookgate/hookgate/signature"
)

func TestRetryable(t *testing.T) {
	for _, tc := range []struct {
		name   string
		status int
		err    error
		want   bool
	}{
		{"connection refused", 0, &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}, true},
		{"attempt timeout", 0, &url.Error{Op: "Post", URL: "http://up/", Err: context.DeadlineExceeded}, true},
		{"connection reset mid-answer", 0, io.ErrUnexpectedEOF, true},
		{"408", http.StatusRequestTimeout, nil, true},
		{"425", http.StatusTooEarly, nil, true},
		{"429", http.StatusTooManyRequests, nil, true},
		{"500", http.StatusInternalServerError, nil, true},
		{"502", http.StatusBadGateway, nil, true},
		{"503", http.StatusServiceUnavailable, nil, true},
		{"504", http.StatusGatewayTimeout, nil, true},
		{"599", 599, nil, true},
		{"400", http.StatusBadRequest, nil, false},
		{"401", http.StatusUnauthorized, nil, false},
		{"403", http.StatusForbidden, nil, false},
		{"404", http.StatusNotFound, nil, false},
		{"410", http.StatusGone, nil, false},
		{"422", http.StatusUnprocessableEntity, nil, false},
		// Redirects are not followed, and a 3xx is final like other 4xx.
		{"302", http.StatusFound, nil, false},
		{"307", http.StatusTemporaryRedirect, nil, false},
	} {
		assert.Equal(t, tc.want, retryable(tc.status, tc.err), tc.name)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		name, v string
		want    time.Duration
	}{
		{"absent", "", 0},
		{"delta-seconds", "120", 2 * time.Minute},
		{"one second", "1", time.Second},
		{"zero", "0", 0},
		{"negative", "-5", 0},
		{"fraction", "1.5", 0},
		{"unit", "120s", 0},
		{"garbage", "soon", 0},
		{"IMF-fixdate", now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{"RFC 850 date", now.Add(2 * time.Minute).Format("Monday, 02-Jan-06 15:04:05 GMT"), 2 * time.Minute},
		{"asctime date", now.Add(3 * time.Minute).Format(time.ANSIC), 3 * time.Minute},
		{"date in the past", now.Add(-time.Minute).Format(http.TimeFormat), 0},
		{"date now", now.Format(http.TimeFormat), 0},
		{"date without zone", "2025-06-01 12:05:00", 0},
		// Huge values are capped rather than overflowing time.Duration
		// (18446744078 s wrapped around to about 5 s) or pausing a queue
		// for years.
		{"seconds past the cap", "99999999999", maxRetryAfter},
		{"seconds overflowing a Duration", "18446744078", maxRetryAfter},
		{"seconds overflowing an int", "99999999999999999999999", maxRetryAfter},
		{"plus sign", "+5", 0},
		{"date past the cap", "Fri, 31 Dec 9999 23:59:59 GMT", maxRetryAfter},
	} {
		assert.Equal(t, tc.want, retryAfter(tc.v, now), "%s: %q", tc.name, tc.v)
	}
}

// FuzzRetryAfter: whatever an upstream sends, the delay is within
// [0, maxRetryAfter], and plain delta-seconds are read exactly.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "0", "1", "120", "-1", "+5", " 7", "1e3", "0x10", "99999999999", "18446744078",
		"9223372036854775807", "9227000000000000000", "99999999999999999999", "Wed, 21 Oct 2015 07:28:00 GMT", "Sun, 01 Jun 2025 12:00:30 GMT",
		"Sunday, 01-Jun-25 12:00:30 GMT", "Sun Jun  1 12:00:30 2025", "Fri, 31 Dec 9999 23:59:59 GMT", "\x00", "٣"} {
		f.Add(s)
	}
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		got := retryAfter(v, now)
		if got < 0 || got > maxRetryAfter {
			t.Fatalf("retryAfter(%q) = %s, outside [0, %s]", v, got, maxRetryAfter)
		}
		if n, err := strconv.ParseUint(v, 10, 64); err == nil && v[0] != '+' {
			want := maxRetryAfter
			if n < uint64(maxRetryAfter/time.Second) {
				want = time.Duration(n) * time.Second
			}
			if got != want {
				t.Fatalf("retryAfter(%q) = %s, want %s", v, got, want)
			}
		}
	})
}

func TestEndToEnd(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   http.Header
		want http.Header
	}{
		{
			name: "hop-by-hop fields",
			in: http.Header{
				"Connection": {"keep-alive"}, "Keep-Alive": {"timeout=5"}, "Te": {"trailers"},
				"Trailer": {"X-Checksum"}, "Transfer-Encoding": {"chunked"}, "Upgrade": {"websocket"},
				"Proxy-Connection": {"keep-alive"}, "Proxy-Authorization": {"Basic Zm9vOmJhcg=="},
				"Proxy-Authenticate": {"Basic"}, "Content-Length": {"12"},
				"Content-Type": {"application/json"}, "X-Github-Delivery": {"d-1"},
			},
			want: http.Header{"Content-Type": {"application/json"}, "X-Github-Delivery": {"d-1"}},
		},
		{
			name: "fields named in Connection",
			in: http.Header{
				"Connection": {"close, x-hop ,X-Other", "X-Third"},
				"X-Hop":      {"1"}, "X-Other": {"2"}, "X-Third": {"3"},
				"X-Keep": {"4"}, "Authorization": {"Bearer t"},
			},
			want: http.Header{"X-Keep": {"4"}, "Authorization": {"Bearer t"}},
		},
		{
			name: "end-to-end only",
			in:   http.Header{"Webhook-Signature": {"v1,abc"}, "User-Agent": {"Stripe/1.0"}},
			want: http.Header{"Webhook-Signature": {"v1,abc"}, "User-Agent": {"Stripe/1.0"}},
		},
	} {
		before := tc.in.Clone()
		assert.Equal(t, tc.want, EndToEnd(tc.in), tc.name)
		assert.Equal(t, before, tc.in, "%s: the input is left as it was", tc.name)
	}
}

func TestPolicyExplicitSchedule(t *testing.T) {
	m0 := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	minutes := func(ds ...int) []caddy.Duration {
		out := make([]caddy.Duration, len(ds))
		for i, d := range ds {
			out[i] = caddy.Duration(time.Duration(d) * time.Minute)
		}
		return out
	}
	for _, tc := range []struct {
		name        string
		retry       []caddy.Duration
		maxAttempts int
		want        []time.Duration // after failed attempt 1, 2, …; then dead
	}{
		{"ChangeThisFile: 3 retries", []caddy.Duration{caddy.Duration(30 * time.Second), caddy.Duration(5 * time.Minute),
			caddy.Duration(30 * time.Minute)}, 0, []time.Duration{30 * time.Second, 5 * time.Minute, 30 * time.Minute}},
		{"the last delay repeats up to max_attempts", minutes(1, 5), 5,
			[]time.Duration{time.Minute, 5 * time.Minute, 5 * time.Minute, 5 * time.Minute}},
		{"max_attempts cuts the list short", minutes(1, 5, 15, 60), 2, []time.Duration{time.Minute}},
		{"a single attempt", minutes(1), 1, nil},
	} {
		p := &Policy{URL: "http://up.example", Retry: tc.retry, MaxAttempts: tc.maxAttempts}
		require.NoError(t, p.Provision())
		now := m0.Add(time.Hour)
		for n := 1; ; n++ {
			at, ok := p.Next(&queue.Message{Attempts: n, ReceivedAt: m0}, now, 0)
			if n > len(tc.want) {
				assert.False(t, ok, "%s: attempt %d is the last, then dead", tc.name, n)
				assert.True(t, at.IsZero())
				break
			}
			require.True(t, ok, "%s: attempt %d", tc.name, n)
			assert.Equal(t, tc.want[n-1], at.Sub(now), "%s: after attempt %d", tc.name, n)
		}
	}
}

func TestPolicyHonoursRetryAfter(t *testing.T) {
	p := &Policy{URL: "http://up.example", Retry: []caddy.Duration{caddy.Duration(time.Minute)}, MaxAttempts: 3}
	require.NoError(t, p.Provision())
	now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	for _, tc := range []struct{ retryAfter, want time.Duration }{
		{0, time.Minute},
		{30 * time.Second, time.Minute}, // shorter than the schedule: the schedule wins
		{5 * time.Minute, 5 * time.Minute},
		{48 * time.Hour, maxRetryAfter},
	} {
		at, ok := p.Next(&queue.Message{Attempts: 1, ReceivedAt: now}, now, tc.retryAfter)
		require.True(t, ok)
		assert.Equal(t, tc.want, at.Sub(now), "Retry-After %s", tc.retryAfter)
	}
}

// TestPolicyBackoffFullJitter samples the exponential schedule at every
// attempt: each delay lies in [0, min(max, min·2^(n-1))], and once the cap
// is reached delays still spread over its whole range (full jitter, not
// "equal jitter" in [cap/2, cap]). Large attempt numbers must neither
// overflow the ceiling nor make the schedule panic.
func TestPolicyBackoffFullJitter(t *testing.T) {
	const samples = 200
	for _, tc := range []struct {
		name     string
		min, max time.Duration
	}{
		{"defaults", 0, 0},
		{"1s to 1m", time.Second, time.Minute},
		{"1m to 24h", time.Minute, 24 * time.Hour},
		{"min equals max", 5 * time.Second, 5 * time.Second},
	} {
		p := &Policy{URL: "http://up.example", BackoffMin: caddy.Duration(tc.min), BackoffMax: caddy.Duration(tc.max), MaxAttempts: 100}
		require.NoError(t, p.Provision())
		lo, hi := time.Duration(p.BackoffMin), time.Duration(p.BackoffMax)
		now := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
		for n := 1; n < p.MaxAttempts; n++ {
			ceiling := lo // min·2^(n-1), doubled only while below the cap
			for i := 1; i < n && ceiling < hi; i++ {
				ceiling *= 2
			}
			ceiling = min(ceiling, hi)
			below, distinct := 0, map[time.Duration]bool{}
			for range samples {
				at, ok := p.Next(&queue.Message{Attempts: n, ReceivedAt: now}, now, 0)
				require.True(t, ok, "%s: attempt %d", tc.name, n)
				d := at.Sub(now)
				require.True(t, d >= 0 && d <= ceiling, "%s: attempt %d waits %s, outside [0, %s]", tc.name, n, d, ceiling)
				if d < ceiling/2 {
					below++
				}
				distinct[d] = true
			}
			assert.Greater(t, below, 0, "%s: attempt %d never waited below half its ceiling %s", tc.name, n, ceiling)
			assert.Greater(t, len(distinct), 1, "%s: attempt %d: no jitter", tc.name, n)
		}
		_, ok := p.Next(&queue.Message{Attempts: p.MaxAttempts, ReceivedAt: now}, now, 0)
		assert.False(t, ok, "%s: dead after max_attempts", tc.name)
	}
}

func TestPolicyMaxAge(t *testing.T) {
	received := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	p := &Policy{URL: "http://up.example", Retry: []caddy.Duration{caddy.Duration(20 * time.Minute)}, MaxAttempts: 100,
		MaxAge: caddy.Duration(time.Hour)}
	require.NoError(t, p.Provision())
	for _, tc := range []struct {
		failedAt   time.Duration // after receipt
		retryAfter time.Duration
		ok         bool
	}{
		{30 * time.Minute, 0, true},                 // next at 50m
		{40 * time.Minute, 0, true},                 // next at exactly max_age
		{41 * time.Minute, 0, false},                // next at 61m
		{10 * time.Minute, 55 * time.Minute, false}, // Retry-After pushes it past max_age
	} {
		at, ok := p.Next(&queue.Message{Attempts: 3, ReceivedAt: received}, received.Add(tc.failedAt), tc.retryAfter)
		assert.Equal(t, tc.ok, ok, "failed at +%s, Retry-After %s: next at +%s", tc.failedAt, tc.retryAfter, at.Sub(received))
	}
}

// attemptOnce stores a message for p's queue and makes one attempt of it
// through a fresh dispatcher; it returns the upstream's reply, the outcome
// and the message as stored afterwards.
func attemptOnce(t *testing.T, p *Policy) (*Reply, Outcome, *queue.Message) {
	t.Helper()
	require.NoError(t, p.Provision())
	s := newMemStore(t)
	d := NewDispatcher(s, Options{})
	t.Cleanup(d.Close)
	d.Apply(map[string]*Policy{"q": p})
	now := time.Now()
	m := &queue.Message{ID: queue.NewID(now), Queue: "q", Method: http.MethodPost, URL: p.Target("/hook"),
		Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"id":"evt_1"}`),
		ReceivedAt: now, NextAttempt: now.Add(NowHold(p, 5*time.Second))}
	_, err := s.Enqueue(m, queue.Key{})
	require.NoError(t, err)
	res := d.DeliverNow(m, 5*time.Second)
	require.True(t, res.Done, "the attempt did not complete")
	reply, outcome := res.Reply, res.Outcome
	got, err := s.Get(m.ID)
	if errors.Is(err, queue.ErrNotFound) {
		return reply, outcome, nil // delivered: removed
	}
	require.NoError(t, err)
	return reply, outcome, got
}

// TestAttemptOutcome runs real attempts against an upstream answering each
// status, and checks how the attempt is settled: delivered, retry (still
// queued, due later) or dead.
func TestAttemptOutcome(t *testing.T) {
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if ra := r.URL.Query().Get("retry_after"); ra != "" {
			w.Header().Set("Retry-After", ra)
		}
		status, _ := strconv.Atoi(r.URL.Query().Get("status"))
		w.WriteHeader(status)
	}))
	defer up.Close()
	// It reads the body first: only then does the server watch the
	// connection, and cancel the context when the client gives up.
	hang := httptest.NewServer(http.HandlerFunc(func(_ http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		<-r.Context().Done()
	}))
	defer hang.Close()

	for _, tc := range []struct {
		name        string
		url         string
		maxAttempts int
		timeout     time.Duration
		outcome     Outcome
		wait        time.Duration // the retry's minimum delay, when set
	}{
		{"200", up.URL + "/h?status=200", 0, 0, Delivered, 0},
		{"204", up.URL + "/h?status=204", 0, 0, Delivered, 0},
		{"408", up.URL + "/h?status=408", 0, 0, Retry, 0},
		{"425", up.URL + "/h?status=425", 0, 0, Retry, 0},
		{"429 with Retry-After", up.URL + "/h?status=429&retry_after=120", 0, 0, Retry, 2 * time.Minute},
		{"500", up.URL + "/h?status=500", 0, 0, Retry, 0},
		{"503 with Retry-After date", up.URL + "/h?status=503&retry_after=" +
			url.QueryEscape(time.Now().Add(time.Hour).UTC().Format(http.TimeFormat)), 0, 0, Retry, 59 * time.Minute},
		{"503 on the last attempt", up.URL + "/h?status=503", 1, 0, Dead, 0},
		{"400", up.URL + "/h?status=400", 0, 0, Dead, 0},
		{"401", up.URL + "/h?status=401", 0, 0, Dead, 0},
		{"404", up.URL + "/h?status=404", 0, 0, Dead, 0},
		{"410", up.URL + "/h?status=410", 0, 0, Dead, 0},
		{"422", up.URL + "/h?status=422", 0, 0, Dead, 0},
		{"connection refused", "http://" + closedAddr(t) + "/h", 0, 0, Retry, 0},
		{"timeout", hang.URL + "/h", 0, 100 * time.Millisecond, Retry, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Policy{URL: tc.url, Retry: []caddy.Duration{caddy.Duration(time.Minute)}, MaxAttempts: tc.maxAttempts,
				Timeout: caddy.Duration(tc.timeout)}
			if tc.maxAttempts == 0 {
				p.MaxAttempts = 5
			}
			before := time.Now()
			_, outcome, m := attemptOnce(t, p)
			require.Equal(t, tc.outcome, outcome)
			switch outcome {
			case Delivered:
				assert.Nil(t, m, "a delivered message leaves the store")
			case Retry:
				assert.Equal(t, queue.StateQueued, m.State)
				assert.Equal(t, 1, m.Attempts)
				assert.GreaterOrEqual(t, m.NextAttempt.Sub(before), max(tc.wait, time.Minute)-time.Second)
				assert.NotEmpty(t, m.LastError)
			case Dead:
				assert.Equal(t, queue.StateDead, m.State)
				assert.False(t, m.DeadAt.IsZero())
			}
		})
	}
}

// TestRedirectNotFollowed: a 302 from the upstream is its answer. The
// target of the redirect is never contacted (a redirect could lead a
// delivery, and its signature, to a host the config never named), and since
// retryable() is false for 3xx the message goes straight to the DLQ.
func TestRedirectNotFollowed(t *testing.T) {
	var hits atomic.Int32
	elsewhere := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		hits.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer elsewhere.Close()
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, elsewhere.URL+"/moved", http.StatusFound)
	}))
	defer up.Close()

	p := &Policy{URL: up.URL + "/hook", Retry: []caddy.Duration{caddy.Duration(time.Minute)}, MaxAttempts: 5}
	reply, outcome, m := attemptOnce(t, p)
	require.NotNil(t, reply)
	assert.Equal(t, http.StatusFound, reply.Status)
	assert.Equal(t, elsewhere.URL+"/moved", reply.Header.Get("Location"))
	assert.Zero(t, hits.Load(), "the redirect was followed")
	assert.Equal(t, Dead, outcome)
	require.NotNil(t, m)
	assert.Equal(t, queue.StateDead, m.State)
	assert.Equal(t, http.StatusFound, m.LastStatus)
	assert.Equal(t, "upstream answered 302", m.LastError)
	assert.Equal(t, 1, m.Attempts, "dead at once, no retry scheduled")
}

// TestDeliveryErrorsShowSchemeAndHostOnly: a failed delivery to a
// capability URL (Slack-style token in the path, another in the query)
// leaves neither in last_error nor in the log line of the attempt.
func TestDeliveryErrorsShowSchemeAndHostOnly(t *testing.T) {
	const secretPath, secretQuery = "/services/T000/B000/SECRETTOKEN", "token=abc"
	for _, tc := range []struct {
		name, url, host string
	}{
		{"connection refused", "http://127.0.0.1:1" + secretPath + "?" + secretQuery, "http://127.0.0.1:1"},
		{"user info", "http://ops:hunter2@127.0.0.1:1" + secretPath + "?" + secretQuery, "http://127.0.0.1:1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := &Policy{URL: tc.url, Retry: []caddy.Duration{caddy.Duration(time.Minute)}, MaxAttempts: 5}
			require.NoError(t, p.Provision())
			core, logs := observer.New(zap.DebugLevel)
			s := newMemStore(t)
			d := NewDispatcher(s, Options{Log: zap.New(core)})
			t.Cleanup(d.Close)
			d.Apply(map[string]*Policy{"q": p})
			now := time.Now()
			m := &queue.Message{ID: queue.NewID(now), Queue: "q", Method: http.MethodPost, URL: tc.url,
				Body: []byte(`{}`), ReceivedAt: now, NextAttempt: now.Add(time.Hour)}
			_, err := s.Enqueue(m, queue.Key{})
			require.NoError(t, err)
			res := d.DeliverNow(m, 5*time.Second)
			require.True(t, res.Done)
			require.Equal(t, Retry, res.Outcome)
			got, err := s.Get(m.ID)
			require.NoError(t, err)

			shown := []string{got.LastError}
			for _, e := range logs.All() {
				for _, v := range e.ContextMap() {
					shown = append(shown, fmt.Sprint(v))
				}
			}
			assert.Contains(t, got.LastError, tc.host, "the host stays, to tell which upstream failed")
			for _, s := range shown {
				for _, secret := range []string{"SECRETTOKEN", "/services", "T000", "token=", "abc", "hunter2", "ops:"} {
					assert.NotContains(t, s, secret)
				}
			}
		})
	}
}

// TestRedactURLs: a *url.Error keeps its operation and cause, its URL cut to
// scheme and host; a parse error loses its detail, which quotes the URL.
func TestRedactURLs(t *testing.T) {
	for _, tc := range []struct {
		name string
		err  error
		want string
	}{
		{"no error", nil, ""},
		{"not a url.Error", io.ErrUnexpectedEOF, "unexpected EOF"},
		{"dial", &url.Error{Op: "Post", URL: "https://hooks.slack.com/services/T0/B0/XyZ?x=1#f", Err: syscall.ECONNREFUSED},
			`Post "https://hooks.slack.com": connection refused`},
		{"user info", &url.Error{Op: "Post", URL: "https://u:p@discord.com/api/webhooks/1/tok", Err: context.DeadlineExceeded},
			`Post "https://discord.com": context deadline exceeded`},
		{"parse", &url.Error{Op: "parse", URL: "http://h/%zzSECRET", Err: url.EscapeError("%zzSECRET")},
			`parse "(invalid URL)": invalid URL`},
		{"unparseable", &url.Error{Op: "parse", URL: "::SECRET", Err: errors.New("missing protocol scheme")},
			`parse "(invalid URL)": invalid URL`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := redactURLs(tc.err)
			if tc.want == "" {
				assert.NoError(t, err)
				return
			}
			assert.EqualError(t, err, tc.want)
		})
	}
}

// TestAttemptUsesTheDispatcherClock: the attempt takes its times from the
// dispatcher's clock, as the loops, pacers and breakers do: the signing
// timestamp, the attempt's start in its report, its next attempt, and the
// time of death.
func TestAttemptUsesTheDispatcherClock(t *testing.T) {
	var stamp atomic.Value
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		stamp.Store(r.Header.Get("Webhook-Timestamp"))
		status, _ := strconv.Atoi(r.URL.Query().Get("status"))
		w.WriteHeader(status)
	}))
	defer up.Close()
	for _, tc := range []struct {
		status  int
		outcome Outcome
	}{{500, Retry}, {400, Dead}} {
		t.Run(strconv.Itoa(tc.status), func(t *testing.T) {
			p := &Policy{URL: up.URL + "/h?status=" + strconv.Itoa(tc.status), Retry: []caddy.Duration{caddy.Duration(time.Minute)},
				MaxAttempts: 5, Sign: &signature.Config{Scheme: "standard_webhooks", Secrets: []string{testSignSecret}}}
			require.NoError(t, p.Provision())
			s := newMemStore(t)
			var reported []Attempt
			d := NewDispatcher(s, Options{Now: func() time.Time { return t0 }, Reporter: ReporterFunc(func(a Attempt) { reported = append(reported, a) })})
			t.Cleanup(d.Close)
			d.Apply(map[string]*Policy{"q": p})
			m := &queue.Message{ID: queue.NewID(t0), Queue: "q", Method: http.MethodPost, URL: p.Target("/h"),
				Body: []byte(`{}`), ReceivedAt: t0, NextAttempt: t0.Add(NowHold(p, time.Minute))}
			_, err := s.Enqueue(m, queue.Key{})
			require.NoError(t, err)
			res := d.DeliverNow(m, 5*time.Second)
			require.True(t, res.Done)
			require.Equal(t, tc.outcome, res.Outcome)
			assert.Equal(t, strconv.FormatInt(t0.Unix(), 10), stamp.Load(), "signed at the dispatcher's now")
			require.Len(t, reported, 1)
			assert.Equal(t, t0, reported[0].At)
			assert.Zero(t, reported[0].Took, "the clock stood still")
			got, err := s.Get(m.ID)
			require.NoError(t, err)
			if tc.outcome == Retry {
				assert.Equal(t, t0.Add(time.Minute), got.NextAttempt)
			} else {
				assert.Equal(t, t0, got.DeadAt)
			}
		})
	}
}

// HeaderUp's fields replace the sender's of the same name, its
// placeholders are resolved, and the Webhook-* fields still win.
func TestAttemptHeaderUp(t *testing.T) {
	t.Setenv("HG_TEST_TOKEN", "tok_1")
	var got http.Header
	up := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
	}))
	defer up.Close()
	p := &Policy{URL: up.URL, HeaderUp: http.Header{
		"X-Source": {"github"}, "Content-Type": {"application/vnd.x+json"},
		"X-Token": {"{env.HG_TEST_TOKEN}"}, "Webhook-Id": {"forged"},
	}}
	_, outcome, _ := attemptOnce(t, p)
	require.Equal(t, Delivered, outcome)
	assert.Equal(t, "github", got.Get("X-Source"))
	assert.Equal(t, []string{"application/vnd.x+json"}, got.Values("Content-Type"))
	assert.Equal(t, "tok_1", got.Get("X-Token"))
	assert.True(t, strings.HasPrefix(got.Get("Webhook-Id"), "msg_"), got.Get("Webhook-Id"))
	assert.Equal(t, "{env.HG_TEST_TOKEN}", p.HeaderUp.Get("X-Token"), "the config keeps the placeholder")
}
