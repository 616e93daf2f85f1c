package labs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/sim"
)

// TestSwarmConfigureDrawsPerSeed checks that the world a seed draws is a
// function of the seed alone, that the draws cover every value, that only
// the snapshot stage snapshots, and that both liveness phases come up.
func TestSwarmConfigureDrawsPerSeed(t *testing.T) {
	nodes := map[int]bool{}
	every := map[int]bool{}
	lockstep := map[bool]bool{}
	cores := 0
	for seed := uint64(1); seed <= 200; seed++ {
		var a, b sim.Config
		swarm(Snapshots)[0].Configure(&a, seed)
		swarm(Snapshots)[0].Configure(&b, seed)
		require.Equal(t, a, b, "seed %d draws the same world twice", seed)
		assert.Equal(t, seed, a.Seed)
		nodes[a.Nodes] = true
		every[a.SnapshotEvery] = true
		lockstep[a.LockstepTicks] = true
		assert.LessOrEqual(t, a.ClockSkew, 0.2)

		var e sim.Config
		swarm(Replication)[0].Configure(&e, seed)
		assert.Zero(t, e.SnapshotEvery, "seed %d: the replication stage does not snapshot", seed)

		d := swarmPlan(Persistence).Draw(seed)
		assert.LessOrEqual(t, d.Duration, swarmDuration)
		assert.LessOrEqual(t, d.Duration, swarmCommands*d.Nemesis.ClientGap, "seed %d: the client offers about %d commands at most", seed, swarmCommands)
		if d.Core != nil {
			cores++
		}
	}
	assert.Equal(t, map[int]bool{3: true, 5: true, 7: true}, nodes)
	assert.Equal(t, map[int]bool{3: true, 10: true, 25: true}, every)
	assert.Len(t, lockstep, 2)
	assert.Greater(t, cores, 50, "some seeds heal only a core majority")
	assert.Less(t, cores, 150, "some seeds heal every node")
}

// TestSwarmFaultsFitTheStage checks that crashes come only with the
// stage that makes state survive them.
func TestSwarmFaultsFitTheStage(t *testing.T) {
	for _, tc := range []struct {
		stage   Stage
		crashes bool
	}{{Election, false}, {Replication, false}, {Persistence, true}, {Snapshots, true}} {
		f := swarmFaults(tc.stage)
		assert.Equal(t, tc.crashes, f.Crashes, "%s", tc.stage)
		assert.True(t, f.Partitions && f.Unreliable && f.Pauses, "%s", tc.stage)
	}
}
