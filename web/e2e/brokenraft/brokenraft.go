//go:build raftlab_e2e

// Package brokenraft is the reference Raft with one classic bug: it grants
// every vote it is asked for, so two candidates of one term can both win.
// The browser tests run it as "a student's own code" (cmd/sandbox -impl)
// to see the page's live checkers stop the run, and fixturegen uses it to
// make the failing trace the page replays.
//
// It imports the reference, so it builds only with -tags raftlab_e2e: the
// student handout (which has no reference) and go build ./... skip it.
// scripts/test-browser.sh sets GOFLAGS=-tags=raftlab_e2e for it.
package brokenraft

import (
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
)

// New is a raftapi.Factory, as cmd/sandbox -impl expects.
func New(me, peers int, env raftapi.Env) raftapi.Node {
	return votesTwice{raft.New(me, peers, env)}
}

type votesTwice struct{ raftapi.Node }

// RequestVote runs the reference's handler, then grants the vote whatever
// it decided, unless the candidate's term is stale: votedFor no longer
// stops a second vote in the same term.
func (n votesTwice) RequestVote(from int, args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
	n.Node.RequestVote(from, args, reply)
	if !args.PreVote && reply.Term <= args.Term {
		reply.VoteGranted = true
	}
}
