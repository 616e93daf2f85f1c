package raft

import "github.com/raftlab/raftlab/raftapi"

// ticks counts every Tick of every node in the process, across runs: a
// package-level variable that outlives a run, so a replay of the same seed
// sends at other moments than the first run did. The grader must report
// the replay's difference as nondeterminism.
var ticks int

func onBoot(n *node) {}

func onTick(n *node) {
	ticks++
	if ticks%5 == 0 {
		to := (n.me + 1) % n.peers
		n.env.SendRequestVote(to, &raftapi.RequestVoteArgs{Term: 0, CandidateID: n.me}, func(*raftapi.RequestVoteReply) {})
	}
}
