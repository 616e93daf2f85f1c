package soak

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// Defaults of a soak.
const (
	// DefaultDuration is how long the nemesis runs when Options.Duration
	// is zero.
	DefaultDuration = sim.SwarmDuration
	// DefaultMaxFailures is how many failing seeds a MixReport lists when
	// Options.MaxFailures is zero.
	DefaultMaxFailures = 5
)

// ErrUnknownMix is returned for a mix name that Mixes does not list.
var ErrUnknownMix = errors.New("unknown mix")

// ErrNoFactory is returned when Options name no implementation: the soak
// package soaks whatever its caller gives it (cmd/soak gives the
// reference).
var ErrNoFactory = errors.New("soak: Options.Factory is required (the implementation to soak)")

// mixSpec is a named fault mix: which faults the nemesis may inject, and
// what else each seed draws.
type mixSpec struct {
	name      string
	doc       string
	faults    sim.Faults
	snapshots []int // SnapshotEvery drawn from these; nil: no snapshots
	clocks    bool  // clock skew and lockstep ticks drawn per seed (sim.Swarm.Clocks)
}

// mixes returns the named mixes, in the order reports list them. It is a
// function, not a package variable, so that nothing can change the table.
func mixes() []mixSpec {
	allFaults := sim.Faults{Partitions: true, Unreliable: true, Crashes: true, Pauses: true}
	return []mixSpec{
		{name: "partitions", doc: "partitions of any shape, isolated leaders, one-way cuts", faults: sim.Faults{Partitions: true}},
		{name: "unreliable", doc: "message drops, duplicates, delays and long reordering", faults: sim.Faults{Unreliable: true}},
		{name: "crashes", doc: "crashes and restarts, sometimes of every node at once", faults: sim.Faults{Crashes: true}},
		{name: "pauses", doc: "paused nodes and zombie leaders", faults: sim.Faults{Pauses: true}},
		{name: "all", doc: "every fault above, each on with probability 3/4", faults: allFaults},
		{name: "all+snapshots", doc: "every fault, with a snapshot every 5, 10 or 50 applied commands", faults: allFaults, snapshots: []int{5, 10, 50}},
		{name: "skew+lockstep", doc: "every fault, on clocks skewed by up to 20% and, on a quarter of the seeds, ticking in lockstep", faults: allFaults, clocks: true},
	}
}

// MixInfo names and describes one mix.
type MixInfo struct {
	Name string
	Doc  string
}

// Mixes lists the named mixes, in report order.
func Mixes() []MixInfo {
	specs := mixes()
	out := make([]MixInfo, len(specs))
	for i, m := range specs {
		out[i] = MixInfo{Name: m.name, Doc: m.doc}
	}
	return out
}

// MixNames lists the names of the mixes, in report order.
func MixNames() []string {
	specs := mixes()
	out := make([]string, len(specs))
	for i, m := range specs {
		out[i] = m.name
	}
	return out
}

func lookup(name string) (mixSpec, error) {
	for _, m := range mixes() {
		if m.name == name {
			return m, nil
		}
	}
	return mixSpec{}, fmt.Errorf("%w %q (known: %s)", ErrUnknownMix, name, strings.Join(MixNames(), ", "))
}

// Options configure a soak. The zero value of every field but Seeds and
// Factory means the default noted beside it.
type Options struct {
	Mixes     []string      // mix names, run in this order (default: every mix of Mixes)
	Seeds     int           // seeds per mix (at least 1)
	FirstSeed uint64        // the first seed of each mix (default 0); seeds run FirstSeed … FirstSeed+Seeds-1
	Shard     Shard         // run only this shard's seeds of that range (default: all of them)
	Nodes     int           // cluster size; 0 draws it per seed from {3, 5, 7}
	Duration  time.Duration // simulated time the nemesis runs (default DefaultDuration)
	Liveness  sim.Liveness  // the phase after the faults (default: drawn per seed)
	Parallel  int           // runs at once (default runtime.GOMAXPROCS(0))

	Factory        raftapi.Factory // the implementation (required)
	Implementation string          // its name in reports (default "implementation")

	// MaxFailures is how many failing seeds each MixReport lists (default
	// DefaultMaxFailures); every failure is counted either way.
	MaxFailures int
	// Progress, if set, is called after each run with the number of runs
	// done and the total, never concurrently, with done increasing.
	Progress func(done, total int)
	// ReplayCommand renders the command that replays one run, for failure
	// reports (default: DefaultReplayCommand).
	ReplayCommand func(mix string, seed uint64) string
	// TraceLimit bounds the events a replay's trace keeps
	// (sim.Config.TraceLimit; 0: the simulator's default).
	TraceLimit int
}

