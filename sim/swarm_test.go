package sim_test

import (
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/sim"
)

var allFaults = sim.Faults{Partitions: true, Unreliable: true, Crashes: true, Pauses: true}

func TestSwarmDraw(t *testing.T) {
	tests := []struct {
		name  string
		plan  sim.Swarm
		check func(t *testing.T, d sim.SwarmDraw)
	}{
		{"defaults", sim.Swarm{Faults: allFaults}, func(t *testing.T, d sim.SwarmDraw) {
			assert.Contains(t, []int{3, 5, 7}, d.Nodes)
			assert.Zero(t, d.ClockSkew)
			assert.False(t, d.LockstepTicks)
			assert.Zero(t, d.SnapshotEvery)
			assert.Equal(t, sim.SwarmDuration, d.Duration)
			assert.NotEqual(t, sim.Faults{}, d.Nemesis.Faults, "a seed's nemesis injects something")
			assert.Positive(t, d.Nemesis.ClientGap)
		}},
		{"fixed size", sim.Swarm{Faults: allFaults, Nodes: 4}, func(t *testing.T, d sim.SwarmDraw) {
			assert.Equal(t, 4, d.Nodes)
		}},
		{"clocks and snapshots", sim.Swarm{Faults: allFaults, Clocks: true, SnapshotEvery: []int{7, 9}}, func(t *testing.T, d sim.SwarmDraw) {
			assert.Contains(t, []float64{0, 0.05, 0.1, 0.2}, d.ClockSkew)
			assert.Contains(t, []int{7, 9}, d.SnapshotEvery)
		}},
		{"no faults allowed", sim.Swarm{}, func(t *testing.T, d sim.SwarmDraw) {
			assert.Equal(t, sim.Faults{}, d.Nemesis.Faults)
		}},
		{"command cap", sim.Swarm{Faults: allFaults, MaxCommands: 100, Duration: time.Minute}, func(t *testing.T, d sim.SwarmDraw) {
			assert.Equal(t, min(time.Minute, 100*d.Nemesis.ClientGap), d.Duration)
		}},
		{"no client", sim.Swarm{Faults: allFaults, NoClient: true, MaxCommands: 100, Duration: 3 * time.Second}, func(t *testing.T, d sim.SwarmDraw) {
			assert.Zero(t, d.Nemesis.ClientGap)
			assert.Equal(t, 3*time.Second, d.Duration, "no client, nothing to cap")
			assert.Contains(t, d.String(), "no client")
		}},
		{"heal all", sim.Swarm{Faults: allFaults, Liveness: sim.LivenessHealAll}, func(t *testing.T, d sim.SwarmDraw) {
			assert.Nil(t, d.Core)
			assert.Contains(t, d.String(), "heal every node")
		}},
		{"core", sim.Swarm{Faults: allFaults, Liveness: sim.LivenessCore}, func(t *testing.T, d sim.SwarmDraw) {
			require.NotNil(t, d.Core)
			assert.Greater(t, 2*len(d.Core), d.Nodes, "the core is a majority")
			assert.Less(t, len(d.Core), d.Nodes, "the core leaves a node out")
			assert.True(t, slices.IsSorted(d.Core))
			assert.Len(t, slices.Compact(slices.Clone(d.Core)), len(d.Core))
			for _, i := range d.Core {
				assert.True(t, i >= 0 && i < d.Nodes)
			}
			assert.Contains(t, d.String(), "heal the core")
		}},
		{"no core below three nodes", sim.Swarm{Faults: allFaults, Liveness: sim.LivenessCore, Nodes: 2}, func(t *testing.T, d sim.SwarmDraw) {
			assert.Nil(t, d.Core)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(50) {
				d := tt.plan.Draw(seed)
				require.Equal(t, d, tt.plan.Draw(seed), "seed %d: a draw is a function of the seed", seed)
				assert.Equal(t, seed, d.Seed)
				tt.check(t, d)
			}
		})
	}
}

// TestSwarmDrawsAreIndependent: fixing one parameter leaves every other
// draw of a seed as it was, and the drawn phase covers both outcomes.
func TestSwarmDrawsAreIndependent(t *testing.T) {
	drawn := sim.Swarm{Faults: allFaults}
	cores := 0
	for seed := range uint64(200) {
		a := drawn.Draw(seed)
		fixed := drawn
		fixed.Nodes = a.Nodes
		fixed.SnapshotEvery = []int{10}
		b := fixed.Draw(seed)
		assert.Equal(t, a.Nemesis, b.Nemesis, "seed %d", seed)
		assert.Equal(t, a.Core, b.Core, "seed %d", seed)
		if a.Core != nil {
			cores++
		}
	}
	assert.Greater(t, cores, 50)
	assert.Less(t, cores, 150)
}

func TestParseLiveness(t *testing.T) {
	for _, l := range []sim.Liveness{sim.LivenessDrawn, sim.LivenessHealAll, sim.LivenessCore} {
		got, err := sim.ParseLiveness(l.String())
		require.NoError(t, err)
		assert.Equal(t, l, got)
	}
	_, err := sim.ParseLiveness("some")
	assert.ErrorContains(t, err, `unknown liveness phase "some"`)
}

func TestParseFaults(t *testing.T) {
	all := sim.Faults{Partitions: true, Unreliable: true, Crashes: true, Pauses: true}
	for _, tc := range []struct {
		in   string
		want sim.Faults
		err  string
	}{
		{in: "all", want: all},
		{in: "none", want: sim.Faults{}},
		{in: "", want: sim.Faults{}},
		{in: "crashes, pauses", want: sim.Faults{Crashes: true, Pauses: true}},
		{in: "partitions,unreliable", want: sim.Faults{Partitions: true, Unreliable: true}},
		{in: "crashes,fire", err: `unknown fault "fire"`},
	} {
		got, err := sim.ParseFaults(tc.in)
		if tc.err != "" {
			require.ErrorContains(t, err, tc.err, "%q", tc.in)
			continue
		}
		require.NoError(t, err, "%q", tc.in)
		assert.Equal(t, tc.want, got, "%q", tc.in)
	}
}
