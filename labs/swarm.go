package labs

import (
	"fmt"
	"math/rand/v2"
	"time"

	"github.com/raftlab/raftlab/sim"
)

// swarmConfigStream tells the PRNG of swarmConfigure apart from any other
// stream a seed feeds: the cluster, whose streams come from the seed too,
// does not exist yet when the configuration is drawn.
const swarmConfigStream = 0x5377_6172_6d43_6667 // "SwarmCfg"

// swarmCommands bounds how many commands the nemesis's client offers in
// one run, on average.
const swarmCommands = 1000

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
// fault mix fit for the stage.
func swarm(stage Stage) []Scenario {
	sc := Scenario{
		Name:      "Swarm",
		Nodes:     5, // drawn again per seed by Configure
		Seeds:     swarmSeeds(stage),
		Configure: func(cfg *sim.Config, seed uint64) { swarmConfigure(stage, cfg, seed) },
		Run:       func(c *sim.Cluster) { swarmRun(stage, c) },
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

// swarmConfigure draws the world of one seed: cluster size, clock skew,
// tick phase and, in the snapshot stage, how often the service snapshots.
// The draws come from a PRNG of their own seeded from the seed, so a
// seed replays exactly.
func swarmConfigure(stage Stage, cfg *sim.Config, seed uint64) {
	r := rand.New(rand.NewPCG(seed, swarmConfigStream))
	cfg.Nodes = []int{3, 3, 3, 5, 5, 5, 5, 7}[r.IntN(8)]
	// Tick intervals within ±20% leave a heartbeat interval well inside
	// the shortest election timeout for any sensible choice of both.
	cfg.ClockSkew = []float64{0, 0.05, 0.1, 0.2}[r.IntN(4)]
	cfg.LockstepTicks = r.IntN(4) == 0
	if stage == Snapshots {
		cfg.SnapshotEvery = []int{3, 10, 25}[r.IntN(3)]
	}
}

// swarmRun elects a leader, lets the nemesis loose with a fault mix drawn
// for this seed while a client offers commands, stops every fault, and
// checks liveness: a leader, and (from the replication stage on) a fresh
// command applied on every node. The safety checkers run throughout.
func swarmRun(stage Stage, c *sim.Cluster) {
	r := c.Rand()
	mix := sim.DrawMix(r, swarmFaults(stage))
	d := 10*time.Second + time.Duration(r.Int64N(int64(10*time.Second)))
	// A run's cost grows with the square of its log (an implementation
	// typically saves the whole log at every change), so a busy client
	// gets a shorter run: about swarmCommands commands in all.
	d = min(d, swarmCommands*mix.ClientGap)
	cfg := c.Config()
	world := fmt.Sprintf("%d nodes, clock skew ±%.0f%%, lockstep ticks %t", c.N(), 100*cfg.ClockSkew, cfg.LockstepTicks)
	if cfg.SnapshotEvery > 0 {
		world += fmt.Sprintf(", a snapshot every %d commands", cfg.SnapshotEvery)
	}
	c.Note("swarm: %s; faults for %s", world, d)
	c.WaitLeader(electionBound)
	c.RunNemesis(mix, d)
	c.Note("faults stop: the network heals and turns reliable, paused nodes resume, crashed nodes restart; expecting a leader within %s", electionBound)
	c.Quiesce()
	if stage == Election {
		// An election-stage node need not replicate, so commands offered
		// by the nemesis's client may never commit: ask only for a
		// leader, and then for one that heartbeats keep in place. A
		// candidate whose timeout fires just as another wins may still
		// start one more election, so the cluster gets a second to
		// settle before the term must hold still.
		c.WaitLeader(electionBound)
		c.RunFor(time.Second)
		CheckTermStable(c, c.WaitLeader(electionBound), 2*time.Second)
		return
	}
	c.CheckLiveness(electionBound, agreeBound)
}
