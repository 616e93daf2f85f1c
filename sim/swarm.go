package sim

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/raftlab/raftlab/props"
)

// Defaults of a Swarm, in simulated time.
const (
	// SwarmDuration is how long the nemesis runs when Swarm.Duration is
	// zero.
	SwarmDuration = 20 * time.Second
	// SwarmFirstLeader is how long a freshly booted cluster has to elect
	// its first leader when SwarmBounds.FirstLeader is zero.
	SwarmFirstLeader = 10 * time.Second
	// SwarmElect and SwarmCommit are the liveness bounds once the faults
	// stop, when SwarmBounds.Elect or SwarmBounds.Commit is zero.
	SwarmElect  = 10 * time.Second
	SwarmCommit = 10 * time.Second
)

// streamSwarm is the seed stream a Swarm draws its plan from. The plan is
// drawn before the cluster exists (it decides the cluster's size), so it
// cannot use the scenario's stream; a stream of its own keeps it apart from
// every stream of the run itself.
const streamSwarm = 5

// Sub-streams of streamSwarm, one per parameter: turning one option on or
// off (fixing the size, allowing snapshots) leaves every other draw of a
// seed as it was.
const (
	swarmDrawNodes = iota
	swarmDrawClocks
	swarmDrawSnapshots
	swarmDrawNemesis
	swarmDrawLiveness
)

// swarmNodes are the cluster sizes a Swarm draws from, uniformly, when
// Swarm.Nodes is zero: 3 and 5 nodes more often than 7, since a fault
// takes a larger share of a small cluster (one crash leaves 3 nodes
// without a spare), and a 7-node run costs the most.
var swarmNodes = [...]int{3, 3, 3, 5, 5, 5, 5, 7}

// Liveness says what a swarm run demands once the faults stop.
type Liveness int

const (
	// LivenessDrawn draws, per seed, one of the two phases below with
	// equal odds (it is the zero value: the default).
	LivenessDrawn Liveness = iota
	// LivenessHealAll ends every fault (Cluster.Quiesce): every node must
	// catch up.
	LivenessHealAll
	// LivenessCore heals only a core of a majority of the nodes
	// (Cluster.QuiesceCore): the core must converge while the other nodes
	// stay crashed or cut off. This is TigerBeetle VOPR's "core
	// convergence": Raft promises progress to any connected majority, not
	// only to a whole healthy cluster.
	LivenessCore
)

var livenessNames = [...]string{"drawn", "all", "core"}

func (l Liveness) String() string {
	if l < 0 || int(l) >= len(livenessNames) {
		return fmt.Sprintf("Liveness(%d)", int(l))
	}
	return livenessNames[l]
}

// ParseLiveness reads a Liveness from its String form.
func ParseLiveness(s string) (Liveness, error) {
	for i, n := range livenessNames {
		if s == n {
			return Liveness(i), nil
		}
	}
	return 0, fmt.Errorf("unknown liveness phase %q (want %s)", s, strings.Join(livenessNames[:], ", "))
}

// SwarmBounds are a swarm run's bounds in simulated time; a zero field
// takes its default (SwarmFirstLeader, SwarmElect, SwarmCommit).
type SwarmBounds struct {
	FirstLeader time.Duration // the first leader after boot
	Elect       time.Duration // a leader once the faults stop
	Commit      time.Duration // then a fresh command applied on every (core) node
}

// Swarm is the one plan of a swarm test: boot a world drawn from the seed,
// wait for a first leader, let the nemesis loose with a fault mix drawn
// from the seed while a client offers commands, stop the faults (for every
// node, or for a core majority), and check liveness. Every safety checker
// runs throughout. The lab stages, the soak and cmd/raftsim all use it; the
// fields are what differs between them. The zero value of each field but
// Faults means the default noted beside it.
type Swarm struct {
	// Faults are the faults the nemesis may draw from (sim.DrawMix); a
	// seed whose draw turns none on draws again, unless Faults is empty.
	Faults Faults
	// Nodes fixes the cluster size; 0 draws it from {3, 5, 7}: 3 with
	// odds 3/8, 5 with 1/2, 7 with 1/8.
	Nodes int
	// Clocks draws, per seed, a clock skew from {0, 5%, 10%, 20%} and
	// lockstep ticks with odds 1/4; off, clocks do not skew and ticks
	// start at random phases.
	Clocks bool
	// SnapshotEvery lists the snapshot periods a seed draws from (the
	// service snapshots every that many applied commands); nil: never.
	SnapshotEvery []int
	// Duration is how long the nemesis runs (default SwarmDuration).
	Duration time.Duration
	// MaxCommands caps the nemesis's run at about this many client
	// commands (Duration is cut to MaxCommands × the drawn client gap):
	// a run's cost grows with the square of its log, since an
	// implementation typically saves the whole log at every change. 0: no
	// cap.
	MaxCommands int
	// NoClient runs the nemesis without its client: no commands are
	// offered while the faults run.
	NoClient bool
	// Liveness chooses the phase after the faults (default LivenessDrawn).
	Liveness Liveness
	// Bounds are the run's bounds (zero fields: defaults).
	Bounds SwarmBounds
	// Check is the liveness check once the faults stop; core is the
	// nodes healed (every node in the heal-all phase). nil:
	// Cluster.CheckCoreLiveness with Bounds.Elect and Bounds.Commit.
	Check func(c *Cluster, core []int)
}

