package raft

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

// Helpers for unit tests that drive one node by hand with a recording
// testEnv (no cluster): requests pile up in env.out and the test answers
// them by calling their callbacks.

func newTestNode(t *testing.T, peers int, o Options) (*node, *testEnv) {
	t.Helper()
	e := newTestEnv(1)
	return newNode(0, peers, e, o), e
}

// take returns and forgets what the node sent.
func take(e *testEnv) []sent {
	out := e.out
	e.out = nil
	return out
}

// withLog gives n a log with the given terms (commands "c<index>"), after a
// snapshot through snapIndex with snapTerm.
func withLog(n *node, snapIndex, snapTerm int, terms ...int) {
	n.log = raftLog{snapIndex: snapIndex, snapTerm: snapTerm}
	for k, t := range terms {
		n.log.append(t, []byte{byte(snapIndex + 1 + k)})
	}
	n.commitIndex, n.lastApplied = snapIndex, snapIndex
	n.term = max(n.term, n.log.lastTerm())
}

// lead makes n the leader of term (n.term must be below it) and answers its
// probes with success, so that every follower is being replicated to.
func lead(t *testing.T, n *node, e *testEnv, term int) {
	t.Helper()
	n.term = term - 1
	n.campaign(false)
	n.finish()
	for _, s := range take(e) {
		s.rvOK(&raftapi.RequestVoteReply{Term: term, VoteGranted: true})
	}
	require.Equal(t, raftapi.Leader, n.role)
	for _, s := range take(e) {
		require.NotNil(t, s.ae)
		s.aeOK(&raftapi.AppendEntriesReply{Term: term, Success: true})
	}
	take(e)
}

func termsOf(n *node) []int { return append([]int(nil), n.log.terms...) }
