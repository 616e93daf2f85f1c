package labs

import (
	"time"

	"github.com/raftlab/raftlab/sim"
)

// swarmCommands bounds how many commands the nemesis's client offers in
// one run, on average.
const swarmCommands = 1000

// swarmDuration is how long the nemesis runs in a stage's swarm, before
// the cut to swarmCommands.
const swarmDuration = 15 * time.Second

// swarmSeeds is how many seeds a stage's swarm runs by default: each seed
// is a different fault mix, so more seeds explore more corners. A seed
// costs the reference about 10 ms of CPU in the first three stages, whose
// logs grow to a thousand entries, and about 5 ms with snapshots, which
// keep logs short: these counts keep each swarm well under a second.
func swarmSeeds(stage Stage) int {
	if stage == Snapshots {
		return 60
	}
	return 40
}

// swarm returns the stage's randomized swarm scenario: each seed draws a
// world and a fault mix fit for the stage (swarmPlan).
func swarm(stage Stage) []Scenario {
	plan := swarmPlan(stage)
	sc := Scenario{
		Name:      "Swarm",
		Nodes:     5, // drawn again per seed by Configure
		Seeds:     swarmSeeds(stage),
		Configure: func(cfg *sim.Config, seed uint64) { plan.Draw(seed).Configure(cfg) },
		Run:       plan.Scenario(),
	}
	switch stage {
	case Election:
		sc.Paper = "§5.2"
	case Replication:
		sc.Paper = "§5.2–§5.4"
	case Persistence:
		sc.Paper = "§5, Figure 2 (persistent state)"
	case Snapshots:
		sc.Paper = "§5, §7, Figure 13"
	default:
		return nil
	}
	return []Scenario{sc}
}

// swarmFaults is what the nemesis may do in a stage: no crashes before
// the stage that makes state survive them.
func swarmFaults(stage Stage) sim.Faults {
	f := sim.Faults{Partitions: true, Unreliable: true, Pauses: true}
	if stage == Persistence || stage == Snapshots {
		f.Crashes = true
	}
	return f
}

// swarmPlan is the stage's swarm: the simulator's one swarm plan, with the
// stage's faults, drawn clocks, snapshots in the snapshot stage, a client
// cut to about swarmCommands commands (none in the election stage), the labs' bounds, and per seed
// either every node or only a core majority healed at the end.
func swarmPlan(stage Stage) sim.Swarm {
	s := sim.Swarm{
		Faults:      swarmFaults(stage),
		Clocks:      true,
		Duration:    swarmDuration,
		MaxCommands: swarmCommands,
		Bounds:      sim.SwarmBounds{FirstLeader: electionBound, Elect: electionBound, Commit: agreeBound},
	}
	if stage == Snapshots {
		s.SnapshotEvery = []int{3, 10, 25}
	}
	if stage == Election {
		// The election stage's swarm exercises the election's rules only:
		// without a client nobody calls Start, so every log stays empty
		// (the contract has no no-op entry at the start of a term) and a
		// replication bug (a heartbeat that skips the consistency check, a
		// wrong commit rule) has nothing to break here. It is reported by
		// the replication stage, under its own rule, instead of costing
		// election points under a generic one.
		s.NoClient = true
		s.Check = electionLiveness
	}
	return s
}

// electionLiveness is the election stage's check once the faults stop. An
// election-stage node need not replicate (and the stage's swarm offers no
// commands): it asks only for a leader among the healed nodes, and then
// for one that heartbeats keep in place. A
// candidate whose timeout fires just as another wins may still start one
// more election, so the cluster gets a second to settle before the term
// must hold still.
func electionLiveness(c *sim.Cluster, core []int) {
	c.WaitCoreLeader(core, electionBound)
	c.RunFor(time.Second)
	CheckTermStable(c, c.WaitCoreLeader(core, electionBound), 2*time.Second)
}
