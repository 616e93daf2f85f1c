package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

// The receiver side of RequestVote (Figure 2, §5.2, §5.4.1).
func TestRequestVoteReceiver(t *testing.T) {
	// The receiver is in term 3 with last entry (index 3, term 2).
	tests := []struct {
		name      string
		votedFor  int
		args      raftapi.RequestVoteArgs
		grant     bool
		wantTerm  int
		wantVoted int
	}{
		{name: "older term", votedFor: raftapi.None,
			args:  raftapi.RequestVoteArgs{Term: 2, CandidateID: 1, LastLogIndex: 9, LastLogTerm: 2},
			grant: false, wantTerm: 3, wantVoted: raftapi.None},
		{name: "same log", votedFor: raftapi.None,
			args:  raftapi.RequestVoteArgs{Term: 3, CandidateID: 1, LastLogIndex: 3, LastLogTerm: 2},
			grant: true, wantTerm: 3, wantVoted: 1},
		{name: "shorter log, same last term", votedFor: raftapi.None,
			args:  raftapi.RequestVoteArgs{Term: 3, CandidateID: 1, LastLogIndex: 2, LastLogTerm: 2},
			grant: false, wantTerm: 3, wantVoted: raftapi.None},
		{name: "shorter log, later last term", votedFor: raftapi.None,
			args:  raftapi.RequestVoteArgs{Term: 4, CandidateID: 1, LastLogIndex: 1, LastLogTerm: 3},
			grant: true, wantTerm: 4, wantVoted: 1},
		{name: "longer log, earlier last term", votedFor: raftapi.None,
			args:  raftapi.RequestVoteArgs{Term: 4, CandidateID: 1, LastLogIndex: 9, LastLogTerm: 1},
			grant: false, wantTerm: 4, wantVoted: raftapi.None},
		{name: "already voted for another", votedFor: 2,
			args:  raftapi.RequestVoteArgs{Term: 3, CandidateID: 1, LastLogIndex: 3, LastLogTerm: 2},
			grant: false, wantTerm: 3, wantVoted: 2},
		{name: "already voted for this one", votedFor: 1,
			args:  raftapi.RequestVoteArgs{Term: 3, CandidateID: 1, LastLogIndex: 3, LastLogTerm: 2},
			grant: true, wantTerm: 3, wantVoted: 1},
		{name: "new term frees the vote", votedFor: 2,
			args:  raftapi.RequestVoteArgs{Term: 5, CandidateID: 1, LastLogIndex: 3, LastLogTerm: 2},
			grant: true, wantTerm: 5, wantVoted: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, e := newTestNode(t, 3, Options{})
			withLog(n, 0, 0, 1, 1, 2)
			n.term, n.votedFor = 3, tc.votedFor
			n.electionElapsed = 7
			var r raftapi.RequestVoteReply
			n.RequestVote(tc.args.CandidateID, &tc.args, &r)
			assert.Equal(t, tc.grant, r.VoteGranted)
			assert.Equal(t, tc.wantTerm, r.Term)
			assert.Equal(t, tc.wantTerm, n.term)
			assert.Equal(t, tc.wantVoted, n.votedFor)
			if tc.grant {
				assert.Zero(t, n.electionElapsed, "granting a vote resets the election timer")
			} else {
				assert.Equal(t, 7, n.electionElapsed)
			}
			// What was decided is saved.
			st, err := decodeState(e.p.state)
			if tc.wantTerm != 3 || tc.wantVoted != tc.votedFor {
				require.NoError(t, err)
				assert.Equal(t, tc.wantTerm, st.term)
				assert.Equal(t, tc.wantVoted, st.votedFor)
			}
		})
	}
}

// A follower campaigns after a random 20–39 ticks of silence (§5.2), and
// a candidate with a majority of votes leads; duplicated and stale votes
// count once or not at all.
func TestCandidateCampaignsAndCountsVotes(t *testing.T) {
	n, e := newTestNode(t, 5, Options{})
	ticks := 0
	for n.role == raftapi.Follower {
		n.Tick()
		ticks++
	}
	assert.GreaterOrEqual(t, ticks, electionTimeoutMin)
	assert.Less(t, ticks, electionTimeoutMax)
	assert.Equal(t, raftapi.Candidate, n.role)
	assert.Equal(t, 1, n.term)
	assert.Equal(t, 0, n.votedFor)
	rv := take(e)
	require.Len(t, rv, 4)
	assert.Equal(t, raftapi.RequestVoteArgs{Term: 1, CandidateID: 0}, *rv[0].rv)

	rv[0].rvOK(&raftapi.RequestVoteReply{Term: 1, VoteGranted: true})
	rv[0].rvOK(&raftapi.RequestVoteReply{Term: 1, VoteGranted: true})
	rv[1].rvOK(&raftapi.RequestVoteReply{Term: 1, VoteGranted: false})
	assert.Equal(t, raftapi.Candidate, n.role, "a duplicated vote counts once")
	rv[2].rvOK(&raftapi.RequestVoteReply{Term: 1, VoteGranted: true})
	assert.Equal(t, raftapi.Leader, n.role)
	assert.Len(t, take(e), 4, "the new leader probes every follower at once")
	assert.Equal(t, 0, n.log.lastIndex(), "no no-op entry")

	// A higher term in a late vote reply deposes the leader.
	rv[3].rvOK(&raftapi.RequestVoteReply{Term: 2})
	assert.Equal(t, raftapi.Follower, n.role)
	assert.Equal(t, 2, n.term)
}

