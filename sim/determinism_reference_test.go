package sim_test

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/sim/simtest"
	"github.com/raftlab/raftlab/trace"
)

func TestSameSeedGivesAByteIdenticalTrace(t *testing.T) {
	for _, k := range simtest.ScenarioKinds() {
		t.Run(k.Name, func(t *testing.T) {
			cfg := k.Config
			cfg.Nodes, cfg.Factory, cfg.Seed, cfg.Scenario, cfg.Implementation = 5, raft.New, 42, k.Name, "reference"
			a, nd := sim.CheckDeterminism(cfg, k.Run)
			require.Nil(t, a.Failure)
			require.Nil(t, nd)
			b := sim.Run(func() sim.Config { c := cfg; c.RecordTrace = true; return c }(), k.Run)
			ja, err := trace.Marshal(a.Trace)
			require.NoError(t, err)
			jb, err := trace.Marshal(b.Trace)
			require.NoError(t, err)
			assert.True(t, bytes.Equal(ja, jb), "two runs of seed 42 must give byte-identical traces")
			assert.Greater(t, len(a.Trace.Events), 100)

			// Recording the trace must not change the run.
			cfg.RecordTrace = false
			c := sim.Run(cfg, k.Run)
			assert.Equal(t, a.Hash, c.Hash)

			// And another seed gives another run.
			cfg.Seed = 43
			d := sim.Run(cfg, k.Run)
			assert.NotEqual(t, a.Hash, d.Hash)
		})
	}
}
