//go:build unix

package cluster

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
	"github.com/anishathalye/porcupine"

	"github.com/raftlab/raftlab/localnet/client"
	"github.com/raftlab/raftlab/localnet/kv"
	"github.com/raftlab/raftlab/localnet/kvcheck"
)

// BenchConfig is one run of the load generator.
type BenchConfig struct {
	Addrs     []string      // the nodes' client addresses
	Clients   int           // closed-loop clients, each with one operation outstanding
	Size      int           // bytes per written value
	Duration  time.Duration // how long clients start new operations
	Keys      int           // size of the key space (0: 1000)
	Reads     float64       // fraction of operations that are Gets
	OpTimeout time.Duration // a client gives up on an operation after this (0: 10s)
	HTTP      bool          // clients speak HTTP/JSON, one request per connection at a time; else kvproto, pipelined on one connection per node

	// Faults.
	Control         Controller    // kills and restarts nodes; needed by KillLeaderEvery
	KillLeaderEvery time.Duration // SIGKILL the leader this often, restart it Down later (0: never)
	Down            time.Duration // how long a killed leader stays down (0: 1s)

	Pids func() []int // the running nodes' pids, for CPU per op (nil: not measured)

	Check        bool          // check the history for linearizability
	CheckTimeout time.Duration // porcupine's budget (0: one minute)
	HTMLPath     string        // where a violation's visualisation goes

	Logf func(format string, args ...any)
}

// BenchResult is what a run measured.
type BenchResult struct {
	Ops, Failed   int64 // operations acknowledged; operations whose outcome is unknown
	Elapsed       time.Duration
	OpsPerSec     float64
	P50, P99      time.Duration
	P999, Max     time.Duration
	CPUPerOp      float64 // µs of the node processes' CPU per acknowledged op; -1: not measured
	FsyncsPerOp   float64
	Kills         int
	Check         *kvcheck.Result // nil when not checked
	CheckDuration time.Duration
}

// Print writes the result for a person.
func (r BenchResult) Print(w io.Writer) {
	say(w, "ops          %d acknowledged, %d unknown, in %.1fs\n", r.Ops, r.Failed, r.Elapsed.Seconds())
	say(w, "throughput   %.0f ops/s\n", r.OpsPerSec)
	say(w, "latency      p50 %v  p99 %v  p99.9 %v  max %v\n", r.P50, r.P99, r.P999, r.Max)
	if r.CPUPerOp >= 0 {
		say(w, "cpu          %.1f µs per op (node processes)\n", r.CPUPerOp)
	}
	say(w, "fsyncs       %.3f per op\n", r.FsyncsPerOp)
	if r.Kills > 0 {
		say(w, "faults       %d leader kills\n", r.Kills)
	}
	if c := r.Check; c != nil {
		switch {
		case c.HTML != "":
			say(w, "history      NOT LINEARIZABLE (%d ops checked in %v): see %s\n", c.Ops, r.CheckDuration.Round(time.Millisecond), c.HTML)
		default:
			say(w, "history      %v (%d ops checked in %v)\n", outcomeName(c), c.Ops, r.CheckDuration.Round(time.Millisecond))
		}
	}
}

func outcomeName(c *kvcheck.Result) string {
	switch c.Outcome {
	case porcupine.Ok:
		return "linearizable"
	case porcupine.Illegal:
		return "NOT LINEARIZABLE"
	}
	return "unknown (the checker ran out of time)"
}

// Bench runs the load generator against a running cluster.
func Bench(ctx context.Context, cfg BenchConfig) (BenchResult, error) {
	if cfg.Keys <= 0 {
		cfg.Keys = 1000
	}
	if cfg.OpTimeout <= 0 {
		cfg.OpTimeout = 10 * time.Second
	}
	if cfg.Down <= 0 {
		cfg.Down = time.Second
	}
	if cfg.CheckTimeout <= 0 {
		cfg.CheckTimeout = time.Minute
	}
	if cfg.Logf == nil {
		cfg.Logf = func(string, ...any) {}
	}
	if cfg.KillLeaderEvery > 0 && cfg.Control == nil {
		return BenchResult{}, fmt.Errorf("bench: faults need a cluster this program controls")
	}
	rec := kvcheck.NewRecorder()
	meter := newMeter(cfg.Addrs, cfg.Pids)
	meter.sample(ctx)

	runCtx, stop := context.WithTimeout(ctx, cfg.Duration)
	defer stop()
	var wg sync.WaitGroup
	hists := make([]*hdrhistogram.Histogram, cfg.Clients)
	acked := make([]int64, cfg.Clients)
	failed := make([]int64, cfg.Clients)
	// The checker's model starts from an empty store: keys of a run's own,
	// so that what an earlier run against the same cluster wrote is not
	// read as a value nobody wrote.
	prefix := fmt.Sprintf("b%08x-", rand.Uint32())
	var opts []client.Option
	if !cfg.HTTP {
		bin := client.NewBinary()
		defer func() { _ = bin.Close() }()
		opts = append(opts, client.WithBinary(bin))
	}
	start := time.Now()
	for w := range cfg.Clients {
		hists[w] = hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
		wg.Go(func() {
			acked[w], failed[w] = runClient(ctx, runCtx, cfg, w, prefix, rec, hists[w], opts)
		})
	}
	var bg sync.WaitGroup
	kills := 0
	if cfg.KillLeaderEvery > 0 {
		bg.Go(func() { kills = killLeaders(runCtx, cfg) })
	}
	bg.Go(func() {
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-runCtx.Done():
				return
			case <-t.C:
				meter.sample(ctx)
			}
		}
	})
	wg.Wait()
	elapsed := time.Since(start)
	stop()
	bg.Wait()
	meter.sample(ctx)

	h := hdrhistogram.New(1, int64(time.Minute/time.Microsecond), 3)
	var res BenchResult
	for w := range cfg.Clients {
		h.Merge(hists[w])
		res.Ops += acked[w]
		res.Failed += failed[w]
	}
	us := func(q float64) time.Duration { return time.Duration(h.ValueAtQuantile(q)) * time.Microsecond }
	res.Elapsed, res.Kills = elapsed, kills
	res.OpsPerSec = float64(res.Ops) / elapsed.Seconds()
	res.P50, res.P99, res.P999 = us(50), us(99), us(99.9)
	res.Max = time.Duration(h.Max()) * time.Microsecond
	res.CPUPerOp = -1
	if res.Ops > 0 {
		if meter.cpuOK {
			res.CPUPerOp = float64(meter.cpuMicros) / float64(res.Ops)
		}
		res.FsyncsPerOp = float64(meter.fsyncs) / float64(res.Ops)
	}
	if cfg.Check {
		t := time.Now()
		c, err := kvcheck.Check(rec.Operations(), cfg.CheckTimeout, cfg.HTMLPath)
		res.CheckDuration = time.Since(t)
		res.Check = &c
		if err != nil {
			return res, fmt.Errorf("bench: %w", err)
		}
	}
	return res, nil
}