// A candidate that hears from a leader of its term steps down (§5.2).
func TestCandidateStepsDown(t *testing.T) {
	n, e := newTestNode(t, 3, Options{})
	n.campaign(false)
	n.finish()
	take(e)
	var r raftapi.AppendEntriesReply
	n.AppendEntries(2, &raftapi.AppendEntriesArgs{Term: 1, LeaderID: 2}, &r)
	assert.True(t, r.Success)
	assert.Equal(t, raftapi.Follower, n.role)
	assert.Equal(t, 0, n.votedFor, "the vote of the term stays")
	assert.Equal(t, 2, n.leader)
}

// PreVote (thesis §9.6), candidate's side: no term increment until a
// majority would vote.
func TestPreVoteCandidate(t *testing.T) {
	n, e := newTestNode(t, 3, Options{PreVote: true})
	n.term = 4
	for n.electionElapsed < n.electionTimeout-1 {
		n.Tick()
	}
	n.Tick()
	assert.Equal(t, 4, n.term, "a pre-vote does not change the term")
	assert.Equal(t, raftapi.Follower, n.role)
	assert.True(t, n.preCandidate)
	s := take(e)
	require.Len(t, s, 2)
	assert.Equal(t, raftapi.RequestVoteArgs{Term: 5, CandidateID: 0, PreVote: true}, *s[0].rv)
	s[0].rvOK(&raftapi.RequestVoteReply{Term: 4, VoteGranted: false, PreVote: true})
	assert.Equal(t, 4, n.term)
	s[1].rvOK(&raftapi.RequestVoteReply{Term: 4, VoteGranted: true, PreVote: true})
	assert.Equal(t, raftapi.Candidate, n.role, "a majority of pre-votes starts the election")
	assert.Equal(t, 5, n.term)
	rv := take(e)
	require.Len(t, rv, 2)
	assert.False(t, rv[0].rv.PreVote)
	assert.Equal(t, 5, rv[0].rv.Term)
	// A late pre-vote reply changes nothing.
	s[1].rvOK(&raftapi.RequestVoteReply{Term: 4, VoteGranted: true, PreVote: true})
	assert.Equal(t, 5, n.term)
	assert.Empty(t, take(e))
}

// PreVote, receiver's side: answers as for a vote, without changing term,
// vote or timer, and refuses while it hears from a leader.
func TestPreVoteReceiver(t *testing.T) {
	tests := []struct {
		name     string
		leader   int
		elapsed  int
		votedFor int
		args     raftapi.RequestVoteArgs
		grant    bool
	}{
		{name: "up to date, no leader", leader: raftapi.None, votedFor: raftapi.None,
			args: raftapi.RequestVoteArgs{Term: 4, CandidateID: 1, LastLogIndex: 3, LastLogTerm: 2}, grant: true},
		{name: "leader heard recently", leader: 2, elapsed: electionTimeoutMin - 1, votedFor: raftapi.None,
			args: raftapi.RequestVoteArgs{Term: 4, CandidateID: 1, LastLogIndex: 3, LastLogTerm: 2}, grant: false},
		{name: "leader silent", leader: 2, elapsed: electionTimeoutMin, votedFor: raftapi.None,
			args: raftapi.RequestVoteArgs{Term: 4, CandidateID: 1, LastLogIndex: 3, LastLogTerm: 2}, grant: true},
		{name: "log behind", leader: raftapi.None, votedFor: raftapi.None,
			args: raftapi.RequestVoteArgs{Term: 4, CandidateID: 1, LastLogIndex: 2, LastLogTerm: 2}, grant: false},
		{name: "older term", leader: raftapi.None, votedFor: raftapi.None,
			args: raftapi.RequestVoteArgs{Term: 2, CandidateID: 1, LastLogIndex: 3, LastLogTerm: 2}, grant: false},
		{name: "same term, voted for another", leader: raftapi.None, votedFor: 2,
			args: raftapi.RequestVoteArgs{Term: 3, CandidateID: 1, LastLogIndex: 3, LastLogTerm: 2}, grant: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, e := newTestNode(t, 3, Options{PreVote: true})
			withLog(n, 0, 0, 1, 1, 2)
			n.term, n.votedFor, n.leader, n.electionElapsed = 3, tc.votedFor, tc.leader, tc.elapsed
			args := tc.args
			args.PreVote = true
			var r raftapi.RequestVoteReply
			n.RequestVote(1, &args, &r)
			assert.Equal(t, tc.grant, r.VoteGranted)
			assert.True(t, r.PreVote)
			assert.Equal(t, 3, r.Term)
			assert.Equal(t, 3, n.term)
			assert.Equal(t, tc.votedFor, n.votedFor)
			assert.Equal(t, tc.elapsed, n.electionElapsed)
			assert.Zero(t, e.p.saves, "a pre-vote changes no persistent state")
		})
	}
	// A leader refuses pre-votes.
	n, e := newTestNode(t, 3, Options{PreVote: true})
	lead(t, n, e, 2)
	var r raftapi.RequestVoteReply
	n.RequestVote(1, &raftapi.RequestVoteArgs{Term: 3, CandidateID: 1, PreVote: true}, &r)
	assert.False(t, r.VoteGranted)
	assert.Equal(t, raftapi.Leader, n.role)
}

