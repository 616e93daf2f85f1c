package sim_test

import (
	"testing"
	"time"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/sim"
)

func TestSmokeReference(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		cfg := sim.Config{Nodes: 5, Factory: raft.New, Seed: seed, Implementation: "reference", Scenario: "smoke"}
		res := sim.Run(cfg, func(c *sim.Cluster) {
			c.WaitLeader(5 * time.Second)
			for i := range 10 {
				c.Submit([]byte{byte(i)}, 5, 10*time.Second)
			}
			mix := sim.DrawMix(c.Rand(), sim.Faults{Partitions: true, Unreliable: true, Crashes: true, Pauses: true})
			c.RunNemesis(mix, 30*time.Second)
			c.Quiesce()
			c.CheckLiveness(10*time.Second, 10*time.Second)
		})
		if res.Failure != nil {
			t.Fatalf("seed %d: %v", seed, res.Failure)
		}
		t.Logf("seed %d: events %d rpcs %d committed %d wall %s", seed, res.Stats.Events, res.Stats.TotalRPCs(), res.Stats.Committed, res.Wall)
	}
}
