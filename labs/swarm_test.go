package labs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/sim"
)

// TestSwarmConfigureDrawsPerSeed checks that the world a seed draws is a
// function of the seed alone, that the draws cover every value, and that
// only the snapshot stage snapshots.
func TestSwarmConfigureDrawsPerSeed(t *testing.T) {
	nodes := map[int]bool{}
	every := map[int]bool{}
	lockstep := map[bool]bool{}
	for seed := uint64(1); seed <= 200; seed++ {
		var a, b sim.Config
		swarmConfigure(Snapshots, &a, seed)
		swarmConfigure(Snapshots, &b, seed)
		require.Equal(t, a, b, "seed %d draws the same world twice", seed)
		nodes[a.Nodes] = true
		every[a.SnapshotEvery] = true
		lockstep[a.LockstepTicks] = true
		assert.LessOrEqual(t, a.ClockSkew, 0.2)

		var e sim.Config
		swarmConfigure(Replication, &e, seed)
		assert.Zero(t, e.SnapshotEvery, "seed %d: the replication stage does not snapshot", seed)
	}
	assert.Equal(t, map[int]bool{3: true, 5: true, 7: true}, nodes)
	assert.Equal(t, map[int]bool{3: true, 10: true, 25: true}, every)
	assert.Len(t, lockstep, 2)
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
