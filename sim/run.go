package sim

import (
	"fmt"
	"runtime/debug"
	"time"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/trace"
)

// Result is the outcome of one run.
type Result struct {
	Failure *Failure // nil if the run passed
	Stats   Stats
	End     time.Duration // simulated time at the end
	Hash    uint64        // determinism hash over every event and state change
	Trace   *trace.Trace  // the whole run, when Config.RecordTrace is set
	Wall    time.Duration // wall time the run took
}

// Run builds a cluster from cfg, boots it, runs the scenario and judges it.
// The scenario runs on a goroutine of its own so that a turn that never
// returns is caught (after Config.HangBound of wall time) and reported
// rather than hanging the caller; that goroutine is then abandoned.
func Run(cfg Config, s Scenario) *Result {
	if cfg.Nodes < 1 || cfg.Factory == nil {
		return &Result{Failure: &Failure{Kind: KindInternal, Rule: props.Config.Name(), Paper: props.Config.Section(), Message: "sim.Config needs Nodes ≥ 1 and a Factory"}}
	}
	c := newCluster(cfg)
	wallStart := time.Now()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if r := recover(); r != nil { // a bug in raftlab or in the scenario itself
				c.failed = &Failure{Kind: KindInternal, Rule: props.InternalError.Name(), Paper: props.InternalError.Section(), At: c.now,
					Message: fmt.Sprintf("the simulator or the scenario panicked: %v (please report this)", r),
					Stack:   string(debug.Stack())}
			}
		}()
		c.boot()
		s(c)
		if f := c.async.Load(); f != nil {
			c.fail(f)
		}
	}()
	if hang := c.watch(done); hang != nil {
		hang.Seed, hang.Scenario, hang.Implementation, hang.Replay = cfg.Seed, cfg.Scenario, cfg.Implementation, cfg.Replay
		return &Result{Failure: hang, Wall: time.Since(wallStart), End: hang.At}
	}
	c.stats.Peaks = c.flood.currentPeaks()
	res := &Result{Failure: c.failed, Stats: c.stats, End: c.now, Hash: c.rec.hash, Wall: time.Since(wallStart)}
	if f := res.Failure; f != nil {
		f.Seed, f.Scenario, f.Implementation, f.Replay = cfg.Seed, cfg.Scenario, cfg.Implementation, cfg.Replay
		f.Timeline = timeline(c.rec.last())
		f.States = c.describeNodes()
	}
	if cfg.RecordTrace {
		res.Trace = c.buildTrace(res)
	}
	return res
}

// watch waits for the scenario to finish, polling the call counters; a
// call into a node that stays in progress for HangBound of wall time is a
// hang.
func (c *Cluster) watch(done <-chan struct{}) *Failure {
	const poll = 50 * time.Millisecond
	// A timer that signals on a channel of its own, not a Ticker: a
	// Ticker's channel carries time.Time values, which puts time.Time in
	// an interface and so links time's formatting and parsing (32 KB
	// brotli) into the browser sandbox's WebAssembly.
	tick := make(chan struct{}, 1)
	timer := time.AfterFunc(poll, func() { tick <- struct{}{} })
	defer timer.Stop()
	type progress struct{ turns, more int64 }
	last, stuckFor := progress{}, time.Duration(0)
	for {
		select {
		case <-done:
			return nil
		case <-tick:
			timer.Reset(poll)
		}
		q := c.query.Load()
		now := progress{more: int64(q >> 32)}
		busy, node, what := false, -1, ""
		if q&queryBusy != 0 { // the factory, or an Inspect
			busy, node = true, int(q&0xffff)
			what = turnKind(q >> 16 & 0x7fff).describe(-1)
		}
		for _, sn := range c.nodes { // at most one host is in a turn
			h := sn.watched.Load()
			if h == nil {
				continue
			}
			now.turns += h.Turns()
			if kind, peer, b := h.Current(); b && !busy {
				busy, node, what = true, h.ID(), kind.Describe(peer)
			}
		}
		if !busy || now != last {
			last, stuckFor = now, 0
			continue
		}
		stuckFor += poll
		if stuckFor < c.cfg.HangBound {
			continue
		}
		at := time.Duration(c.turnAt.Load())
		return &Failure{Kind: KindHang, Rule: props.TurnsReturn.Name(), Paper: props.TurnsReturn.Section(), Nodes: []int{node}, At: at,
			Message: fmt.Sprintf("node %d's %s did not return within %s of wall time: an infinite loop, or a blocking call (channel, mutex, WaitGroup, time.Sleep)? Every call into a node must return promptly; wait for things by counting ticks instead. The run was abandoned", node, what, c.cfg.HangBound)}
	}
}