// client is one closed-loop client: it starts operations until runCtx
// ends, each bounded by the operation timeout (under ctx, so the last
// one may finish after runCtx ends).
func runClient(ctx, runCtx context.Context, cfg BenchConfig, w int, prefix string, rec *kvcheck.Recorder, h *hdrhistogram.Histogram, opts []client.Option) (acked, failed int64) {
	c := client.New(cfg.Addrs, opts...)
	rng := rand.New(rand.NewPCG(uint64(w), uint64(time.Now().UnixNano())))
	pad := strings.Repeat("x", cfg.Size)
	for n := 0; runCtx.Err() == nil; n++ {
		key := fmt.Sprintf("%sk%d", prefix, rng.IntN(cfg.Keys))
		in := kvcheck.Input{Op: kv.OpPut, Key: key}
		if rng.Float64() < cfg.Reads {
			in.Op = kv.OpGet
		} else {
			// Unique values make the history's check meaningful: a Get
			// tells exactly which Put it saw.
			v := fmt.Sprintf("c%d-%d-", w, n)
			if len(v) < cfg.Size {
				v += pad[:cfg.Size-len(v)]
			}
			in.Value = v
		}
		opCtx, cancel := context.WithTimeout(ctx, cfg.OpTimeout)
		call := rec.Now()
		t := time.Now()
		var out kvcheck.Output
		var err error
		if in.Op == kv.OpGet {
			out.Value, _, err = c.Get(opCtx, key)
		} else {
			err = c.Put(opCtx, key, in.Value)
		}
		lat := time.Since(t)
		ret := rec.Now()
		cancel()
		if err != nil {
			// The client gave up: a Put may or may not have happened.
			out.Unknown = true
			failed++
		} else {
			acked++
			_ = h.RecordValue(lat.Microseconds()) // values above a minute are clamped out; none happen under OpTimeout
		}
		rec.Record(w, in, out, call, ret)
	}
	return acked, failed
}

// killLeaders kills the leader every cfg.KillLeaderEvery and restarts it
// cfg.Down later.
func killLeaders(ctx context.Context, cfg BenchConfig) int {
	kills := 0
	t := time.NewTicker(cfg.KillLeaderEvery)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return kills
		case <-t.C:
		}
		id, st := FindLeader(ctx, cfg.Addrs)
		if id < 0 {
			cfg.Logf("fault: no leader to kill")
			continue
		}
		if err := cfg.Control.Kill(id); err != nil {
			cfg.Logf("fault: kill node %d: %v", id, err)
			continue
		}
		kills++
		cfg.Logf("fault: killed leader %d (term %d)", id, st.Term)
		select {
		case <-ctx.Done():
		case <-time.After(cfg.Down):
		}
		if err := cfg.Control.Restart(id); err != nil {
			cfg.Logf("fault: restart node %d: %v", id, err)
		}
	}
}

// meter sums the node processes' CPU time and fsyncs over a run from
// periodic samples: a node killed between two samples loses only what it
// did since the last one.
type meter struct {
	addrs     []string
	pids      func() []int
	lastCPU   map[int]int64               // by pid
	lastSync  map[string]map[uint64]int64 // by address, then incarnation
	cpuMicros int64
	cpuOK     bool // a CPU time was read (Linux)
	fsyncs    int64
}

func newMeter(addrs []string, pids func() []int) *meter {
	return &meter{addrs: addrs, pids: pids, lastCPU: map[int]int64{}, lastSync: map[string]map[uint64]int64{}}
}

func (m *meter) sample(ctx context.Context) {
	first := len(m.lastCPU) == 0 && len(m.lastSync) == 0
	if m.pids != nil {
		for _, pid := range m.pids() {
			cpu, err := procCPU(pid)
			if err != nil {
				continue
			}
			m.cpuOK = true
			if last, ok := m.lastCPU[pid]; ok {
				m.cpuMicros += cpu - last
			} else if !first {
				m.cpuMicros += cpu // a node started during the run
			}
			m.lastCPU[pid] = cpu
		}
	}
	for _, addr := range m.addrs {
		st, err := GetStatus(ctx, addr)
		if err != nil {
			continue
		}
		inc := m.lastSync[addr]
		if inc == nil {
			inc = map[uint64]int64{}
			m.lastSync[addr] = inc
		}
		if last, ok := inc[st.Incarnation]; ok {
			m.fsyncs += st.Fsyncs - last
		} else if !first {
			m.fsyncs += st.Fsyncs
		}
		inc[st.Incarnation] = st.Fsyncs
	}
}
