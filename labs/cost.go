package labs

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// After each stage RunStage prints one line of what the stage cost the
// implementation, against what the same scenarios and seeds cost the
// reference (a committed baseline, labs/baseline.go: the handout has no
// reference to run), and warns when a figure is more than costFactor
// times the reference's. A slow implementation passes every check and
// still makes each run of the suite ten times longer; this line is where
// that shows. It is a warning, never a failure: the grader's rubric may
// turn the figures (the cost attribute) into points.

// costFactor is how many times the reference's figure an implementation
// may spend before the cost line warns.
const costFactor = 10

// Floors below which a figure is not worth a warning, however many times
// the reference's it is: a gob-encoded state of 150 bytes is fifty times
// the reference's 3 bytes in the election stage, and costs nothing.
const (
	costFloorBytesPerSave = 1024
	costFloorTime         = time.Second
)

// Cost is what a set of runs cost: the simulator's counters (sim.Stats)
// summed over the runs, which depend on the seed alone, and the runs'
// wall time, which depends on the machine and its load.
type Cost struct {
	Runs           int   `json:"runs"`
	Committed      int64 `json:"committed"`       // entries committed, per run the highest index applied anywhere
	SimTime        int64 `json:"sim_ns"`          // simulated time, in nanoseconds
	Messages       int64 `json:"messages"`        // messages sent, requests and replies
	Bytes          int64 `json:"bytes"`           // their encoded bytes
	Saves          int64 `json:"saves"`           // Persister.Save calls
	PersistedBytes int64 `json:"persisted_bytes"` // bytes those calls wrote (state and snapshot)
	// Wall is the runs' wall time (sim.Result.Wall, summed). It is not
	// compared across machines: it only divides a stage's time among
	// its scenarios (see stageClock).
	Wall time.Duration `json:"wall_ns"`
	// Units is the scenarios' share of the stage's time in calibration
	// units (see stageClock): set in the baseline and by the meter's
	// report, zero in a Cost being summed.
	Units float64 `json:"time_units,omitempty"`
}

// Add counts one run's result.
func (c *Cost) Add(res *sim.Result) {
	s := &res.Stats
	c.Runs++
	c.Committed += int64(s.Committed)
	c.SimTime += int64(res.End)
	c.Messages += s.TotalRPCs()
	c.Bytes += s.TotalBytes()
	c.Saves += s.Saves
	c.PersistedBytes += s.PersistedBytes
	c.Wall += res.Wall
}

// Plus is the cost of both sets of runs.
func (c Cost) Plus(o Cost) Cost {
	return Cost{
		Runs: c.Runs + o.Runs, Committed: c.Committed + o.Committed, SimTime: c.SimTime + o.SimTime,
		Messages: c.Messages + o.Messages, Bytes: c.Bytes + o.Bytes,
		Saves: c.Saves + o.Saves, PersistedBytes: c.PersistedBytes + o.PersistedBytes,
		Wall: c.Wall + o.Wall, Units: c.Units + o.Units,
	}
}

// Figures are a cost's rates, as the cost line compares them.
type Figures struct {
	// Per is what the message and byte rates are per: "committed entry",
	// or "simulated second" where the reference commits nothing (the
	// election stage, whose scenarios make no proposals).
	Per          string  `json:"per"`
	Messages     float64 `json:"messages_per"`
	Bytes        float64 `json:"bytes_per"`
	BytesPerSave float64 `json:"persisted_bytes_per_save"`
	TimeUnits    float64 `json:"time_units"` // Cost.Units
}

// perEntry and perSecond are the values of Figures.Per.
const (
	perEntry  = "committed entry"
	perSecond = "simulated second"
)

// figures returns c's rates, per committed entry or per simulated second
// as per says.
func (c Cost) figures(per string) Figures {
	f := Figures{Per: per, TimeUnits: c.Units}
	div := float64(c.Committed)
	if per == perSecond {
		div = float64(c.SimTime) / float64(time.Second)
	}
	if div > 0 {
		f.Messages = float64(c.Messages) / div
		f.Bytes = float64(c.Bytes) / div
	}
	if c.Saves > 0 {
		f.BytesPerSave = float64(c.PersistedBytes) / float64(c.Saves)
	}
	return f
}

