// Package loadgen drives an HTTP/1.1 endpoint with signed 1 KiB JSON
// webhooks over keep-alive connections, closed loop (each connection as fast
// as answers come), open loop (a stated rate, latency charged from each
// request's due time) or for a fixed request count, and records the
// latencies in a log-bucketed histogram (Hist). It is hookbench's load
// generator and knows nothing of Caddy.
package loadgen

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
)

// bodySize is the size of every request body: a 1 KiB JSON event.
const bodySize = 1024

// Spec says how hard and for how long to drive the target.
type Spec struct {
	Addr   string // host:port of the Caddy listener
	Path   string // request path
	Secret []byte // HMAC-SHA256 key; nil sends no signature header
	Conns  int    // keep-alive connections, one request in flight on each

	// Rate, if positive, paces duration mode (open loop): Rate requests per
	// second in all, each connection sending on its own schedule. A request
	// that could not go at its time (the previous one was still out) goes
	// at once, and its latency runs from the time it was due, so a stall
	// shows in the percentiles instead of thinning the load (coordinated
	// omission). 0: closed loop, each connection as fast as answers come.
	Rate float64

	// Duration mode (Count == 0): send for Warmup+Duration, record only what
	// completes in the Duration window after Warmup.
	Warmup   time.Duration
	Duration time.Duration

	// Count mode (Count > 0): send exactly Count requests as fast as the
	// connections allow, all recorded, and time each tenth of them. MaxTime
	// stops a count run that takes too long.
	Count   int
	MaxTime time.Duration

	RunID string // makes event ids unique across runs
}

// Result is what one load run measured on the client side.
type Result struct {
	Hist     *Hist         // latency of the 2xx answers recorded
	OK       uint64        // 2xx answers recorded
	Non2xx   uint64        // other answers recorded
	Errors   uint64        // transport errors (dial, write, read, timeout)
	Window   time.Duration // the measured window (duration mode) or total time (count mode)
	Start    time.Time     // start of the measured window
	End      time.Time     // end of the measured window
	Statuses map[int]uint64
	LastErr  string

	// Count mode only: when each tenth of Count had been answered, from Start.
	Slices []time.Duration
	Sent   int // requests answered (== Count unless MaxTime cut it short)
}

// Rate returns the recorded 2xx answers per second.
func (r *Result) Rate() float64 {
	if r.Window <= 0 {
		return 0
	}
	return float64(r.OK) / r.Window.Seconds()
}

// SliceRates returns requests per second in each tenth of a count run.
func (r *Result) SliceRates(count int) []float64 {
	out := make([]float64, 0, len(r.Slices))
	prev := time.Duration(0)
	per := float64(count) / 10 // each slice is a tenth, even when the run was cut short
	for _, t := range r.Slices {
		if t <= prev {
			out = append(out, 0)
		} else {
			out = append(out, per/(t-prev).Seconds())
		}
		prev = t
	}
	return out
}

// event builds request bodies: 1 KiB JSON with a unique id written in place.
type event struct {
	buf   []byte
	idOff int // offset of the 12 sequence digits
}

const seqDigits = 12

func newEvent(runID string) *event {
	head := `{"id":"evt_` + runID + `_`
	mid := `","type":"bench.event","created":1700000000,"data":{"object":"invoice","amount":4200,"currency":"eur","note":"`
	tail := `"}}`
	pad := bodySize - len(head) - seqDigits - len(mid) - len(tail)
	if pad < 0 {
		panic("event template longer than the body size")
	}
	b := make([]byte, 0, bodySize)
	b = append(b, head...)
	off := len(b)
	for range seqDigits {
		b = append(b, '0')
	}
	b = append(b, mid...)
	for i := range pad {
		b = append(b, 'a'+byte(i%26))
	}
	b = append(b, tail...)
	return &event{buf: b, idOff: off}
}

// set writes seq into the id digits.
func (e *event) set(seq uint64) {
	for i := seqDigits - 1; i >= 0; i-- {
		e.buf[e.idOff+i] = '0' + byte(seq%10)
		seq /= 10
	}
}

// conn is one keep-alive HTTP/1.1 client connection with its own buffers.
type conn struct {
	addr string
	nc   net.Conn
	br   *bufio.Reader
	bw   *bufio.Writer
}

func (c *conn) close() {
	if c.nc != nil {
		c.nc.Close()
		c.nc = nil
	}
}

func (c *conn) dial() error {
	nc, err := net.DialTimeout("tcp", c.addr, 5*time.Second)
	if err != nil {
		return err
	}
	c.nc = nc
	if c.br == nil {
		c.br = bufio.NewReaderSize(nc, 16<<10)
		c.bw = bufio.NewWriterSize(nc, 4<<10)
	} else {
		c.br.Reset(nc)
		c.bw.Reset(nc)
	}
	return nil
}

// do sends one request and reads the whole answer. It returns the status
// code, or an error after which the connection is closed.
func (c *conn) do(head, body []byte, deadline time.Time) (int, error) {
	if c.nc == nil {
		if err := c.dial(); err != nil {
			return 0, err
		}
	}
	c.nc.SetDeadline(deadline)
	c.bw.Write(head)
	c.bw.Write(body)
	if err := c.bw.Flush(); err != nil {
		c.close()
		return 0, err
	}
	resp, err := http.ReadResponse(c.br, nil)
	if err != nil {
		c.close()
		return 0, err
	}
	_, err = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	if err != nil {
		c.close()
		return 0, err
	}
	if resp.Close {
		c.close()
	}
	return resp.StatusCode, nil
}

