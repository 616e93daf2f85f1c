package sim_test

import (
	"testing"
	"time"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/sim"
)

// steadyLoadWithFaults is the benchmark scenario of the foundation issue:
// 60 simulated seconds of a 5-node cluster under a steady client load
// (a command every 20 ms), on a lossy network, with partitions, crashes
// and pauses, snapshots every 100 commands, every checker on.
func steadyLoadWithFaults(b *testing.B, checks bool) {
	mix := sim.Mix{
		Faults:    sim.Faults{Partitions: true, Unreliable: true, Crashes: true, Pauses: true},
		Gap:       2 * time.Second,
		Net:       sim.Network{DropRate: 0.05, DupRate: 0.02, DelayMin: time.Millisecond, DelayMax: 10 * time.Millisecond},
		CrashAll:  0.1,
		Asymmetry: 0.2,
		ClientGap: 20 * time.Millisecond,
	}
	var events, committed int64
	var simTime time.Duration
	b.ReportAllocs()
	seed := uint64(0)
	for b.Loop() {
		seed++
		res := sim.Run(sim.Config{Nodes: 5, Factory: raft.New, Seed: seed, SnapshotEvery: 100, NoChecks: !checks}, func(c *sim.Cluster) {
			c.WaitLeader(5 * time.Second)
			c.RunNemesis(mix, 60*time.Second-c.Now())
		})
		if res.Failure != nil {
			b.Fatal(res.Failure)
		}
		events += res.Stats.Events
		committed += int64(res.Stats.Committed)
		simTime += res.End
	}
	wall := b.Elapsed()
	b.ReportMetric(float64(events)/wall.Seconds(), "events/s")
	b.ReportMetric(simTime.Seconds()/wall.Seconds(), "sim-s/wall-s")
	b.ReportMetric(float64(events)/float64(b.N), "events/run")
	b.ReportMetric(float64(committed)/float64(b.N), "commits/run")
}

func BenchmarkWorld60sFiveNodesFaultsChecked(b *testing.B)   { steadyLoadWithFaults(b, true) }
func BenchmarkWorld60sFiveNodesFaultsUnchecked(b *testing.B) { steadyLoadWithFaults(b, false) }
