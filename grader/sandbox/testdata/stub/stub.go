package raft

import "github.com/raftlab/raftlab/raftapi"

// The hostile suite's node: it never campaigns or replicates (every stage
// fails), and calls the case's hooks: onBoot from New, onTick from Tick.
// Each case of hostile/ that uses it defines onBoot and onTick.
type node struct {
	me, peers int
	env       raftapi.Env
}

// New is the submission's factory.
func New(me, peers int, env raftapi.Env) raftapi.Node {
	n := &node{me: me, peers: peers, env: env}
	onBoot(n)
	return n
}

func (n *node) Tick() { onTick(n) }

func (n *node) RequestVote(from int, args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
	reply.Term = args.Term
}

func (n *node) AppendEntries(from int, args *raftapi.AppendEntriesArgs, reply *raftapi.AppendEntriesReply) {
	reply.Term = args.Term
}

func (n *node) InstallSnapshot(from int, args *raftapi.InstallSnapshotArgs, reply *raftapi.InstallSnapshotReply) {
	reply.Term = args.Term
}

func (n *node) Start(command []byte) (int, int, bool) { return 0, 0, false }
func (n *node) GetState() (int, bool)                 { return 0, false }
func (n *node) Snapshot(index int, snapshot []byte)   {}
func (n *node) Inspect() raftapi.NodeState            { return raftapi.NodeState{VotedFor: raftapi.None} }
func (n *node) InspectLog() raftapi.LogView           { return raftapi.LogView{FirstIndex: 1} }
