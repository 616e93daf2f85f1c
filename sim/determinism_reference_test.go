package sim_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/trace"
)

// scenarioKinds covers every kind of scenario the world runs: scripted
// steps, each fault of the nemesis alone and all together, snapshots,
// skewed and lockstep clocks.
func scenarioKinds() []struct {
	name string
	cfg  sim.Config
	run  sim.Scenario
} {
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
	return []struct {
		name string
		cfg  sim.Config
		run  sim.Scenario
	}{
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

func TestSameSeedGivesAByteIdenticalTrace(t *testing.T) {
	for _, k := range scenarioKinds() {
		t.Run(k.name, func(t *testing.T) {
			cfg := k.cfg
			cfg.Nodes, cfg.Factory, cfg.Seed, cfg.Scenario, cfg.Implementation = 5, raft.New, 42, k.name, "reference"
			a, nd := sim.CheckDeterminism(cfg, k.run)
			require.Nil(t, a.Failure)
			require.Nil(t, nd)
			b := sim.Run(func() sim.Config { c := cfg; c.RecordTrace = true; return c }(), k.run)
			ja, err := trace.Marshal(a.Trace)
			require.NoError(t, err)
			jb, err := trace.Marshal(b.Trace)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(ja, jb), "two runs of seed 42 must give byte-identical traces")
			assert.Greater(t, len(a.Trace.Events), 100)

			// Recording the trace must not change the run.
			cfg.RecordTrace = false
			c := sim.Run(cfg, k.run)
			assert.Equal(t, a.Hash, c.Hash)

			// And another seed gives another run.
			cfg.Seed = 43
			d := sim.Run(cfg, k.run)
			assert.NotEqual(t, a.Hash, d.Hash)
		})
	}
}