func (o Options) withDefaults() Options {
	if len(o.Mixes) == 0 {
		o.Mixes = MixNames()
	}
	if o.Duration <= 0 {
		o.Duration = DefaultDuration
	}
	if o.Shard.Count == 0 {
		o.Shard = Shard{Index: 0, Count: 1}
	}
	if o.Parallel <= 0 {
		o.Parallel = runtime.GOMAXPROCS(0)
	}
	if o.Implementation == "" {
		o.Implementation = "implementation"
	}
	if o.MaxFailures <= 0 {
		o.MaxFailures = DefaultMaxFailures
	}
	if o.ReplayCommand == nil {
		o.ReplayCommand = func(mix string, seed uint64) string { return DefaultReplayCommand(o, mix, seed) }
	}
	return o
}

// DefaultReplayCommand is the cmd/soak command line that replays one run
// of o and writes its trace.
func DefaultReplayCommand(o Options, mix string, seed uint64) string {
	cmd := fmt.Sprintf("go run ./cmd/soak -mix %s -seed %d", mix, seed)
	if o.Nodes > 0 {
		cmd += fmt.Sprintf(" -nodes %d", o.Nodes)
	}
	if o.Duration > 0 && o.Duration != DefaultDuration {
		cmd += fmt.Sprintf(" -duration %s", o.Duration)
	}
	if o.Liveness != sim.LivenessDrawn {
		cmd += " -liveness " + o.Liveness.String()
	}
	return cmd + " -trace out.json"
}

func (o Options) validate() error {
	if o.Factory == nil {
		return ErrNoFactory
	}
	if err := o.Shard.validate(); err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	if _, err := sim.ParseLiveness(o.Liveness.String()); err != nil {
		return fmt.Errorf("soak: %w", err)
	}
	if o.Seeds < 1 {
		return fmt.Errorf("soak: Seeds must be at least 1, not %d", o.Seeds)
	}
	if o.Nodes < 0 {
		return fmt.Errorf("soak: Nodes must be positive (or 0 to draw it), not %d", o.Nodes)
	}
	if o.FirstSeed+uint64(o.Seeds)-1 < o.FirstSeed {
		return fmt.Errorf("soak: seeds %d … +%d overflow uint64", o.FirstSeed, o.Seeds)
	}
	seen := map[string]bool{}
	for _, m := range o.Mixes {
		if _, err := lookup(m); err != nil {
			return fmt.Errorf("soak: %w", err)
		}
		if seen[m] {
			return fmt.Errorf("soak: mix %q named twice", m)
		}
		seen[m] = true
	}
	return nil
}

// Plan is everything a seed decides about one run of a mix before it
// starts: the draw of the simulator's swarm plan (sim.Swarm) for the mix.
type Plan struct {
	Mix string
	sim.SwarmDraw
}

func (p Plan) String() string {
	return fmt.Sprintf("%s seed %d: %s", p.Mix, p.Seed, p.SwarmDraw)
}

// PlanFor draws the plan of one run: a pure function of the mix, the seed
// and Options.Nodes, Duration and Liveness.
func PlanFor(o Options, mix string, seed uint64) (Plan, error) {
	spec, err := lookup(mix)
	if err != nil {
		return Plan{}, fmt.Errorf("soak: %w", err)
	}
	return Plan{Mix: spec.name, SwarmDraw: spec.swarm(o).Draw(seed)}, nil
}

// swarm is the mix as the simulator's swarm plan: the mix's faults, clocks
// and snapshots, Options' size, duration and liveness phase, a client for
// the whole run and the plan's default bounds.
func (m mixSpec) swarm(o Options) sim.Swarm {
	d := o.Duration
	if d <= 0 {
		d = DefaultDuration
	}
	return sim.Swarm{Faults: m.faults, Nodes: o.Nodes, Clocks: m.clocks, SnapshotEvery: m.snapshots, Duration: d, Liveness: o.Liveness}
}

