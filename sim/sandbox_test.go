package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/sim/simtest"
	"github.com/raftlab/raftlab/trace"
)

// TestSandboxViews checks the read-only views the browser sandbox draws:
// messages in flight with their send and arrival times, the recent
// events, each node's log, the agenda and the hash.
func TestSandboxViews(t *testing.T) {
	// Node 0 sends one RequestVote to node 1 at its first tick; every
	// node holds a two-entry log.
	setup := func(n *simtest.Toy) {
		n.AppendLog(1, "a")
		n.AppendLog(2, "b")
		n.OnTick = func(n *simtest.Toy) {
			if n.Me == 0 && n.Ticks == 1 {
				n.Env.SendRequestVote(1, &raftapi.RequestVoteArgs{Term: 2, CandidateID: 0, LastLogIndex: 2, LastLogTerm: 2}, nil)
			}
		}
	}
	var seen []sim.InFlight
	var recent []trace.Event
	var first, firstCrashed int
	var terms, termsCrashed []int
	var hashes []uint64
	res := sim.Run(sim.Config{Nodes: 3, Factory: simtest.ToyFactory(setup), Seed: 1, LockstepTicks: true, TimelineLen: 50,
		Network: sim.Network{DelayMin: 3 * time.Millisecond, DelayMax: 3 * time.Millisecond}}, func(c *sim.Cluster) {
		n, _ := c.Pending()
		assert.Equal(t, 3, n, "one first tick per node")
		hashes = append(hashes, c.Hash())
		c.RunFor(raftapi.TickInterval + time.Millisecond) // the first ticks, not the arrival
		seen = c.InFlight()
		recent = c.Recent()
		first, terms = c.Log(1)
		c.Crash(2)
		firstCrashed, termsCrashed = c.Log(2)
		hashes = append(hashes, c.Hash())
	})
	require.Nil(t, res.Failure)

	require.Len(t, seen, 1)
	m := seen[0]
	assert.Equal(t, 0, m.From)
	assert.Equal(t, 1, m.To)
	assert.Equal(t, raftapi.TickInterval, m.Sent, "sent at node 0's first tick")
	assert.Equal(t, raftapi.TickInterval+3*time.Millisecond, m.Arrive)
	assert.Equal(t, trace.MsgRequestVote, m.Message.Kind)
	assert.Equal(t, 2, m.Message.Term)
	assert.Contains(t, m.Summary, "RequestVote")

	var sends int
	for _, e := range recent {
		if e.Kind == trace.KindSend {
			sends++
		}
	}
	assert.Equal(t, 1, sends, "the recent events hold the send: %v", recent)

	assert.Equal(t, 1, first)
	assert.Equal(t, []int{1, 2}, terms)
	assert.Equal(t, 1, firstCrashed, "a crashed node's log is the one its last turn left")
	assert.Equal(t, []int{1, 2}, termsCrashed)
	assert.NotEqual(t, hashes[0], hashes[1], "the hash follows the run")
}