// CostReport compares an implementation's cost of a stage with the
// reference's for the same scenarios (the cost attribute's JSON).
type CostReport struct {
	Stage Stage `json:"stage"`
	// Scenarios are those compared: the ones that passed and have
	// reference figures. Missing counts the other scenarios that ran.
	Scenarios []string `json:"scenarios"`
	Missing   int      `json:"missing,omitempty"`
	// DefaultSeeds is false when the run's seeds were not the default
	// ones the reference's figures are for (-seed, -seeds, a salt): the
	// rates are still comparable, the totals are not.
	DefaultSeeds   bool    `json:"default_seeds"`
	Implementation Cost    `json:"implementation"`
	Reference      Cost    `json:"reference"`
	Impl           Figures `json:"implementation_figures"`
	Ref            Figures `json:"reference_figures"`
	// Time is how the stage's time was measured.
	Time stageTime `json:"time"`
	// Ratio is each figure of Impl over Reference's (0 where the
	// reference's is 0).
	Ratio Figures `json:"ratio"`
	// Warnings say which figures are more than costFactor times the
	// reference's, each with its likely cause.
	Warnings []string `json:"warnings,omitempty"`
}

// compareCost compares impl's cost of a stage with ref's for the same
// scenarios.
func compareCost(stage Stage, scenarios []string, missing int, defaultSeeds bool, impl, ref Cost, clock stageTime, tracing bool) *CostReport {
	per := perEntry
	if ref.Committed == 0 {
		per = perSecond
	}
	r := &CostReport{Stage: stage, Scenarios: scenarios, Missing: missing, DefaultSeeds: defaultSeeds,
		Implementation: impl, Reference: ref, Impl: impl.figures(per), Ref: ref.figures(per), Time: clock}
	ratio := func(a, b float64) float64 {
		if b <= 0 {
			return 0
		}
		return a / b
	}
	r.Ratio = Figures{Per: per,
		Messages:     ratio(r.Impl.Messages, r.Ref.Messages),
		Bytes:        ratio(r.Impl.Bytes, r.Ref.Bytes),
		BytesPerSave: ratio(r.Impl.BytesPerSave, r.Ref.BytesPerSave),
		TimeUnits:    ratio(r.Impl.TimeUnits, r.Ref.TimeUnits),
	}
	// Tracing (-traces) slows every run down: the reference's time is
	// without it, so the time is not compared then.
	if !tracing && r.Ratio.TimeUnits > costFactor && time.Duration(r.Impl.TimeUnits*float64(clock.Unit)) >= costFloorTime {
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"%s is %.0f× the reference's (measured against this machine's speed): does a turn do work that grows with the log, such as encoding the whole log with encoding/gob on every Save, copying the log in Inspect or InspectLog, or searching the log from the start for every message?",
			clock.What, r.Ratio.TimeUnits))
	}
	if r.Ratio.Messages > costFactor {
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"messages per %s are %.0f× the reference's: does the leader send on every tick instead of a heartbeat every ~100 ms, answer every reply (or every duplicate) with a new request, or send each new entry again on every Start instead of once from nextIndex?",
			per, r.Ratio.Messages))
	}
	if r.Ratio.Bytes > costFactor {
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"bytes sent per %s are %.0f× the reference's: does the leader send the whole log (or everything after the follower's matchIndex, again and again) instead of the entries from nextIndex on, or resend the snapshot to a follower that has it?",
			per, r.Ratio.Bytes))
	}
	if r.Ratio.BytesPerSave > costFactor && r.Impl.BytesPerSave >= costFloorBytesPerSave {
		r.Warnings = append(r.Warnings, fmt.Sprintf(
			"persisted bytes per save are %.0f× the reference's (%.0f bytes against %.0f): does Save write more than currentTerm, votedFor and the log after the snapshot (the snapshot inside the state, entries the snapshot covers, the log twice), or encode it verbosely with encoding/gob or JSON?",
			r.Ratio.BytesPerSave, r.Impl.BytesPerSave, r.Ref.BytesPerSave))
	}
	return r
}

// Line is the cost line RunStage prints.
func (r *CostReport) Line() string {
	if len(r.Scenarios) == 0 {
		return fmt.Sprintf("cost: no scenario of the %s stage both passed and has the reference's figures to compare with", r.Stage)
	}
	x := func(v float64) string {
		if v == 0 {
			return "–"
		}
		return fmt.Sprintf("%.1f×", v)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "cost against the reference, over %d scenario(s) and %d run(s): %s %s (%s, measured against this machine's speed); per %s %.1f messages (%s) and %s sent (%s); %s persisted per save (%s)",
		len(r.Scenarios), r.Implementation.Runs, r.Time.What, time.Duration(r.Impl.TimeUnits*float64(r.Time.Unit)).Round(time.Millisecond), x(r.Ratio.TimeUnits),
		r.Impl.Per, r.Impl.Messages, x(r.Ratio.Messages), fmtBytes(r.Impl.Bytes), x(r.Ratio.Bytes),
		fmtBytes(r.Impl.BytesPerSave), x(r.Ratio.BytesPerSave))
	if r.Missing > 0 {
		fmt.Fprintf(&b, "; %d other scenario(s) failed or have no reference figures", r.Missing)
	}
	if !r.DefaultSeeds {
		b.WriteString("; the reference's figures are for the default seeds, not this run's")
	}
	for _, w := range r.Warnings {
		b.WriteString("\ncost warning: " + w)
	}
	return b.String()
}

