package chaos

import (
	"net"
	"sync"
)

// Proxy is a TCP proxy on loopback that can partition the network: while
// partitioned, bytes stop flowing both ways on every connection, old and
// new, as when packets are dropped (not refused: the peer sees timeouts).
// It stands between Caddy and Redis to make Redis unreachable.
type Proxy struct {
	Addr   string
	target string
	l      net.Listener

	mu   sync.Mutex
	open chan struct{} // closed while traffic flows
}

// NewProxy listens on a free loopback port and forwards to target.
func NewProxy(target string) (*Proxy, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{Addr: l.Addr().String(), target: target, l: l, open: make(chan struct{})}
	close(p.open)
	go p.accept()
	return p, nil
}

// Partition stops (true) or resumes (false) all traffic.
func (p *Proxy) Partition(on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	select {
	case <-p.open: // flowing
		if on {
			p.open = make(chan struct{})
		}
	default: // partitioned
		if !on {
			close(p.open)
		}
	}
}

func (p *Proxy) gate() chan struct{} {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.open
}

// Close stops accepting; open connections end with their peers.
func (p *Proxy) Close() error { return p.l.Close() }

func (p *Proxy) accept() {
	for {
		c, err := p.l.Accept()
		if err != nil {
			return
		}
		go p.serve(c)
	}
}

func (p *Proxy) serve(c net.Conn) {
	defer c.Close()
	<-p.gate() // a new connection waits out a partition too
	u, err := net.Dial("tcp", p.target)
	if err != nil {
		return
	}
	defer u.Close()
	done := make(chan struct{}, 2)
	go func() { p.pipe(u, c); done <- struct{}{} }()
	go func() { p.pipe(c, u); done <- struct{}{} }()
	<-done
}

// pipe copies src to dst, holding each chunk while partitioned.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			<-p.gate()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil { // EOF or a reset: the other side closes with serve
			return
		}
	}
}