// SwarmDraw is what a seed decides about one swarm run before it starts.
type SwarmDraw struct {
	Seed          uint64
	Nodes         int
	ClockSkew     float64 // 0: no skew
	LockstepTicks bool
	SnapshotEvery int // 0: no snapshots
	Nemesis       Mix // the faults injected and how hard
	// Duration is how long the nemesis runs (Swarm.Duration, cut by
	// Swarm.MaxCommands).
	Duration time.Duration
	// Core lists the nodes healed after the faults, in increasing order:
	// a majority but not every node. nil: every node is healed.
	Core []int
}

func (d SwarmDraw) String() string {
	s := fmt.Sprintf("%d nodes", d.Nodes)
	if d.ClockSkew > 0 {
		s += fmt.Sprintf(", clock skew ±%.0f%%", 100*d.ClockSkew)
	}
	if d.LockstepTicks {
		s += ", lockstep ticks"
	}
	if d.SnapshotEvery > 0 {
		s += fmt.Sprintf(", a snapshot every %d commands", d.SnapshotEvery)
	}
	s += fmt.Sprintf("; %s for %s; then ", d.Nemesis, d.Duration)
	if d.Core == nil {
		return s + "heal every node"
	}
	return s + fmt.Sprintf("heal the core %v only", d.Core)
}

// Configure sets the world of the draw in cfg: its seed, size, clocks and
// snapshots. The caller sets the rest (factory, names, replay command).
func (d SwarmDraw) Configure(cfg *Config) {
	cfg.Seed = d.Seed
	cfg.Nodes = d.Nodes
	cfg.ClockSkew = d.ClockSkew
	cfg.LockstepTicks = d.LockstepTicks
	cfg.SnapshotEvery = d.SnapshotEvery
}

// Draw draws the run of one seed: a pure function of the plan and the
// seed.
func (s Swarm) Draw(seed uint64) SwarmDraw {
	r := func(k uint64) func(n int) int { return newStream(seed, streamSwarm, k, 0).IntN }
	d := SwarmDraw{Seed: seed, Nodes: swarmNodes[r(swarmDrawNodes)(len(swarmNodes))]}
	if s.Nodes > 0 {
		d.Nodes = s.Nodes
	}
	if s.Clocks {
		clock := r(swarmDrawClocks)
		d.ClockSkew = []float64{0, 0.05, 0.1, 0.2}[clock(4)]
		d.LockstepTicks = clock(4) == 0
	}
	if len(s.SnapshotEvery) > 0 {
		d.SnapshotEvery = s.SnapshotEvery[r(swarmDrawSnapshots)(len(s.SnapshotEvery))]
	}
	nemesis := newStream(seed, streamSwarm, swarmDrawNemesis, 0)
	for {
		d.Nemesis = DrawMix(nemesis, s.Faults)
		// DrawMix turns each allowed fault on with odds 3/4; a draw with
		// none would test nothing.
		if d.Nemesis.Faults != (Faults{}) || s.Faults == (Faults{}) {
			break
		}
	}
	if s.NoClient {
		d.Nemesis.ClientGap = 0
	}
	d.Duration = s.Duration
	if d.Duration <= 0 {
		d.Duration = SwarmDuration
	}
	if s.MaxCommands > 0 && d.Nemesis.ClientGap > 0 {
		d.Duration = min(d.Duration, time.Duration(s.MaxCommands)*d.Nemesis.ClientGap)
	}
	live := newStream(seed, streamSwarm, swarmDrawLiveness, 0)
	core := s.Liveness == LivenessCore || s.Liveness == LivenessDrawn && live.IntN(2) == 0
	// A core leaves at least one node out; with fewer than three nodes no
	// majority does, and every node is healed.
	if quorum := d.Nodes/2 + 1; core && quorum < d.Nodes {
		size := quorum + live.IntN(d.Nodes-quorum)
		d.Core = live.Perm(d.Nodes)[:size]
		slices.Sort(d.Core)
	}
	return d
}

// Scenario returns the plan as a scenario. It draws from the cluster's
// seed, with the size fixed to the cluster's: run it on a Config set by
// the same seed's SwarmDraw.Configure.
func (s Swarm) Scenario() Scenario {
	return func(c *Cluster) {
		fixed := s
		fixed.Nodes = c.N()
		s.Run(c, fixed.Draw(c.Config().Seed))
	}
}

