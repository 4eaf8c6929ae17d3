package inbound

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/caddyserver/caddy/v2"
	"github.com/caddyserver/caddy/v2/modules/caddyhttp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/hookgate/hookgate/internal/limit"
	"github.com/hookgate/hookgate/signature"
)

// sendFrom posts body from the client address remote, signed with secret.
func sendFrom(t *testing.T, h *Handler, remote, secret, body string) int {
	t.Helper()
	r := httptest.NewRequest(http.MethodPost, "/hooks", strings.NewReader(body))
	r.RemoteAddr = remote
	s, err := signature.Config{Header: "X-Sig"}.NewSigner([]string{secret})
	require.NoError(t, err)
	require.NoError(t, s.Sign(r.Header, r.URL, "msg_1", []byte(body), testNow))
	w := httptest.NewRecorder()
	require.NoError(t, h.ServeHTTP(w, r, caddyhttp.HandlerFunc(func(http.ResponseWriter, *http.Request) error { return nil })))
	return w.Code
}

// The handler tells the strike counter about verified requests: an address
// (an IPv6 /64) that delivered a verified webhook is not blocked by bad
// signatures from it, and its webhooks keep being accepted.
func TestBadSignaturesSpareAVerifiedClient(t *testing.T) {
	for _, tc := range []struct {
		name, verifiedFrom, badFrom string
		want                        int // of a good webhook from badFrom after the bad ones
	}{
		{"nothing verified first", "", "192.0.2.1:4000", http.StatusTooManyRequests},
		{"verified from the same address", "192.0.2.1:4000", "192.0.2.1:5000", http.StatusAccepted},
		{"verified from another address", "192.0.2.2:4000", "192.0.2.1:5000", http.StatusTooManyRequests},
		{"verified from the same /64", "[2001:db8::1]:4000", "[2001:db8::2]:5000", http.StatusAccepted},
		{"verified from another /64", "[2001:db8:0:1::1]:4000", "[2001:db8::2]:5000", http.StatusTooManyRequests},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h := &Handler{Verify: &signature.Config{Header: "X-Sig", Secrets: []string{"s3cret"}}, Dedupe: "{json.id}",
				BadSignatures: &limit.Strikes{Limit: 3, Window: caddy.Duration(time.Minute), Block: caddy.Duration(10 * time.Minute)}}
			setup(t, h)
			clock := testNow
			h.now = func() time.Time { return clock }
			if tc.verifiedFrom != "" {
				require.Equal(t, http.StatusAccepted, sendFrom(t, h, tc.verifiedFrom, "s3cret", `{"id":"evt_real_0"}`))
			}
			for i := range 5 {
				clock = clock.Add(time.Second)
				code := sendFrom(t, h, tc.badFrom, "wrong", `{"id":"evt_forged"}`)
				if code == http.StatusTooManyRequests {
					break
				}
				require.Equal(t, http.StatusUnauthorized, code, "bad signature %d", i)
			}
			for i := 1; i <= 3; i++ {
				body := fmt.Sprintf(`{"id":"evt_real_%d"}`, i)
				assert.Equal(t, tc.want, sendFrom(t, h, tc.badFrom, "s3cret", body), "real webhook %d", i)
			}
		})
	}
}

// A preset brings its sender's largest payload as the default max_body
// (GitHub: 25 MB); the route's own max_body wins; without a preset, 1 MiB.
func TestMaxBodyFromPreset(t *testing.T) {
	for _, tc := range []struct {
		verify *signature.Config
		own    int64
		want   int64
	}{
		{&signature.Config{Scheme: "github", Secrets: []string{"s"}}, 0, 25_000_000},
		{&signature.Config{Scheme: "github", Secrets: []string{"s"}}, 4096, 4096},
		{&signature.Config{Scheme: "stripe", Secrets: []string{"s"}}, 0, DefaultMaxBody},
		{&signature.Config{Header: "X-Sig", Secrets: []string{"s"}}, 0, DefaultMaxBody},
		{nil, 0, DefaultMaxBody},
	} {
		h := &Handler{Verify: tc.verify, MaxBody: tc.own}
		setup(t, h)
		assert.Equal(t, tc.want, h.MaxBody, "%+v", tc.verify)
	}
	// A 2 MiB GitHub push passes the body limit (and is refused by the
	// signature, not by 413); with max_body 1MiB it gets 413.
	big := `{"x":"` + strings.Repeat("a", 2<<20) + `"}`
	cfg := signature.Config{Scheme: "github", Secrets: []string{"s"}}
	h := &Handler{Verify: &cfg}
	setup(t, h)
	assert.Equal(t, http.StatusAccepted, send(t, h, cfg, "s", testNow, http.MethodPost, "/hooks/github", big, nil).Code)
	h = &Handler{Verify: &cfg, MaxBody: 1 << 20}
	setup(t, h)
	assert.Equal(t, http.StatusRequestEntityTooLarge, send(t, h, cfg, "s", testNow, http.MethodPost, "/hooks/github", big, nil).Code)
}
