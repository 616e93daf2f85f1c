package sim_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/sim/simtest"
)

// TestCappedTraceKeepsStatesInPlace: a leader's progress-only states are
// numbered like every other state. A trace capped at exactly its length
// equals the uncapped one, and in a trace cut in half every state still
// sits after the event that precedes it in time (a progress state once
// took the head's length as its place, so late states showed up at the
// cut, before the note).
func TestCappedTraceKeepsStatesInPlace(t *testing.T) {
	sk := simtest.ScenarioKinds()[0]
	run := func(limit int) *sim.Result {
		cfg := sk.Config
		cfg.Nodes, cfg.Factory, cfg.Seed, cfg.RecordTrace, cfg.TraceLimit = 5, raft.New, 1, true, limit
		res := sim.Run(cfg, sk.Run)
		require.Nil(t, res.Failure)
		return res
	}
	full := run(0)
	n := len(full.Trace.Events)
	require.Greater(t, n, 100)
	progress := 0
	for _, st := range full.Trace.States {
		if len(st.NextIndex.Ints()) > 0 {
			progress++
		}
	}
	require.Positive(t, progress, "the scenario has leader states")
	assert.Equal(t, full.Trace.States, run(n).Trace.States, "capped at its own length, nothing moves")

	half := run(n / 2).Trace
	for _, st := range half.States {
		if st.Seq > 0 && st.Seq <= len(half.Events) {
			assert.GreaterOrEqual(t, st.T, half.Events[st.Seq-1].T, "state of node %d at seq %d comes before the event it follows", st.Node, st.Seq)
		}
	}
}
