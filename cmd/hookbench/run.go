package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/hookgate/hookgate/internal/benchreport"
	"github.com/hookgate/hookgate/internal/benchscenario"
	"github.com/hookgate/hookgate/internal/loadgen"
	"github.com/hookgate/hookgate/internal/procstat"
	"github.com/hookgate/hookgate/internal/redistest"
	"github.com/hookgate/hookgate/internal/testpki"
)

// stage is what a scenario runs against: the upstream receiver, Redis and
// Caddy, each present only if the scenario needs it.
type stage struct {
	recv     *Receiver
	pki      *testpki.PKI // of an MTLSUpstream
	redis    *redistest.Server
	cad      *Caddy
	adminURL string
	httpAddr string
	path     string
}

// setUp starts what s needs; on error it stops what it started.
func setUp(ctx context.Context, s *benchscenario.Scenario, o Options, bin, dir string) (st *stage, err error) {
	st = &stage{path: s.Path}
	if st.path == "" {
		st.path = "/hooks/contextfile"
	}
	defer func() {
		if err != nil {
			st.tearDown()
		}
	}()
	upstream, err := st.startUpstream(s, dir)
	if err != nil {
		return st, err
	}
	p := benchscenario.CaddyfileParams{Path: st.path, Route: benchscenario.RouteData{
		Upstream: upstream, UpstreamURL: "http://" + upstream, SecretEnv: secretEnv}}
	if st.pki != nil {
		p.Route.UpstreamURL = "https://" + upstream
		p.Route.CA, p.Route.ClientCert, p.Route.ClientKey = st.pki.CA, st.pki.ClientCert, st.pki.ClientKey
	}
	if p.Storage, err = st.storage(ctx, s, dir); err != nil {
		return st, err
	}
	ports, err := freePorts(2)
	if err != nil {
		return st, err
	}
	p.AdminAddr, p.HTTPPort = fmt.Sprintf("127.0.0.1:%d", ports[0]), ports[1]
	st.adminURL, st.httpAddr = p.AdminAddr, fmt.Sprintf("127.0.0.1:%d", ports[1])
	cf, err := benchscenario.Caddyfile(s, p)
	if err != nil {
		return st, err
	}
	st.cad, err = StartCaddy(ctx, bin, dir, cf, p.AdminAddr, st.httpAddr, []string{secretEnv + "=" + o.Secret})
	return st, err
}

// startUpstream starts the receiver, or picks a closed port, and returns
// the upstream's host:port ("" when Caddy answers by itself).
func (st *stage) startUpstream(s *benchscenario.Scenario, dir string) (string, error) {
	switch s.Upstream {
	case benchscenario.MTLSUpstream:
		pkiDir := filepath.Join(dir, "pki")
		if err := os.MkdirAll(pkiDir, 0o700); err != nil {
			return "", err
		}
		var err error
		if st.pki, err = testpki.New(pkiDir); err != nil {
			return "", fmt.Errorf("certificates: %w", err)
		}
		if st.recv, err = StartTLSReceiver(st.pki.ServerTLS(true, "http/1.1")); err != nil {
			return "", fmt.Errorf("receiver: %w", err)
		}
		return st.recv.Addr(), nil
	case benchscenario.FastUpstream, benchscenario.SlowUpstream:
		delay := time.Duration(0)
		if s.Upstream == benchscenario.SlowUpstream {
			delay = s.Delay
		}
		var err error
		if st.recv, err = StartReceiver(delay); err != nil {
			return "", fmt.Errorf("receiver: %w", err)
		}
		return st.recv.Addr(), nil
	case benchscenario.DownUpstream:
		port, err := freePort()
		return fmt.Sprintf("127.0.0.1:%d", port), err
	}
	return "", nil
}

// storage returns the arguments of the storage option, starting Redis if
// the scenario uses it.
func (st *stage) storage(ctx context.Context, s *benchscenario.Scenario, dir string) (string, error) {
	switch s.Store {
	case benchscenario.EmbeddedStore:
		return "embedded " + filepath.Join(dir, "webhooks"), nil
	case benchscenario.RedisStore:
		var err error
		if st.redis, err = redistest.Launch(ctx, filepath.Join(dir, "redis"),
			// fsync'd on every write: the setting under which a
			// Redis-backed 2xx is as durable as an embedded one.
			"--appendfsync", "always"); err != nil {
			return "", err
		}
		return "redis " + st.redis.URL(), nil
	}
	return "", nil
}

func (st *stage) tearDown() {
	if st.cad != nil {
		st.cad.Stop()
	}
	if st.recv != nil {
		st.recv.Close()
	}
	if st.redis != nil {
		st.redis.Stop()
	}
}

// delivered returns what the receiver has answered so far (0 without one).
func (st *stage) delivered() int64 {
	if st.recv == nil {
		return 0
	}
	return st.recv.Delivered()
}

// cpuSnap reads the CPU clocks of Caddy, redis-server (if the scenario
// runs one), this process and the machine.
func (st *stage) cpuSnap() procstat.CPUSnap {
	var caddy, redis int
	if st.cad != nil {
		caddy = st.cad.Pid()
	}
	if st.redis != nil {
		redis = st.redis.Pid()
	}
	return procstat.TakeCPUSnap(caddy, redis)
}