// pacer spaces one connection's requests in an open-loop run.
type pacer struct {
	every time.Duration // 0: closed loop
	due   time.Time
}

// newPacer staggers connection w's schedule within the first interval, so
// the connections do not fire together.
func newPacer(spec Spec, w int, start time.Time) *pacer {
	if spec.Rate <= 0 || spec.Count > 0 {
		return &pacer{}
	}
	every := time.Duration(float64(spec.Conns) / spec.Rate * float64(time.Second))
	return &pacer{every: every, due: start.Add(every * time.Duration(w) / time.Duration(spec.Conns))}
}

// wait sleeps until the next request is due and returns the time it was
// due, from which its latency runs (now, in a closed loop).
func (p *pacer) wait() time.Time {
	if p.every == 0 {
		return time.Now()
	}
	if d := time.Until(p.due); d > 0 {
		time.Sleep(d)
	}
	due := p.due
	p.due = p.due.Add(p.every)
	return due
}

// Run drives the target as spec says and returns what it measured.
func Run(ctx context.Context, spec Spec) (*Result, error) {
	if spec.Conns < 1 {
		return nil, errors.New("need at least one connection")
	}
	var (
		seq      atomic.Uint64 // next event sequence number
		answered atomic.Int64  // count mode: answers so far
		wg       sync.WaitGroup
		mu       sync.Mutex
		res      = &Result{Hist: NewHist(), Statuses: map[int]uint64{}}
	)
	countMode := spec.Count > 0
	start := time.Now()
	var recFrom, stopAt time.Time
	if countMode {
		recFrom = start
		maxT := spec.MaxTime
		if maxT <= 0 {
			maxT = time.Hour
		}
		stopAt = start.Add(maxT)
		res.Slices = make([]time.Duration, 10)
	} else {
		recFrom = start.Add(spec.Warmup)
		stopAt = recFrom.Add(spec.Duration)
	}
	var sliceMu sync.Mutex
	sliceNext := 0
	markSlice := func(n int64, now time.Time) {
		// Called with every answer in count mode; records a tenth's boundary.
		sliceMu.Lock()
		for sliceNext < 10 && n >= int64((sliceNext+1)*spec.Count/10) {
			res.Slices[sliceNext] = now.Sub(start)
			sliceNext++
		}
		sliceMu.Unlock()
	}

	for w := 0; w < spec.Conns; w++ {
		pace := newPacer(spec, w, start)
		wg.Add(1)
		go func() {
			defer wg.Done()
			h := NewHist()
			statuses := map[int]uint64{}
			var ok, bad, errs uint64
			var lastErr error
			ev := newEvent(spec.RunID)
			mac := hmac.New(sha256.New, spec.Secret)
			sum := make([]byte, 0, sha256.Size)
			hexSig := make([]byte, hex.EncodedLen(sha256.Size))
			prefix := []byte("POST " + spec.Path + " HTTP/1.1\r\nHost: " + spec.Addr +
				"\r\nUser-Agent: hookbench\r\nContent-Type: application/json\r\nContent-Length: " +
				strconv.Itoa(bodySize) + "\r\n")
			head := make([]byte, 0, len(prefix)+128)
			c := &conn{addr: spec.Addr}
			defer c.close()
			for ctx.Err() == nil {
				now := time.Now()
				if !now.Before(stopAt) {
					break
				}
				var n uint64
				if countMode {
					n = seq.Add(1)
					if n > uint64(spec.Count) {
						break
					}
				} else {
					n = seq.Add(1)
				}
				ev.set(n)
				head = append(head[:0], prefix...)
				if spec.Secret != nil {
					mac.Reset()
					mac.Write(ev.buf)
					hex.Encode(hexSig, mac.Sum(sum[:0]))
					head = append(head, "X-Webhook-Signature: "...)
					head = append(head, hexSig...)
					head = append(head, "\r\n"...)
				}
				head = append(head, "\r\n"...)
				t0 := pace.wait()
				deadline := t0.Add(60 * time.Second)
				if !countMode && deadline.After(stopAt.Add(5*time.Second)) {
					// Past the window nothing is recorded: do not wait long.
					deadline = stopAt.Add(5 * time.Second)
				}
				status, err := c.do(head, ev.buf, deadline)
				t1 := time.Now()
				if countMode {
					markSlice(answered.Add(1), t1)
				}
				record := !t1.Before(recFrom) && (countMode || !t1.After(stopAt))
				if err != nil {
					if ctx.Err() != nil {
						break
					}
					if record {
						errs++
						lastErr = err
					}
					// Do not spin on a refusing server.
					time.Sleep(10 * time.Millisecond)
					continue
				}
				if !record {
					continue
				}
				statuses[status]++
				if status >= 200 && status < 300 {
					ok++
					h.Record(t1.Sub(t0))
				} else {
					bad++
				}
			}
			mu.Lock()
			defer mu.Unlock()
			res.Hist.Merge(h)
			res.OK += ok
			res.Non2xx += bad
			res.Errors += errs
			for s, n := range statuses {
				res.Statuses[s] += n
			}
			if lastErr != nil {
				res.LastErr = lastErr.Error()
			}
		}()
	}
	wg.Wait()
	end := time.Now()
	res.Start = recFrom
	if countMode {
		res.End = end
		res.Window = end.Sub(start)
		res.Sent = int(answered.Load())
		if res.Sent < spec.Count {
			res.Slices = res.Slices[:sliceNext]
		}
	} else {
		res.End = stopAt
		res.Window = spec.Duration
	}
	if err := ctx.Err(); err != nil {
		return res, fmt.Errorf("load interrupted: %w", err)
	}
	return res, nil
}
