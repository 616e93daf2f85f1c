package raft

import "github.com/raftlab/raftlab/raftapi"

// boots counts the boots of node 0 in the process, across runs: a
// package-level variable that outlives a run, so a replay of the same seed
// behaves differently from the first run (here it sends only in odd-numbered
// runs; a phase such as ticks%5 could line up again by chance). The grader
// must report the replay's difference as nondeterminism.
var boots int

func onBoot(n *node) {
	if n.me == 0 {
		boots++
	}
}

func onTick(n *node) {
	if boots%2 == 1 {
		to := (n.me + 1) % n.peers
		n.env.SendRequestVote(to, &raftapi.RequestVoteArgs{Term: 0, CandidateID: n.me}, func(*raftapi.RequestVoteReply) {})
	}
}