// CheckQuorum (thesis §6.2): a leader that hears from no majority during a
// window steps down; one that does stays.
func TestCheckQuorum(t *testing.T) {
	for _, heard := range []bool{false, true} {
		n, e := newTestNode(t, 3, Options{CheckQuorum: true})
		lead(t, n, e, 2) // both followers answered in the first window
		for range 2 * checkQuorumTicks {
			n.Tick()
			for _, s := range take(e) {
				if heard && s.to == 1 {
					s.aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
				}
			}
		}
		_, isLeader := n.GetState()
		assert.Equal(t, heard, isLeader, "heard from a majority: %v", heard)
		assert.Equal(t, 2, n.term)
	}
	// Off by default.
	n, e := newTestNode(t, 3, Options{})
	lead(t, n, e, 2)
	for range 10 * checkQuorumTicks {
		n.Tick()
	}
	_, isLeader := n.GetState()
	assert.True(t, isLeader)
}

// A one-node cluster elects itself and commits alone.
func TestSingleNode(t *testing.T) {
	for _, o := range []Options{{}, {PreVote: true, CheckQuorum: true}} {
		n, e := newTestNode(t, 1, o)
		for range electionTimeoutMax {
			n.Tick()
		}
		_, ok := n.GetState()
		require.True(t, ok)
		idx, _, ok := n.Start([]byte("x"))
		require.True(t, ok)
		assert.Equal(t, 1, idx)
		require.Len(t, e.applied, 1)
		assert.Equal(t, []byte("x"), e.applied[0].Command)
		for range 10 * checkQuorumTicks {
			n.Tick()
		}
		_, ok = n.GetState()
		assert.True(t, ok)
	}
}

// A candidate whose election times out with PreVote runs a pre-vote for
// the next term; a late real vote of the old election must not be counted
// with the pre-votes (a majority of real votes, §5.2, is what elects).
func TestLateVoteDuringPreVote(t *testing.T) {
	n, e := newTestNode(t, 5, Options{PreVote: true})
	for n.role != raftapi.Candidate {
		n.Tick()
		for _, s := range take(e) {
			if s.rv.PreVote {
				s.rvOK(&raftapi.RequestVoteReply{Term: n.term, VoteGranted: true, PreVote: true})
			}
		}
	}
	require.Equal(t, 1, n.term)
	votes := take(e)
	require.Len(t, votes, 4)
	// No vote comes back within the election timeout: a new pre-vote.
	for n.electionElapsed < n.electionTimeout-1 {
		n.Tick()
	}
	n.Tick()
	pre := take(e)
	require.Len(t, pre, 4)
	require.True(t, pre[0].rv.PreVote)
	pre[1].rvOK(&raftapi.RequestVoteReply{Term: 1, VoteGranted: true, PreVote: true})
	// Node 1's real vote of term 1 arrives late: with the node's own vote
	// that is two real votes of five, and a pre-vote is not a vote.
	votes[0].rvOK(&raftapi.RequestVoteReply{Term: 1, VoteGranted: true})
	assert.NotEqual(t, raftapi.Leader, n.role, "elected in term 1 by two real votes of five and a pre-vote")
}