// loadSpec is the load s applies; count is its request count (0: timed).
func loadSpec(s *benchscenario.Scenario, o Options, st *stage, runID string) (spec loadgen.Spec, count int) {
	spec = loadgen.Spec{Addr: st.httpAddr, Path: st.path, Conns: o.Conns, Rate: s.Rate,
		Warmup: o.Warmup, Duration: o.Duration, RunID: runID}
	if !s.Unsign {
		spec.Secret = []byte(o.Secret)
	}
	if s.Count > 0 {
		count = s.Count
		if o.Quick && s.QuickCount > 0 {
			count = s.QuickCount
		}
		if o.Messages > 0 {
			count = o.Messages
		}
		spec.Count, spec.MaxTime = count, s.MaxTime
	}
	return spec, count
}

// window is a reading at one edge of the measured window.
type window struct {
	delivered int64
	cpu       procstat.CPUSnap
}

// runScenario starts what s needs, loads it, and tears everything down.
func runScenario(ctx context.Context, s *benchscenario.Scenario, o Options, bin, dir, runID string) *benchreport.Result {
	r := &benchreport.Result{S: s}
	st, err := setUp(ctx, s, o, bin, dir)
	if err != nil {
		r.Err = err
		return r
	}
	defer st.tearDown()
	spec, count := loadSpec(s, o, st, runID)
	r.Count = count

	sampCtx, stopSamp := context.WithCancel(ctx)
	var bg sync.WaitGroup
	bg.Add(1)
	go func() { defer bg.Done(); st.cad.SampleRSS(sampCtx, 100*time.Millisecond) }()
	if o.Profile != "" {
		bg.Add(1)
		go func() { defer bg.Done(); st.profile(ctx, s, o, count) }()
	}

	var mu sync.Mutex
	var w0, w1 window
	take := func(w *window) {
		mu.Lock()
		defer mu.Unlock()
		*w = window{delivered: st.delivered(), cpu: st.cpuSnap()}
	}
	// A timed run reads the window's edges on timers; the end may come
	// with the load's own end, so it is read (or waited for) before fill.
	endRead := func() {}
	if count == 0 {
		t0 := time.AfterFunc(o.Warmup, func() { take(&w0) })
		read := make(chan struct{})
		t1 := time.AfterFunc(o.Warmup+o.Duration, func() { take(&w1); close(read) })
		defer t0.Stop()
		endRead = func() {
			if t1.Stop() {
				take(&w1)
			} else {
				<-read
			}
		}
	} else {
		take(&w0)
		endRead = func() { take(&w1) }
	}
	lr, lerr := loadgen.Run(ctx, spec)
	endRead()
	if fr, err := st.cad.RSS(); err == nil {
		r.FinalRSS = fr
	}
	r.FinalAnon, r.FinalFile = st.cad.RSSSplit()
	stopSamp()
	bg.Wait()
	r.PeakRSS = max(st.cad.PeakRSS(), r.FinalRSS)
	r.Load = lr
	if lerr != nil {
		r.Err = lerr
		return r
	}
	if !st.cad.Alive() {
		r.Err = fmt.Errorf("caddy exited during the load\n%s", st.cad.LogTail(20))
		return r
	}
	mu.Lock()
	fill(r, lr, w0, w1, count, st.recv != nil, o.Duration)
	mu.Unlock()
	if r.Err = r.Problems(); r.Err != nil && o.Keep {
		fmt.Fprintf(os.Stderr, "\n%s\n", st.cad.LogTail(10))
	}
	return r
}

// profile saves a CPU and an allocation profile of Caddy over the
// measured window.
func (st *stage) profile(ctx context.Context, s *benchscenario.Scenario, o Options, count int) {
	wait, d := o.Warmup, o.Duration
	if count > 0 {
		wait, d = 0, s.MaxTime/3
	}
	go fetchProfile(ctx, st.adminURL, "allocs", wait, d, filepath.Join(o.Profile, s.Name+".allocs.pprof"))
	fetchProfile(ctx, st.adminURL, "profile", wait, d, filepath.Join(o.Profile, s.Name+".cpu.pprof"))
}

// fill computes r's figures from the load result and the window readings.
func fill(r *benchreport.Result, lr *loadgen.Result, w0, w1 window, count int, recv bool, d time.Duration) {
	r.AckRate = lr.Rate()
	r.P50 = lr.Hist.Quantile(50)
	r.P99 = lr.Hist.Quantile(99)
	r.P999 = lr.Hist.Quantile(99.9)
	if recv && count == 0 {
		r.Delivered = w1.delivered - w0.delivered
		r.DelivRate = float64(r.Delivered) / d.Seconds()
	}
	if lr.OK > 0 && w1.cpu.Caddy > w0.cpu.Caddy {
		r.CPUPerReq = (w1.cpu.Caddy - w0.cpu.Caddy) / time.Duration(lr.OK)
	}
	r.CPU = procstat.ShareSince(w0.cpu, w1.cpu)
	r.Rate = r.AckRate
	if r.S.Metric == benchscenario.Delivered {
		r.Rate = r.DelivRate
	}
	if count > 0 && len(lr.Slices) > 0 {
		r.Slices = lr.SliceRates(count) // the tenths completed, if cut short
	}
}