// JSON is the report as the cost attribute's value: one line.
func (r *CostReport) JSON() string {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Sprintf(`{"error":%q}`, err.Error())
	}
	return string(b)
}

func fmtBytes(v float64) string {
	switch {
	case v >= 10*1024*1024:
		return fmt.Sprintf("%.0f MB", v/(1024*1024))
	case v >= 10*1024:
		return fmt.Sprintf("%.0f KB", v/1024)
	}
	return fmt.Sprintf("%.0f bytes", v)
}

// costMeter collects the cost of each scenario of a stage as its subtest
// finishes (subtests run in parallel), and the stage's time.
type costMeter struct {
	start stageMark
	mu    sync.Mutex
	costs map[string]Cost // by scenario, of those that passed
	// failed counts the scenarios that failed, and failedWall is their
	// runs' wall time, for dividing the stage's time.
	failed     int
	failedWall time.Duration
}

// newCostMeter starts measuring the stage's time: call it right before
// the scenarios start.
func newCostMeter() *costMeter { return &costMeter{start: markStage(), costs: map[string]Cost{}} }

func (m *costMeter) passed(scenario string, c Cost) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.costs[scenario] = c
}

// empty reports whether no scenario has finished.
func (m *costMeter) empty() bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.costs) == 0 && m.failed == 0
}

func (m *costMeter) fail(c Cost) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.failed++
	m.failedWall += c.Wall
}

// report compares what the meter collected with the reference's
// baseline of the stage: call it once every scenario has finished.
func (m *costMeter) report(stage Stage, defaultSeeds, tracing bool) *CostReport {
	m.mu.Lock()
	defer m.mu.Unlock()
	clock, units := m.start.elapsed()
	ref := baselineOf(stage)
	var names []string
	var impl, refSum Cost
	missing, allWall := m.failed, m.failedWall
	for name, c := range m.costs {
		allWall += c.Wall
		rc, ok := ref[name]
		if !ok {
			missing++
			continue
		}
		names = append(names, name)
		impl, refSum = impl.Plus(c), refSum.Plus(rc)
	}
	// The stage's time, divided among its scenarios by their runs' wall
	// time: the compared scenarios get their share.
	if allWall > 0 {
		impl.Units = units * float64(impl.Wall) / float64(allWall)
	}
	slices.Sort(names)
	return compareCost(stage, names, missing, defaultSeeds, impl, refSum, clock, tracing)
}

// baselineOf returns the reference's cost of each scenario of the stage,
// for its default seeds (labs/baseline.go).
func baselineOf(stage Stage) map[string]Cost {
	out := map[string]Cost{}
	for _, b := range referenceBaseline() {
		if b.Stage == stage {
			out[b.Scenario] = b.cost()
		}
	}
	return out
}

// BaselineEntry is the reference's cost of one scenario over its default
// seeds, as labs/baseline.go records it.
type BaselineEntry struct {
	Stage          Stage
	Scenario       string
	Runs           int
	Committed      int64
	SimTime        int64
	Messages       int64
	Bytes          int64
	Saves          int64
	PersistedBytes int64
	// Units is the scenario's share of its stage's CPU time in
	// calibration units (see stageClock), measured when the baseline
	// was generated: unlike the counts, it differs a little from run to
	// run and from machine to machine.
	Units float64
}

func (b BaselineEntry) cost() Cost {
	return Cost{Runs: b.Runs, Committed: b.Committed, SimTime: b.SimTime, Messages: b.Messages, Bytes: b.Bytes,
		Saves: b.Saves, PersistedBytes: b.PersistedBytes, Units: b.Units}
}

