package hidden

import (
	"fmt"
	"slices"
	"time"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// The bounds of the visible suites (labs/checks.go), in simulated time.
const (
	electionBound = 5 * time.Second  // a leader, once a majority can talk (MIT 6.5840's bound)
	agreeBound    = 10 * time.Second // one command applied everywhere it is expected
)

// skew is the clock skew of the skewed scenarios, on every seed (the
// visible swarms draw up to 20% on some seeds). At ±10% the course's
// suggested timing keeps working with a margin: a follower's shortest
// election timeout (20 ticks of the starter's range, or the paper's 15, of
// at least 9 ms) still outlasts a leader's heartbeat interval (10 ticks of
// at most 11 ms) plus the network's delay.
const skew = 0.1

// Scenarios returns the hidden scenarios of every stage, each marked
// Hidden and with its Stage set, in a fixed order.
func Scenarios() []labs.Scenario {
	var all []labs.Scenario
	for _, stage := range labs.Stages {
		all = append(all, ruleScenario(stage))
		if sc, ok := targetedScenario(stage); ok {
			all = append(all, sc)
		}
		if sc, ok := efficiencyScenario(stage); ok {
			all = append(all, sc)
		}
	}
	all = slices.Concat(all, electionScenarios(), replicationScenarios(), persistenceScenarios(), snapshotScenarios())
	slices.SortStableFunc(all, func(a, b labs.Scenario) int {
		return slices.Index(labs.Stages, a.Stage) - slices.Index(labs.Stages, b.Stage)
	})
	for i := range all {
		all[i].Hidden = true
	}
	return all
}

// configure builds a scenario's Configure from the options it changes.
func configure(opts ...func(*sim.Config)) func(*sim.Config, uint64) {
	return func(cfg *sim.Config, _ uint64) {
		for _, o := range opts {
			o(cfg)
		}
	}
}

func skewed(cfg *sim.Config)   { cfg.ClockSkew = skew }
func lockstep(cfg *sim.Config) { cfg.LockstepTicks = true }
func unreliable(cfg *sim.Config) {
	cfg.Network = sim.Unreliable()
}
func jittery(cfg *sim.Config) {
	cfg.Network = sim.Network{DelayMin: time.Millisecond, DelayMax: 27 * time.Millisecond}
}
func snapshotEvery(k int) func(*sim.Config) { return func(cfg *sim.Config) { cfg.SnapshotEvery = k } }

// ---- election ----

func electionScenarios() []labs.Scenario {
	return []labs.Scenario{
		{
			Name: "HiddenSevenSkewedReElection", Stage: labs.Election, Paper: "§5.2", Nodes: 7, Seeds: 4,
			Configure: configure(skewed),
			Run: func(c *sim.Cluster) {
				l := c.WaitLeader(electionBound)
				labs.CheckTermStable(c, l, 2*time.Second)
				for round := range 4 {
					c.Note("round %d: the leader %d leaves; the other six must elect a new one", round+1, l)
					c.Isolate(l)
					l2 := c.WaitLeader(electionBound)
					c.Note("the old leader %d rejoins; it must step down without disturbing leader %d", l, l2)
					c.Connect(l)
					c.RunFor(time.Second)
					l = c.WaitLeader(electionBound)
					labs.CheckTermStable(c, l, time.Second)
				}
			},
		},
		{
			Name: "HiddenLockstepElections", Stage: labs.Election, Paper: "§5.2", Nodes: 5, Seeds: 6,
			Configure: configure(lockstep),
			Run: func(c *sim.Cluster) {
				c.WaitLeader(electionBound)
				r := c.Rand()
				for range 8 {
					cut := r.Perm(5)[:2]
					c.Note("nodes %v leave; every node ticks on the same phase, so only randomized timeouts break ties", cut)
					for _, i := range cut {
						c.Isolate(i)
					}
					c.WaitLeader(electionBound)
					c.Heal()
				}
				c.Note("everyone is back: after the returning nodes' terms settle, the leader must stay")
				c.RunFor(2 * time.Second)
				labs.CheckTermStable(c, c.WaitLeader(electionBound), 2*time.Second)
			},
		},
		{
			Name: "HiddenMinorityNeverElects", Stage: labs.Election, Paper: "§5.2", Nodes: 5, Seeds: 4,
			Run: func(c *sim.Cluster) {
				c.WaitLeader(electionBound)
				r := c.Rand()
				for range 4 {
					perm := r.Perm(5)
					minority, majority := perm[:2], perm[2:]
					c.Note("partition %v | %v for 3s: the minority must not elect, the majority must", minority, majority)
					c.Partition(minority, majority)
					checkMinorityNeverElects(c, minority, 3*time.Second)
					c.WaitLeader(electionBound)
					c.Heal()
					c.RunFor(time.Second)
				}
				c.WaitLeader(electionBound)
			},
		},
	}
}

// checkMinorityNeverElects runs for d and fails the run as soon as a node
// of minority becomes leader of a term newer than any term the cluster had
// when it was cut off. (A leader cut off into the minority may go on
// believing it leads its old term: the paper allows that; it cannot commit.)
func checkMinorityNeverElects(c *sim.Cluster, minority []int, d time.Duration) {
	before := 0
	for i := range c.N() {
		before = max(before, c.State(i).Term)
	}
	bad := -1
	if c.RunUntil(d, func() bool {
		for _, i := range minority {
			if s := c.State(i); s.Role == raftapi.Leader && s.Term > before {
				bad = i
				return true
			}
		}
		return false
	}) {
		s := c.State(bad)
		c.Failf(props.NoLeaderWithoutMajority,
			"node %d became leader of term %d while it could reach only nodes %v of %d: a candidate needs votes from a majority of the whole cluster (%d), not of the nodes it can reach",
			bad, s.Term, minority, c.N(), c.N()/2+1)
	}
}

// ---- replication ----

func replicationScenarios() []labs.Scenario {
	return []labs.Scenario{
		{
			Name: "HiddenSevenAgreement", Stage: labs.Replication, Paper: "§5.3", Nodes: 7, Seeds: 4,
			Run: func(c *sim.Cluster) {
				next := commands("a")
				c.WaitLeader(electionBound)
				for want := 1; want <= 10; want++ {
					if got := c.Submit(next(), 7, agreeBound); got != want {
						c.Failf(props.StartIndex,
							"with no failures, command %d was committed at index %d: Start must return the index the new entry has in the leader's log (the log starts at index 1, with no no-op entries)", want, got)
					}
				}
				l := c.WaitLeader(electionBound)
				var away []int
				for k := 1; len(away) < 3; k++ {
					away = append(away, (l+k)%7)
				}
				c.Note("followers %v leave; the other four still form a majority of seven", away)
				for _, i := range away {
					c.Isolate(i)
				}
				for range 10 {
					c.Submit(next(), 4, agreeBound)
				}
				c.Note("followers %v return and must catch up", away)
				c.Heal()
				c.Submit(next(), 7, agreeBound)
			},
		},
		{
			Name: "HiddenSkewedRejoin", Stage: labs.Replication, Paper: "§5.3, §5.4.1", Nodes: 5, Seeds: 6,
			Configure: configure(skewed),
			Run: func(c *sim.Cluster) {
				next := commands("r")
				c.Submit(next(), 5, agreeBound)
				l1 := c.WaitLeader(electionBound)
				c.Note("leader %d is cut off and given three commands it can never commit", l1)
				c.Isolate(l1)
				for range 3 {
					c.Start(l1, next())
				}
				c.Submit(next(), 4, agreeBound)
				l2 := c.WaitLeader(electionBound)
				c.Note("leader %d is cut off and the old leader %d rejoins: its uncommitted entries must be replaced", l2, l1)
				c.Connect(l1)
				c.Isolate(l2) // after Connect(l1), which also mends l1's link to l2
				c.Submit(next(), 4, agreeBound)
				c.Note("everyone is back")
				c.Heal()
				c.Submit(next(), 5, agreeBound)
			},
		},
		{
			Name: "HiddenLockstepBackupSeven", Stage: labs.Replication, Paper: "§5.3", Nodes: 7, Seeds: 3,
			Configure: configure(lockstep),
			Run: func(c *sim.Cluster) {
				next := commands("b")
				c.Submit(next(), 7, agreeBound)
				l := c.WaitLeader(electionBound)
				minority := []int{l, (l + 1) % 7}
				var rest []int
				for i := range 7 {
					if !slices.Contains(minority, i) {
						rest = append(rest, i)
					}
				}
				c.Note("leader %d and follower %d are cut off with 50 commands that cannot commit", minority[0], minority[1])
				c.Partition(minority, rest)
				for range 50 {
					c.Start(l, next())
				}
				c.RunFor(500 * time.Millisecond)
				c.Note("the other five commit 50 commands of their own")
				for range 50 {
					c.Submit(next(), 5, agreeBound)
				}
				l2 := c.WaitLeader(electionBound)
				var keep []int
				for _, i := range rest {
					if i != l2 && len(keep) < 2 {
						keep = append(keep, i)
					}
				}
				group := slices.Concat(minority, keep)
				c.Note("nodes %v form a new majority: the two stale logs must be backed up past 50 divergent entries", group)
				c.Partition(group)
				c.Submit(next(), 4, agreeBound)
				for range 20 {
					c.Submit(next(), 4, agreeBound)
				}
				c.Heal()
				c.Submit(next(), 7, agreeBound)
			},
		},
		{
			Name: "HiddenUnreliableAgreement", Stage: labs.Replication, Paper: "§5.3", Nodes: 5, Seeds: 4,
			Configure: configure(unreliable),
			Run: func(c *sim.Cluster) {
				next := commands("u")
				for range 20 {
					if l, ok := c.Leader(); ok {
						for range 2 {
							c.Start(l, next()) // concurrent commands, never waited for
						}
					}
					c.Submit(next(), 5, agreeBound)
				}
			},
		},
	}
}

// commands returns a source of unique, short, readable commands.
func commands(prefix string) func() []byte {
	n := 0
	return func() []byte {
		n++
		return fmt.Appendf(nil, "%s%d", prefix, n)
	}
}

// ---- persistence ----

func persistenceScenarios() []labs.Scenario {
	return []labs.Scenario{
		{
			Name: "HiddenFigure8Lockstep", Stage: labs.Persistence, Paper: "§5.4.2, Figure 8", Nodes: 5, Seeds: 10,
			// The visible Figure8's spread of delays (1–27 ms), which lets
			// a leader's old-term entries reach a majority before its own
			// term's entry does: with tight delays the counting bug
			// (§5.4.2) rarely shows.
			Configure: configure(lockstep, jittery),
			Run:       func(c *sim.Cluster) { figure8(c, 1000) },
		},
		{
			Name: "HiddenRepeatedCrashAll", Stage: labs.Persistence, Paper: "Figure 2 (persistent state)", Nodes: 5, Seeds: 6,
			Run: func(c *sim.Cluster) {
				next := commands("p")
				r := c.Rand()
				for round := range 6 {
					for range 3 {
						c.Submit(next(), 5, agreeBound)
					}
					if l, ok := c.Leader(); ok {
						c.Start(l, next()) // may or may not commit before the crash
					}
					c.RunFor(time.Duration(r.IntN(20)) * time.Millisecond)
					c.Note("round %d: every node crashes at once", round+1)
					c.CrashAll()
					c.RunFor(time.Duration(r.IntN(500)) * time.Millisecond)
					c.RestartAll()
					c.Submit(next(), 5, agreeBound)
				}
			},
		},
		{
			Name: "HiddenSkewedChurn", Stage: labs.Persistence, Paper: "§5, Figure 2", Nodes: 5, Seeds: 4,
			Configure: configure(skewed),
			Run: func(c *sim.Cluster) {
				m := sim.DrawMix(c.Rand(), sim.Faults{Partitions: true, Unreliable: true, Crashes: true, Pauses: true})
				m.Crashes = true // the persistence stage's point
				c.RunNemesis(m, 10*time.Second)
				c.Note("faults stop: the cluster must elect and commit")
				c.Quiesce()
				c.CheckLiveness(electionBound, agreeBound)
			},
		},
	}
}

// figure8 is MIT 6.5840's Figure 8 test: rounds in which a command goes to
// whichever node leads, the leader often crashes soon after, and crashed
// nodes restart whenever fewer than a majority are up. At the end every
// node restarts and a new command must commit everywhere.
func figure8(c *sim.Cluster, rounds int) {
	next := commands("f")
	n := c.N()
	r := c.Rand()
	c.Submit(next(), 1, agreeBound)
	for range rounds {
		leader := -1
		for i := range n {
			if _, _, ok := c.Start(i, next()); ok {
				leader = i
			}
		}
		if r.IntN(1000) < 100 {
			c.RunFor(time.Duration(r.IntN(500)) * time.Millisecond)
		} else {
			c.RunFor(time.Duration(r.IntN(13)) * time.Millisecond)
		}
		if leader >= 0 {
			// Cut off first, as MIT's crash1 does: what the leader just
			// sent dies in flight, so the new entry stays on it alone.
			c.Isolate(leader)
			c.Crash(leader)
		}
		up := 0
		for i := range n {
			if c.Up(i) {
				up++
			}
		}
		if up < n/2+1 {
			s := r.IntN(n)
			if !c.Up(s) {
				c.Restart(s)
				c.Connect(s)
			}
		}
	}
	c.Note("every node restarts: a new command must commit everywhere")
	c.RestartAll()
	c.Heal()
	c.Submit(next(), n, agreeBound)
}

// ---- snapshots ----

func snapshotScenarios() []labs.Scenario {
	return []labs.Scenario{
		{
			Name: "HiddenSevenSnapshotCatchUp", Stage: labs.Snapshots, Paper: "§7, Figure 13", Nodes: 7, Seeds: 4,
			Configure: configure(snapshotEvery(7)),
			Run: func(c *sim.Cluster) {
				next := commands("s")
				c.Submit(next(), 7, agreeBound)
				r := c.Rand()
				for round := range 8 {
					l := c.WaitLeader(electionBound)
					victims := []int{(l + 1 + r.IntN(6)) % 7}
					if round%3 == 2 {
						victims[0] = l // sometimes the leader itself
					}
					for len(victims) < 2 {
						if v := r.IntN(7); v != victims[0] {
							victims = append(victims, v)
						}
					}
					c.Note("round %d: nodes %v crash while the others commit enough to compact past them", round+1, victims)
					for _, v := range victims {
						c.Crash(v)
					}
					for range 15 {
						c.Submit(next(), 5, agreeBound)
					}
					for _, v := range victims {
						c.Restart(v)
					}
					c.Submit(next(), 7, agreeBound)
				}
			},
		},
		{
			Name: "HiddenLockstepSnapshotCrashAll", Stage: labs.Snapshots, Paper: "§7, Figure 2 (persistent state)", Nodes: 3, Seeds: 6,
			Configure: configure(lockstep, snapshotEvery(3)),
			Run: func(c *sim.Cluster) {
				next := commands("k")
				r := c.Rand()
				for round := range 6 {
					for range 2 + r.IntN(6) {
						c.Submit(next(), 3, agreeBound)
					}
					c.Note("round %d: every node crashes at once, with snapshots saved", round+1)
					c.CrashAll()
					c.RunFor(time.Duration(r.IntN(300)) * time.Millisecond)
					c.RestartAll()
					c.Submit(next(), 3, agreeBound)
				}
			},
		},
		{
			Name: "HiddenSnapshotNemesis", Stage: labs.Snapshots, Paper: "§5, §7", Nodes: 5, Seeds: 4,
			Configure: configure(snapshotEvery(5)),
			Run: func(c *sim.Cluster) {
				m := sim.DrawMix(c.Rand(), sim.Faults{Partitions: true, Unreliable: true, Crashes: true, Pauses: true})
				m.Crashes = true // crashes are what make snapshots matter on restart
				c.RunNemesis(m, 10*time.Second)
				c.Note("faults stop: the cluster must elect and commit")
				c.Quiesce()
				c.CheckLiveness(electionBound, agreeBound)
			},
		},
	}
}
