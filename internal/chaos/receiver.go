package chaos

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"time"
)

// Mode is how the Receiver answers.
type Mode int

// The receiver's modes: the upstream faults the gateway must ride out.
const (
	Healthy  Mode = iota // 200
	Slow                 // processes, then answers 200 after Delay (longer than Caddy's timeout)
	Error500             // 500, not processed
	Busy429              // 429 with Retry-After: 1, not processed
	Cut                  // processes, then closes the connection in the middle of the response
)

func (m Mode) String() string {
	return [...]string{"healthy", "slow", "500", "429", "cut"}[m]
}

// Receiver is the upstream app: it counts, per message number, the
// deliveries it processed. It listens on a fixed loopback port so that it
// can go down (nothing listens: connection refused) and come back.
type Receiver struct {
	Addr  string // 127.0.0.1:port
	Delay time.Duration

	mu        sync.Mutex
	mode      Mode
	delivered map[int]int
	requests  int
	srv       *http.Server
}

// NewReceiver starts a healthy receiver on a free loopback port.
func NewReceiver() (*Receiver, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	rc := &Receiver{Addr: l.Addr().String(), Delay: 2 * time.Second, delivered: map[int]int{}}
	rc.serve(l)
	return rc, nil
}

// URL is the receiver's base URL.
func (rc *Receiver) URL() string { return "http://" + rc.Addr }

func (rc *Receiver) serve(l net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(rc.handle), ReadHeaderTimeout: 5 * time.Second}
	rc.mu.Lock()
	rc.srv = srv
	rc.mu.Unlock()
	go func() { _ = srv.Serve(l) }()
}

// Down stops listening and drops open connections: connection refused.
func (rc *Receiver) Down() {
	rc.mu.Lock()
	srv := rc.srv
	rc.srv = nil
	rc.mu.Unlock()
	if srv != nil {
		_ = srv.Close()
	}
}

// Up listens again on the same port.
func (rc *Receiver) Up() error {
	rc.mu.Lock()
	up := rc.srv != nil
	rc.mu.Unlock()
	if up {
		return nil
	}
	var err error
	for range 50 { // the port may linger for a moment after Close
		var l net.Listener
		if l, err = net.Listen("tcp", rc.Addr); err == nil {
			rc.serve(l)
			return nil
		}
		time.Sleep(20 * time.Millisecond)
	}
	return fmt.Errorf("receiver back on %s: %w", rc.Addr, err)
}

// Close stops the receiver for good.
func (rc *Receiver) Close() { rc.Down() }

// SetMode changes how the receiver answers from now on.
func (rc *Receiver) SetMode(m Mode) {
	rc.mu.Lock()
	rc.mode = m
	rc.mu.Unlock()
}

// Delivered returns, per message number, how many deliveries were processed.
func (rc *Receiver) Delivered() map[int]int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	out := make(map[int]int, len(rc.delivered))
	for k, v := range rc.delivered {
		out[k] = v
	}
	return out
}

// Requests is the number of requests received, processed or not.
func (rc *Receiver) Requests() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return rc.requests
}

func (rc *Receiver) handle(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return // the gateway gave up mid-body: nothing was delivered
	}
	var msg struct{ N *int }
	if json.Unmarshal(body, &msg) != nil || msg.N == nil {
		http.Error(w, "not a chaos message", http.StatusBadRequest)
		return
	}
	rc.mu.Lock()
	rc.requests++
	mode, delay := rc.mode, rc.Delay
	if mode != Error500 && mode != Busy429 {
		rc.delivered[*msg.N]++ // the app has processed it, whatever becomes of the answer
	}
	rc.mu.Unlock()
	switch mode {
	case Slow:
		time.Sleep(delay)
	case Error500:
		w.WriteHeader(http.StatusInternalServerError)
		return
	case Busy429:
		w.Header().Set("Retry-After", strconv.Itoa(1))
		w.WriteHeader(http.StatusTooManyRequests)
		return
	case Cut:
		if conn, buf, err := http.NewResponseController(w).Hijack(); err == nil {
			_, _ = buf.WriteString("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\n{\"ok\":")
			_ = buf.Flush()
			_ = conn.Close()
			return
		}
	}
	w.WriteHeader(http.StatusOK)
}
