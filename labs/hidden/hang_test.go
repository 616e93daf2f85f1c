package hidden

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// stuckVoter is the reference with a RequestVote handler that waits until
// release is closed.
type stuckVoter struct {
	raftapi.Node
	release <-chan struct{}
}

func (n stuckVoter) RequestVote(from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
	<-n.release
	n.Node.RequestVote(from, a, r)
}

// A HiddenRules scenario whose rule test's node never returns is failed as
// a hang, naming the call, instead of waiting for the grader's wall-clock
// limit: the simulator's own watch sees only the cluster's hosts.
func TestHiddenRulesReportsAHang(t *testing.T) {
	release := make(chan struct{})
	defer close(release)
	var sc labs.Scenario
	for _, s := range Scenarios() {
		if s.Name == "HiddenRulesElection" {
			sc = s
		}
	}
	require.NotEmpty(t, sc.Name)
	configure := sc.Configure
	sc.Configure = func(c *sim.Config, seed uint64) {
		if configure != nil {
			configure(c, seed)
		}
		c.HangBound = 300 * time.Millisecond
	}
	stuck := func(me, peers int, env raftapi.Env) raftapi.Node {
		return stuckVoter{Node: raft.New(me, peers, env), release: release}
	}
	res := labs.Run{Impl: labs.Impl{Name: "stuck", Factory: stuck}, Scenario: sc, Seed: 1}.Execute()
	require.False(t, res.Passed)
	assert.Equal(t, sim.KindHang, res.Failure.Kind)
	assert.Equal(t, props.TurnsReturn.Name(), res.Failure.Rule)
	assert.Contains(t, res.Failure.Message, "node 0's RequestVote handler (message from node 1) did not return within 300ms")
}
