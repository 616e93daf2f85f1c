package raft

import "github.com/raftlab/raftlab/raftapi"

// boots counts the boots of node 0 in the process, across runs: a
// package-level variable that outlives a run, so a replay of the same seed
// behaves differently from the first run. Every run sends a different
// number (a parity, or a phase such as ticks%5, can line up again when the
// stage's scenarios run in parallel and boot in between). The grader must
// report the replay's difference as nondeterminism.
var boots int

func onBoot(n *node) {
	if n.me == 0 {
		boots++
	}
}

func onTick(n *node) {
	to := (n.me + 1) % n.peers
	n.env.SendRequestVote(to, &raftapi.RequestVoteArgs{Term: 0, CandidateID: n.me, LastLogIndex: boots}, func(*raftapi.RequestVoteReply) {})
}