// run is one run of the plan.
func (p Plan) run(o Options, spec mixSpec, trace bool) *sim.Result {
	cfg := sim.Config{
		Factory:        o.Factory,
		Implementation: o.Implementation,
		Scenario:       "soak/" + p.Mix,
		Replay:         o.ReplayCommand(p.Mix, p.Seed),
		RecordTrace:    trace,
		TraceLimit:     o.TraceLimit,
	}
	p.Configure(&cfg)
	plan := spec.swarm(o)
	return sim.Run(cfg, func(c *sim.Cluster) { plan.Run(c, p.SwarmDraw) })
}

// Replay runs one (mix, seed) of o again, with the trace recorded: the
// same run, event for event, as in Run.
func Replay(o Options, mix string, seed uint64) (*sim.Result, error) {
	o = o.withDefaults()
	if o.Factory == nil {
		return nil, ErrNoFactory
	}
	spec, err := lookup(mix)
	if err != nil {
		return nil, fmt.Errorf("soak: %w", err)
	}
	p := Plan{Mix: spec.name, SwarmDraw: spec.swarm(o).Draw(seed)}
	return p.run(o, spec, true), nil
}

// Failure is one failing run, as a report lists it.
type Failure struct {
	Mix     string `json:"mix"`
	Seed    uint64 `json:"seed"`
	Kind    string `json:"kind"`    // the failure's kind (sim.KindSafety, sim.KindLiveness, ...)
	Summary string `json:"summary"` // one line: kind, rule, section, when
	Plan    string `json:"plan"`    // what the seed drew (Plan.String)
	Replay  string `json:"replay"`  // the command that replays it
}

// MixReport is what one mix's runs found.
type MixReport struct {
	Mix            string        `json:"mix"`
	Runs           int           `json:"runs"`
	Violations     int           `json:"violations"`      // runs that failed with any kind but liveness
	LivenessMisses int           `json:"liveness_misses"` // runs that failed with sim.KindLiveness
	Commits        int64         `json:"commits"`         // indexes committed, summed over runs
	Events         int64         `json:"events"`          // simulator events, summed over runs
	SimTime        time.Duration `json:"sim_time_ns"`
	Wall           time.Duration `json:"wall_ns"`  // wall time the mix took (its runs in parallel; summed over merged shards)
	Failures       []Failure     `json:"failures"` // the failing runs of the lowest seeds, at most Options.MaxFailures
}

// Failed reports whether any run violated safety or missed liveness.
func (m *MixReport) Failed() bool { return m.Violations > 0 || m.LivenessMisses > 0 }

// CommitsPerRun is the mean number of committed indexes per run.
func (m *MixReport) CommitsPerRun() float64 {
	if m.Runs == 0 {
		return 0
	}
	return float64(m.Commits) / float64(m.Runs)
}

// EventsPerSecond is the simulator's throughput on this mix: events per
// second of wall time.
func (m *MixReport) EventsPerSecond() float64 {
	if m.Wall <= 0 {
		return 0
	}
	return float64(m.Events) / m.Wall.Seconds()
}

func (m *MixReport) add(o *MixReport, maxFailures int) {
	m.Runs += o.Runs
	m.Violations += o.Violations
	m.LivenessMisses += o.LivenessMisses
	m.Commits += o.Commits
	m.Events += o.Events
	m.SimTime += o.SimTime
	m.Wall += o.Wall
	for _, f := range o.Failures {
		if len(m.Failures) < maxFailures {
			m.Failures = append(m.Failures, f)
		}
	}
}

// Report is a soak's outcome: one MixReport per mix, in Options.Mixes
// order, and their totals.
type Report struct {
	Implementation string        `json:"implementation"`
	Seeds          int           `json:"seeds"` // the seed range: FirstSeed … FirstSeed+Seeds-1
	FirstSeed      uint64        `json:"first_seed"`
	Shard          Shard         `json:"shard"` // the part of the range run; {0, 1} for all of it
	Nodes          int           `json:"nodes"` // 0: drawn per seed
	Duration       time.Duration `json:"duration_ns"`
	Liveness       string        `json:"liveness"` // sim.Liveness: drawn, all or core
	MaxFailures    int           `json:"max_failures"`
	Mixes          []MixReport   `json:"mixes"`
	Total          MixReport     `json:"total"` // Mix "total"; its Wall is the soak's wall time
}

// Failed reports whether any run violated safety or missed liveness.
func (r *Report) Failed() bool { return r.Total.Failed() }

