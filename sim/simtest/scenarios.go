package simtest

import (
	"time"

	"github.com/raftlab/raftlab/sim"
)

// ScenarioKind is one kind of scenario: a name, the configuration it
// needs (without Nodes, Factory or Seed, which the caller sets) and the
// scenario itself.
type ScenarioKind struct {
	Name   string
	Config sim.Config
	Run    sim.Scenario
}

// ScenarioKinds covers every kind of scenario the world runs: scripted
// steps, each fault of the nemesis alone and all together, snapshots,
// skewed and lockstep clocks. The scenarios expect 5 nodes of a working
// Raft; the configurations have no Factory because this package must not
// import the reference (it is in the handout): the callers set it.
func ScenarioKinds() []ScenarioKind {
	nemesis := func(f sim.Faults) sim.Scenario {
		return func(c *sim.Cluster) {
			c.WaitLeader(5 * time.Second)
			c.RunNemesis(sim.DrawMix(c.Rand(), f), 10*time.Second)
			c.Quiesce()
			c.CheckLiveness(10*time.Second, 10*time.Second)
		}
	}
	scripted := func(c *sim.Cluster) {
		l := c.WaitLeader(5 * time.Second)
		c.Submit([]byte("one"), 5, 5*time.Second)
		c.Isolate(l)
		c.WaitLeader(5 * time.Second)
		c.Submit([]byte("two"), 4, 5*time.Second)
		c.Crash((l + 1) % 5)
		c.Pause((l + 2) % 5)
		c.RunFor(time.Second)
		c.Quiesce()
		c.Submit([]byte("three"), 5, 10*time.Second)
	}
	all := sim.Faults{Partitions: true, Unreliable: true, Crashes: true, Pauses: true}
	return []ScenarioKind{
		{"scripted", sim.Config{}, scripted},
		{"partitions", sim.Config{}, nemesis(sim.Faults{Partitions: true})},
		{"unreliable", sim.Config{Network: sim.LongReordering()}, nemesis(sim.Faults{Unreliable: true})},
		{"crashes", sim.Config{}, nemesis(sim.Faults{Crashes: true})},
		{"pauses", sim.Config{}, nemesis(sim.Faults{Pauses: true})},
		{"everything with snapshots", sim.Config{SnapshotEvery: 10}, nemesis(all)},
		{"skewed clocks", sim.Config{ClockSkew: 0.2}, nemesis(all)},
		{"lockstep clocks", sim.Config{LockstepTicks: true}, nemesis(all)},
	}
}