// The stage's time. Time depends on the machine and on what else runs on
// it (up to eight test processes share two cores here), so it cannot be
// compared with a number measured elsewhere as it is. Two corrections
// make it comparable:
//
//   - Where the process's CPU time can be read (getrusage, on Unix), the
//     stage's time is the CPU time the process spends from the start of
//     its scenarios to the end of the last one: other processes' load
//     does not count, where wall time would grow with it. Elsewhere
//     (Windows, js/wasm) it is wall time, and a busy machine shows.
//   - That time is counted in units of a calibration run: a fixed
//     simulator run whose nodes do almost nothing (each pings the next
//     one every tick), repeated after the stage until it has used
//     calibrationBudget. Most of a correct implementation's run is the
//     simulator's own work (queueing, encoding messages, checking
//     invariants), which the calibration repeats, so a slower machine
//     makes both slower alike and the ratio stays put; what raises it is
//     time spent in the implementation's turns.
//
// The ratio still varies with how a machine suits the two kinds of work,
// and some with load (caches, other threads of this process): which is
// why the warning needs ten times the reference's, and a second at least,
// before it speaks, far beyond that noise. The stage's time is divided
// among its scenarios by their runs' wall time, so that a run of some of
// them (go test -run) is compared with the reference's share for the same
// ones.

// stageTime says how a stage's time was measured.
type stageTime struct {
	What string        `json:"what"` // "CPU time" or "wall time"
	Unit time.Duration `json:"unit_ns"`
}

// stageMark is the start of a stage's measurement.
type stageMark struct {
	cpu  time.Duration
	wall time.Time
	ok   bool // cpu was read
}

func markStage() stageMark {
	cpu, ok := processCPU()
	return stageMark{cpu: cpu, wall: time.Now(), ok: ok}
}

// elapsed returns how the time since the mark was measured and how many
// calibration units it is. It runs the calibration.
func (m stageMark) elapsed() (stageTime, float64) {
	var spent time.Duration
	clock := stageTime{What: "wall time"}
	if now, ok := processCPU(); m.ok && ok {
		spent, clock.What = now-m.cpu, "CPU time"
	} else {
		spent = time.Since(m.wall)
	}
	clock.Unit = calibrationUnit(clock.What == "CPU time")
	if clock.Unit <= 0 {
		return clock, 0
	}
	return clock, float64(spent) / float64(clock.Unit)
}

// calibrationBudget is how much time the calibration spends: long enough
// that a scheduler's time slice or a GC cycle is a small part of it.
const calibrationBudget = 100 * time.Millisecond

// calibrationNodes and calibrationTime size one calibration run: about a
// millisecond on a laptop, a few thousand events.
const (
	calibrationNodes = 5
	calibrationTime  = 2 * time.Second
)

// calibrationUnit repeats the calibration run until it has spent
// calibrationBudget (at least three runs) and returns the time of one,
// as CPU time if cpu is set, else as wall time.
func calibrationUnit(cpu bool) time.Duration {
	now := func() time.Duration {
		if cpu {
			if t, ok := processCPU(); ok {
				return t
			}
		}
		return time.Duration(time.Now().UnixNano())
	}
	start := now()
	runs := 0
	for runs < 3 || now()-start < calibrationBudget {
		sim.Run(sim.Config{Nodes: calibrationNodes, Factory: pingerFactory, Seed: 1, Implementation: "calibration"},
			func(c *sim.Cluster) { c.RunFor(calibrationTime) })
		runs++
	}
	return (now() - start) / time.Duration(runs)
}

// pinger is the calibration's node: it sends the next node a RequestVote
// every tick and refuses every vote. It is not Raft, and needs none of
// the checkers' attention: its term stays 0 and its log empty.
type pinger struct {
	me, peers int
	env       raftapi.Env
}

func pingerFactory(me, peers int, env raftapi.Env) raftapi.Node {
	return &pinger{me: me, peers: peers, env: env}
}

func (p *pinger) Tick() {
	p.env.SendRequestVote((p.me+1)%p.peers, &raftapi.RequestVoteArgs{CandidateID: p.me}, func(*raftapi.RequestVoteReply) {})
}
func (*pinger) RequestVote(int, *raftapi.RequestVoteArgs, *raftapi.RequestVoteReply)             {}
func (*pinger) AppendEntries(int, *raftapi.AppendEntriesArgs, *raftapi.AppendEntriesReply)       {}
func (*pinger) InstallSnapshot(int, *raftapi.InstallSnapshotArgs, *raftapi.InstallSnapshotReply) {}
func (*pinger) Start([]byte) (int, int, bool)                                                    { return -1, 0, false }
func (*pinger) GetState() (int, bool)                                                            { return 0, false }
func (*pinger) Snapshot(int, []byte)                                                             {}
func (*pinger) Inspect() raftapi.NodeState                                                       { return raftapi.NodeState{VotedFor: raftapi.None} }
func (*pinger) InspectLog() raftapi.LogView                                                      { return raftapi.LogView{FirstIndex: 1} }
