package loadgen

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEventBody(t *testing.T) {
	ev := newEvent("ab12cd34")
	ids := map[string]bool{}
	for _, seq := range []uint64{0, 1, 42, 999_999_999_999} {
		ev.set(seq)
		require.Len(t, ev.buf, bodySize)
		var m map[string]any
		require.NoError(t, json.Unmarshal(ev.buf, &m), string(ev.buf))
		id := m["id"].(string)
		assert.True(t, strings.HasPrefix(id, "evt_ab12cd34_"), id)
		ids[id] = true
	}
	assert.Len(t, ids, 4)
}

// verifyingServer answers 202 to a correctly signed body with a new id, 401
// to a bad signature and 409 to a repeated id, like the gateway would.
type verifyingServer struct {
	secret []byte
	mu     sync.Mutex
	seen   map[string]bool
	conns  map[string]bool
}

func (v *verifyingServer) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	mac := hmac.New(sha256.New, v.secret)
	mac.Write(body)
	if hex.EncodeToString(mac.Sum(nil)) != r.Header.Get("X-Webhook-Signature") || len(body) != bodySize {
		w.WriteHeader(http.StatusUnauthorized)
		return
	}
	var ev struct{ ID string }
	json.Unmarshal(body, &ev)
	v.mu.Lock()
	dup := v.seen[ev.ID]
	v.seen[ev.ID] = true
	v.conns[r.RemoteAddr] = true
	v.mu.Unlock()
	if dup {
		w.WriteHeader(http.StatusConflict)
		return
	}
	w.WriteHeader(http.StatusAccepted)
}

func startServer(t *testing.T, h http.Handler) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	srv := &http.Server{Handler: h}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return ln.Addr().String()
}

// freePort returns a loopback port nothing listens on right now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// TestLoadOpenLoop: with Rate, the connections offer that many requests
// per second in all, not as many as the server can answer.
func TestLoadOpenLoop(t *testing.T) {
	v := &verifyingServer{secret: []byte("s3cret"), seen: map[string]bool{}, conns: map[string]bool{}}
	addr := startServer(t, v)
	res, err := Run(context.Background(), Spec{
		Addr: addr, Path: "/hooks/x", Secret: []byte("s3cret"), Conns: 4, Rate: 200,
		Warmup: 100 * time.Millisecond, Duration: 500 * time.Millisecond, RunID: "t3",
	})
	require.NoError(t, err)
	assert.Zero(t, res.Non2xx+res.Errors, "statuses %v, %s", res.Statuses, res.LastErr)
	assert.InDelta(t, 100, float64(res.OK), 15, "200 req/s for 0.5 s")
}

// TestPacerChargesLateRequestsFromTheirDueTime: a request that could not
// go on time is measured from when it was due, so a stall is not hidden.
func TestPacerChargesLateRequestsFromTheirDueTime(t *testing.T) {
	start := time.Now().Add(-time.Second) // a second behind schedule
	p := newPacer(Spec{Conns: 1, Rate: 10}, 0, start)
	assert.Equal(t, start, p.wait(), "due at the start, sent at once")
	assert.Equal(t, start.Add(100*time.Millisecond), p.wait(), "the next is due 1/Rate later")
	closed := newPacer(Spec{Conns: 1}, 0, start)
	assert.WithinDuration(t, time.Now(), closed.wait(), 50*time.Millisecond, "no rate: closed loop, measured from now")
}

func TestLoadDurationMode(t *testing.T) {
	v := &verifyingServer{secret: []byte("s3cret"), seen: map[string]bool{}, conns: map[string]bool{}}
	addr := startServer(t, v)
	res, err := Run(context.Background(), Spec{
		Addr: addr, Path: "/hooks/x", Secret: []byte("s3cret"), Conns: 4,
		Warmup: 100 * time.Millisecond, Duration: 400 * time.Millisecond, RunID: "t1",
	})
	require.NoError(t, err)
	assert.Zero(t, res.Non2xx, "statuses %v", res.Statuses)
	assert.Zero(t, res.Errors, res.LastErr)
	assert.Positive(t, res.OK)
	assert.Equal(t, res.OK, res.Hist.Count())
	assert.Equal(t, 400*time.Millisecond, res.Window)
	assert.InDelta(t, float64(res.OK)/0.4, res.Rate(), 1e-6)
	v.mu.Lock()
	assert.Len(t, v.conns, 4, "one keep-alive connection per worker")
	assert.GreaterOrEqual(t, uint64(len(v.seen)), res.OK, "every id unique")
	v.mu.Unlock()
}

func TestLoadCountsBadAnswers(t *testing.T) {
	v := &verifyingServer{secret: []byte("other"), seen: map[string]bool{}, conns: map[string]bool{}}
	addr := startServer(t, v)
	res, err := Run(context.Background(), Spec{
		Addr: addr, Path: "/", Secret: []byte("s3cret"), Conns: 2, Count: 50, RunID: "t2",
	})
	require.NoError(t, err)
	assert.Zero(t, res.OK)
	assert.Equal(t, uint64(50), res.Non2xx)
	assert.Equal(t, uint64(50), res.Statuses[401])
}

func TestLoadCountModeSlices(t *testing.T) {
	v := &verifyingServer{secret: []byte("k"), seen: map[string]bool{}, conns: map[string]bool{}}
	addr := startServer(t, v)
	res, err := Run(context.Background(), Spec{
		Addr: addr, Path: "/", Secret: []byte("k"), Conns: 3, Count: 1000, RunID: "t3",
	})
	require.NoError(t, err)
	assert.Equal(t, 1000, res.Sent)
	assert.Equal(t, uint64(1000), res.OK)
	require.Len(t, res.Slices, 10)
	for i := 1; i < 10; i++ {
		assert.GreaterOrEqual(t, res.Slices[i], res.Slices[i-1])
	}
	rates := res.SliceRates(1000)
	require.Len(t, rates, 10)
	for _, r := range rates {
		assert.Positive(t, r)
	}
}

func TestLoadSurvivesRefusedConnections(t *testing.T) {
	port, err := freePort()
	require.NoError(t, err)
	res, err := Run(context.Background(), Spec{
		Addr: fmt.Sprintf("127.0.0.1:%d", port), Path: "/", Conns: 2,
		Duration: 200 * time.Millisecond, RunID: "t4",
	})
	require.NoError(t, err)
	assert.Zero(t, res.OK)
	assert.Positive(t, res.Errors)
	assert.Contains(t, res.LastErr, "refused")
}
