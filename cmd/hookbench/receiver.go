package main

import (
	"crypto/tls"
	"io"
	"net"
	"net/http"
	"sync/atomic"
	"time"
)

// Receiver is the upstream app: an in-process HTTP server that answers 200
// to every request, after Delay if set, and counts what it received.
type Receiver struct {
	Delay time.Duration

	addr      string
	srv       *http.Server
	delivered atomic.Int64 // requests answered 2xx
	bytes     atomic.Int64
}

// StartReceiver listens on a free loopback port.
func StartReceiver(delay time.Duration) (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{Delay: delay, addr: ln.Addr().String()}
	r.srv = &http.Server{
		Handler:           r,
		ReadHeaderTimeout: 10 * time.Second,
		IdleTimeout:       2 * time.Minute,
		ErrorLog:          nil,
	}
	go r.srv.Serve(ln)
	return r, nil
}

// StartTLSReceiver is StartReceiver over TLS with config (which may
// require client certificates).
func StartTLSReceiver(config *tls.Config) (*Receiver, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Receiver{addr: ln.Addr().String()}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: 10 * time.Second, IdleTimeout: 2 * time.Minute, TLSConfig: config}
	go r.srv.Serve(tls.NewListener(ln, config))
	return r, nil
}

// Addr is host:port of the receiver.
func (r *Receiver) Addr() string { return r.addr }

// Delivered returns the number of requests answered so far.
func (r *Receiver) Delivered() int64 { return r.delivered.Load() }

func (r *Receiver) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	n, _ := io.Copy(io.Discard, req.Body)
	if r.Delay > 0 {
		t := time.NewTimer(r.Delay)
		select {
		case <-t.C:
		case <-req.Context().Done():
			t.Stop()
			return
		}
	}
	r.bytes.Add(n)
	r.delivered.Add(1)
	w.WriteHeader(http.StatusOK)
}

// Close stops the receiver at once, dropping requests in flight.
func (r *Receiver) Close() error { return r.srv.Close() }

// freePort returns a loopback port nothing listens on right now.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// freePorts returns n distinct loopback ports nothing listens on right now.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, ln := range lns {
			ln.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, err
		}
		lns = append(lns, ln)
		ports = append(ports, ln.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}