// Run runs one drawn swarm run on c.
func (s Swarm) Run(c *Cluster, d SwarmDraw) {
	b := s.Bounds.withDefaults()
	c.Note("swarm: %s", d)
	c.WaitLeader(b.FirstLeader)
	c.RunNemesis(d.Nemesis, d.Duration)
	core := d.Core
	if core == nil {
		c.Note("faults stop: the network heals and turns reliable, paused nodes resume, crashed nodes restart; expecting a leader within %s", b.Elect)
		c.Quiesce()
		core = make([]int, c.N())
		for i := range core {
			core[i] = i
		}
	} else {
		c.Note("faults stop for the core %v only: its links heal and turn reliable, its paused nodes resume, its crashed nodes restart; the other nodes stay crashed or cut off. Expecting the core to elect a leader within %s", core, b.Elect)
		c.QuiesceCore(core)
	}
	if s.Check != nil {
		s.Check(c, core)
		return
	}
	c.CheckCoreLiveness(core, b.Elect, b.Commit)
}

func (b SwarmBounds) withDefaults() SwarmBounds {
	if b.FirstLeader <= 0 {
		b.FirstLeader = SwarmFirstLeader
	}
	if b.Elect <= 0 {
		b.Elect = SwarmElect
	}
	if b.Commit <= 0 {
		b.Commit = SwarmCommit
	}
	return b
}

// QuiesceCore ends the faults for the core only: the links among the core
// heal, the network turns reliable, the core's paused nodes resume and its
// crashed nodes restart. Every other node keeps its state (crashed, paused
// or up) and is cut off from every node, both ways, so that the core is a
// connected majority that nobody else disturbs: what Raft needs for
// progress (§5.2, §5.3), and nothing more.
func (c *Cluster) QuiesceCore(core []int) {
	groups := [][]int{core}
	for i := range c.N() {
		if !slices.Contains(core, i) {
			groups = append(groups, []int{i})
		}
	}
	c.Partition(groups...)
	c.SetNetwork(Reliable())
	for _, i := range core {
		c.Resume(i)
		c.Restart(i)
	}
}

// WaitCoreLeader runs until a working leader exists among core and returns
// it; the run fails (liveness) after within. A nil core is every node
// (WaitLeader).
func (c *Cluster) WaitCoreLeader(core []int, within time.Duration) int {
	if core == nil || len(core) == c.N() {
		return c.WaitLeader(within)
	}
	deadline := c.Now() + within
	before := c.activity()
	l := -1
	if c.RunUntil(within, func() bool {
		var ok bool
		l, ok = c.Leader()
		return ok && slices.Contains(core, l)
	}) {
		return l
	}
	c.fail(&Failure{Kind: KindLiveness, Rule: props.LeaderElection.Name(), Paper: props.LeaderElection.Section(), Nodes: slices.Clone(core),
		Message: fmt.Sprintf("the core %v (a majority of %d nodes, connected both ways on a reliable network, with every other node crashed or cut off) did not elect a leader within %s of simulated time (by %s). Meanwhile %s. Raft must make progress whenever a majority can talk: check that followers time out (randomized, §5.2), that candidates win with a majority of the whole cluster's votes, and that a new leader sends heartbeats at once",
			core, c.N(), within, fmtTime(deadline), c.activity().since(before))})
	return -1
}

// CheckCoreLiveness is the liveness check after QuiesceCore (or Quiesce,
// with every node as the core): a leader among the core within electBound,
// then a fresh command applied on every core node within commitBound.
// Failures name the core.
func (c *Cluster) CheckCoreLiveness(core []int, electBound, commitBound time.Duration) {
	if core == nil || len(core) == c.N() {
		c.CheckLiveness(electBound, commitBound)
		return
	}
	c.WaitCoreLeader(core, electBound)
	cmd := fmt.Appendf(nil, "liveness@%d", c.Now())
	deadline := c.Now() + commitBound
	before := c.activity()
	offered, index := 0, -1
	onCore := func() bool {
		if index < 0 {
			return false
		}
		if _, got := c.Applied(index); string(got) != string(cmd) {
			return false
		}
		for _, i := range core {
			if c.LastApplied(i) < index {
				return false
			}
		}
		return true
	}
	for c.Now() < deadline && !onCore() {
		l, ok := c.Leader()
		if !ok || !slices.Contains(core, l) {
			c.RunFor(min(50*time.Millisecond, deadline-c.Now()))
			continue
		}
		if idx, _, isLeader := c.Start(l, cmd); isLeader {
			index, offered = idx, offered+1
		}
		c.RunUntil(min(2*time.Second, deadline-c.Now()), onCore)
	}
	if onCore() {
		return
	}
	var behind []int
	for _, i := range core {
		if index < 0 || c.LastApplied(i) < index {
			behind = append(behind, i)
		}
	}
	c.fail(&Failure{Kind: KindLiveness, Rule: props.Agreement.Name(), Paper: props.Agreement.Section(), Nodes: slices.Clone(core),
		Message: fmt.Sprintf("command %q was not applied on every node of the core %v (a majority of %d nodes, connected both ways on a reliable network, with every other node crashed or cut off) within %s of simulated time (by %s): it was offered to a core leader %d times, and core nodes %v had not applied it. Meanwhile %s. A leader must replicate each new entry to the followers it can reach, commit it once a majority store it (§5.3, §5.4.2) without waiting for the nodes it cannot reach, and every node must apply committed entries in order",
			clip(cmd), core, c.N(), commitBound, fmtTime(deadline), offered, behind, c.activity().since(before))})
}