// outcome is what one run contributes to its mix's report.
type outcome struct {
	done     bool
	failure  *sim.Failure
	commits  int64
	events   int64
	simTime  time.Duration
	planDesc string
}

// Run soaks o.Factory: every mix of o.Mixes over o.Seeds seeds. Mixes run
// one after another, each mix's seeds o.Parallel at a time. It returns an
// error for invalid options, or when ctx is done; then the report holds the
// runs that finished.
func Run(ctx context.Context, o Options) (*Report, error) {
	o = o.withDefaults()
	if err := o.validate(); err != nil {
		return nil, err
	}
	rep := &Report{Implementation: o.Implementation, Seeds: o.Seeds, FirstSeed: o.FirstSeed, Shard: o.Shard, Nodes: o.Nodes,
		Duration: o.Duration, Liveness: o.Liveness.String(), MaxFailures: o.MaxFailures, Total: MixReport{Mix: "total"}}
	seeds := o.Shard.Seeds(o.FirstSeed, o.Seeds)
	total := len(o.Mixes) * len(seeds)
	var mu sync.Mutex // serializes Progress
	done := 0
	progress := func() {
		mu.Lock()
		defer mu.Unlock()
		done++
		if o.Progress != nil {
			o.Progress(done, total)
		}
	}
	start := time.Now()
	var runErr error
	for _, name := range o.Mixes {
		spec, _ := lookup(name) // validated
		mr, err := runMix(ctx, o, spec, seeds, progress)
		rep.Mixes = append(rep.Mixes, *mr)
		rep.Total.add(mr, o.MaxFailures)
		if err != nil {
			runErr = fmt.Errorf("soak: mix %s: %w", name, err)
			break
		}
	}
	rep.Total.Wall = time.Since(start)
	return rep, runErr
}

func runMix(ctx context.Context, o Options, spec mixSpec, seeds []uint64, progress func()) (*MixReport, error) {
	outs := make([]outcome, len(seeds))
	plan := spec.swarm(o)
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(o.Parallel)
	start := time.Now()
	for i, seed := range seeds {
		if gctx.Err() != nil {
			break
		}
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err // the context's own error; Run wraps it
			}
			p := Plan{Mix: spec.name, SwarmDraw: plan.Draw(seed)}
			res := p.run(o, spec, false)
			outs[i] = outcome{done: true, failure: res.Failure, commits: int64(res.Stats.Committed),
				events: res.Stats.Events, simTime: res.End}
			if res.Failure != nil {
				outs[i].planDesc = p.String()
			}
			progress()
			return nil
		})
	}
	err := g.Wait()
	if err == nil {
		err = ctx.Err()
	}
	mr := &MixReport{Mix: spec.name, Wall: time.Since(start)}
	for i, out := range outs { // in seed order: the report does not depend on scheduling
		if !out.done {
			continue
		}
		mr.Runs++
		mr.Commits += out.commits
		mr.Events += out.events
		mr.SimTime += out.simTime
		f := out.failure
		if f == nil {
			continue
		}
		if f.Kind == sim.KindLiveness {
			mr.LivenessMisses++
		} else {
			mr.Violations++
		}
		if len(mr.Failures) < o.MaxFailures {
			seed := seeds[i]
			mr.Failures = append(mr.Failures, Failure{Mix: spec.name, Seed: seed, Kind: f.Kind, Summary: Summary(f),
				Plan: out.planDesc, Replay: o.ReplayCommand(spec.name, seed)})
		}
	}
	return mr, err
}

// Summary renders a failure in one line: kind, rule, paper section, time
// and the first line of its message.
func Summary(f *sim.Failure) string {
	title := f.Rule
	if f.Paper != "" {
		title += " (" + f.Paper + ")"
	}
	msg, _, _ := strings.Cut(f.Message, "\n")
	const maxMsg = 160
	if r := []rune(msg); len(r) > maxMsg {
		msg = string(r[:maxMsg]) + "…"
	}
	return fmt.Sprintf("%s: %s at %s: %s", strings.ToUpper(f.Kind), title, f.At.Round(time.Microsecond), msg)
}

// FailingSeeds returns every listed failure of r, mix by mix.
func (r *Report) FailingSeeds() []Failure {
	var out []Failure
	for _, m := range r.Mixes {
		out = append(out, m.Failures...)
	}
	return slices.Clip(out)
}