func (c *Cluster) buildTrace(res *Result) *trace.Trace {
	cfg := c.cfg
	t := &trace.Trace{
		Format:  trace.Format,
		Version: trace.Version,
		Header: trace.Header{
			Implementation: cfg.Implementation, Scenario: cfg.Scenario, Seed: cfg.Seed, Nodes: c.n, Replay: cfg.Replay,
			// The build goes into the header only: the hash and the
			// events do not depend on it, so runs of two builds compare.
			Build: trace.CurrentBuild(),
			Config: trace.Config{
				TickMicros: raftapi.TickInterval.Microseconds(), ClockSkew: cfg.ClockSkew, TickPhase: map[bool]string{true: "lockstep", false: "offset"}[cfg.LockstepTicks],
				DropRate: cfg.Network.DropRate, DupRate: cfg.Network.DupRate,
				DelayMinMicros: cfg.Network.DelayMin.Microseconds(), DelayMaxMicros: cfg.Network.DelayMax.Microseconds(),
				LongDelayRate: cfg.Network.LongDelayRate, LongDelayMicros: cfg.Network.LongDelayMax.Microseconds(),
				SnapshotEvery: cfg.SnapshotEvery,
			},
		},
		Events: make([]trace.Event, 0, len(c.rec.events)+1+len(c.rec.tail)),
		States: c.rec.states,
		Result: trace.Result{OK: res.Failure == nil, EndT: res.End.Microseconds(), Hash: fmt.Sprintf("%016x", res.Hash)},
	}
	for i := range c.rec.events {
		t.Events = append(t.Events, c.rec.events[i].event())
	}
	if c.rec.truncated() {
		c.appendTail(t)
	} else {
		for i := range c.rec.tail {
			t.Events = append(t.Events, c.rec.tail[i].event())
		}
	}
	if f := res.Failure; f != nil {
		t.Result.Failure = &trace.Failure{Kind: f.Kind, Rule: f.Rule, Paper: f.Paper, Message: f.Message,
			Nodes: f.Nodes, Terms: f.Terms, Indexes: f.Indexes, T: f.At.Microseconds()}
	}
	if t.States == nil {
		t.States = []trace.State{}
	}
	return t
}

// CheckDeterminism runs the scenario twice with the same configuration and
// trace recording on, and reports a nondeterminism failure naming the first
// event where the two runs differ. It returns the first run's result.
func CheckDeterminism(cfg Config, s Scenario) (*Result, *Failure) {
	cfg.RecordTrace = true
	a := Run(cfg, s)
	b := Run(cfg, s)
	if a.Failure != nil && a.Failure.Kind == KindHang {
		return a, nil
	}
	if f := Compare(a, b); f != nil {
		f.Seed, f.Scenario, f.Implementation, f.Replay = cfg.Seed, cfg.Scenario, cfg.Implementation, cfg.Replay
		return a, f
	}
	return a, nil
}

// Compare reports how two runs of the same seed differ, or nil if their
// traces are identical.
func Compare(a, b *Result) *Failure {
	if a.Hash == b.Hash && a.Trace == nil {
		return nil
	}
	if a.Trace != nil && b.Trace != nil {
		ea, eb := a.Trace.Events, b.Trace.Events
		for i := range min(len(ea), len(eb)) {
			if !ea[i].Equal(&eb[i]) {
				return nondeterminism(i, ea[i].T, fmt.Sprintf("first run:  %s\n  second run: %s", describeEvent(ea[i]), describeEvent(eb[i])))
			}
		}
		if len(ea) != len(eb) {
			i := min(len(ea), len(eb))
			return nondeterminism(i, 0, fmt.Sprintf("the first run has %d events, the second %d", len(ea), len(eb)))
		}
		sa, sb := a.Trace.States, b.Trace.States
		for i := range min(len(sa), len(sb)) {
			if sa[i] != sb[i] {
				return nondeterminism(-1, sa[i].T, fmt.Sprintf("node %d's state differs: %+v versus %+v", sa[i].Node, sa[i], sb[i]))
			}
		}
	}
	if a.Hash != b.Hash {
		return nondeterminism(-1, 0, "the runs' hashes differ")
	}
	return nil
}

func nondeterminism(i int, t int64, detail string) *Failure {
	where := "the runs' node states"
	if i >= 0 {
		where = fmt.Sprintf("event %d", i)
	}
	return &Failure{Kind: KindNondeterminism, Rule: props.Determinism.Name(), Paper: props.Determinism.Section(), At: time.Duration(t) * time.Microsecond,
		Message: fmt.Sprintf("two runs of the same seed differ, first at %s:\n  %s\nThe implementation's behaviour depends on something besides its inputs: map iteration order, goroutines, the wall clock, or a random source other than Env.Rand()", where, detail)}
}

func describeEvent(e trace.Event) string {
	return fmt.Sprintf("t=%dus %s", e.T, e.String())
}

// appendTail completes a truncated trace: a note saying what was left out,
// the last events, and each node's state at the end (the state changes
// after the head are among what was left out).
func (c *Cluster) appendTail(t *trace.Trace) {
	r := &c.rec
	kept := t.States[:0:0]
	for _, st := range t.States {
		if st.Seq <= len(r.events) {
			kept = append(kept, st)
		} else {
			r.statesLeft++
		}
	}
	t.States = kept
	tail := r.tailInOrder()
	left := r.traced - int64(len(r.events)+len(tail))
	from, to := r.events[len(r.events)-1].at, tail[0].at
	t.Events = append(t.Events, trace.Event{T: to.Microseconds(), Kind: trace.KindNote, Node: -1, Peer: -1,
		Text: fmt.Sprintf("trace truncated: %d events between %s and %s and %d state changes were left out to keep the file small (Config.TraceLimit); the first %d events precede this note, the last %d follow it",
			left, fmtTime(from), fmtTime(to), r.statesLeft, len(r.events), len(tail))})
	for i := range tail {
		t.Events = append(t.Events, tail[i].event())
	}
	for _, sn := range c.nodes {
		st := traceState(sn, c.now.Microseconds())
		st.Seq = len(t.Events)
		t.States = append(t.States, st)
	}
}
