package rules_test

import (
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
)

// stuckVoter is the reference with a RequestVote handler that blocks until
// release is closed: a turn that never returns, for as long as the test
// wants.
type stuckVoter struct {
	raftapi.Node
	release <-chan struct{}
}

func (n stuckVoter) RequestVote(from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
	<-n.release
	n.Node.RequestVote(from, a, r)
}

func TestRunWatchedReportsAHang(t *testing.T) {
	const bound = 300 * time.Millisecond
	tests := []struct {
		name     string
		factory  func(release <-chan struct{}) raftapi.Factory
		wantWhat string
	}{
		{"a turn", func(release <-chan struct{}) raftapi.Factory {
			return func(me, peers int, env raftapi.Env) raftapi.Node {
				return stuckVoter{Node: raft.New(me, peers, env), release: release}
			}
		}, "RequestVote handler (message from node 1)"},
		{"the factory", func(release <-chan struct{}) raftapi.Factory {
			return func(me, peers int, env raftapi.Env) raftapi.Node {
				<-release
				return raft.New(me, peers, env)
			}
		}, "Factory"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			release := make(chan struct{})
			r := rules.NewRecorder("watched")
			rl := ruleByName(t, "RequestVote_Rule2_OneVotePerTerm")

			hang := rl.RunWatched(r, tt.factory(release), bound)

			require.NotNil(t, hang, "a call that never returns is reported")
			assert.Equal(t, 0, hang.Node)
			assert.Equal(t, tt.wantWhat, hang.What)
			assert.Equal(t, bound, hang.Bound)
			assert.Contains(t, hang.Error(), "did not return within 300ms of wall time")
			assert.Contains(t, hang.Error(), "Every call into a node must return promptly")

			// Freed, the abandoned goroutine runs on and may report, but
			// nothing reaches the detached TB any more.
			before := len(r.Messages())
			close(release)
			time.Sleep(50 * time.Millisecond)
			assert.Len(t, r.Messages(), before)
		})
	}
}

// A rule that finishes, passing or failing, is not a hang, however many
// turns it takes; its failures reach the TB as they do unwatched.
func TestRunWatchedPassesThroughFinishedRules(t *testing.T) {
	for _, rl := range rules.All() {
		r := rules.NewRecorder(rl.Name)
		hang := rl.RunWatched(r, raft.New, 0)
		assert.Nil(t, hang, rl.Name)
		assert.False(t, r.Failed(), "%s failed against the reference: %v", rl.Name, r.Messages())
	}

	rl := ruleByName(t, "RequestVote_Rule2_OneVotePerTerm")
	r := rules.NewRecorder(rl.Name)
	neverVotes := func(me, peers int, env raftapi.Env) raftapi.Node {
		return refuser{raft.New(me, peers, env)}
	}
	require.Nil(t, rl.RunWatched(r, neverVotes, 0))
	assert.True(t, r.Failed())
	assert.NotEmpty(t, r.Messages())
}

// refuser refuses every vote.
type refuser struct{ raftapi.Node }

func (n refuser) RequestVote(from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
	n.Node.RequestVote(from, a, r)
	r.VoteGranted = false
}

// A panic in the rule's own code (here: provoked by a node whose Inspect
// reports no nextIndex for a leader) fails the rule with where it
// happened, and does not take the test binary down.
func TestRunWatchedReportsARulePanic(t *testing.T) {
	rl := rules.Rule{Name: "Panics", Paper: "a rule", Run: func(t rules.TB, f raftapi.Factory) {
		var peers []int
		_ = peers[3]
	}}
	r := rules.NewRecorder(rl.Name)
	require.Nil(t, rl.RunWatched(r, raft.New, 0))
	require.True(t, r.Failed())
	require.Len(t, r.Messages(), 1)
	assert.Contains(t, r.Messages()[0], "a rule: the rule test itself panicked, at watch_reference_test.go:")
	assert.Contains(t, r.Messages()[0], "index out of range")
}

// goexitVoter is the reference with a RequestVote handler that calls
// runtime.Goexit, as t.FailNow in a student's helper would.
type goexitVoter struct{ raftapi.Node }

func (goexitVoter) RequestVote(int, *raftapi.RequestVoteArgs, *raftapi.RequestVoteReply) {
	runtime.Goexit()
}

// A call into the node that ends in runtime.Goexit unwinds the rule's
// goroutine as its FailNow would, but fails nothing: it must not pass.
func TestRunWatchedFailsAGoexitInTheNode(t *testing.T) {
	rl := ruleByName(t, "RequestVote_Rule2_OneVotePerTerm")
	r := rules.NewRecorder(rl.Name)
	f := func(me, peers int, env raftapi.Env) raftapi.Node { return goexitVoter{raft.New(me, peers, env)} }
	require.Nil(t, rl.RunWatched(r, f, 0))
	require.True(t, r.Failed(), "the rule passed")
	require.Len(t, r.Messages(), 1)
	assert.Contains(t, r.Messages()[0], rl.Paper+": ")
	assert.Contains(t, r.Messages()[0], "node 0's RequestVote handler (message from node 1) called runtime.Goexit")
}
