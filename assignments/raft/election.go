package raft

import "github.com/raftlab/raftlab/raftapi"

// Leader election: §5.2 of the paper, the election restriction of §5.4.1,
// and the "Rules for Servers" of Figure 2. Handout: assignments/election.md.

// resetElectionTimer starts a new election timeout, of random length:
// randomized timeouts are what makes split votes rare (§5.2). rf.env.Rand()
// is the only source of randomness a node may use.
func (rf *Raft) resetElectionTimer() {
	rf.electionElapsed = 0
	rf.electionTimeout = electionTimeoutMin + rf.env.Rand().IntN(electionTimeoutMax-electionTimeoutMin)
}

// tickElection counts down the election timeout of a follower or a
// candidate.
func (rf *Raft) tickElection() {
	rf.electionElapsed++
	if rf.electionElapsed < rf.electionTimeout {
		return
	}
	// TODO(election): Figure 2, Rules for Servers, Followers: "If election
	// timeout elapses without receiving AppendEntries RPC from current
	// leader or granting vote to candidate: convert to candidate."
	// Candidates: "If election timeout elapses: start new election."
	// (Receiving AppendEntries from the current leader and granting a vote
	// must call resetElectionTimer.)
}

// startElection turns this node into a candidate and asks every peer for
// its vote.
func (rf *Raft) startElection() { //nolint:unused // yours to call, from tickElection
	// TODO(election): Figure 2, Rules for Servers, Candidates: "On
	// conversion to candidate, start election: increment currentTerm, vote
	// for self, reset election timer, send RequestVote RPCs to all other
	// servers." Remember that currentTerm and votedFor are persistent
	// (set rf.changed), and use rf.sendRequestVote.
}

// sendRequestVote sends one RequestVote and routes its reply, which
// arrives in a turn of its own (so it too ends with endTurn), to
// onRequestVoteReply. args is our own copy of what was sent: the reply
// handler can tell from args.Term which election the reply belongs to.
func (rf *Raft) sendRequestVote(peer int, args *raftapi.RequestVoteArgs) { //nolint:unused // yours to call, from startElection
	rf.env.SendRequestVote(peer, args, func(reply *raftapi.RequestVoteReply) {
		defer rf.endTurn()
		rf.onRequestVoteReply(peer, args, reply)
	})
}

// RequestVote is the receiver side of the RequestVote RPC (Figure 2).
func (rf *Raft) RequestVote(from int, args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
	defer rf.endTurn()
	// TODO(election): Figure 2, RequestVote RPC, Receiver implementation:
	//  1. Reply false if term < currentTerm (§5.1).
	//  2. If votedFor is null or candidateId, and candidate's log is at
	//     least as up-to-date as receiver's log, grant vote (§5.2, §5.4).
	// And, as for every RPC (Rules for Servers, All Servers): "If RPC
	// request or response contains term T > currentTerm: set currentTerm =
	// T, convert to follower (§5.1)." Fill in reply.Term. Granting a vote
	// resets the election timer; votedFor is persistent.
}

// onRequestVoteReply handles a peer's answer to the RequestVote in args.
func (rf *Raft) onRequestVoteReply(peer int, args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) { //nolint:unused // called by sendRequestVote
	// TODO(election): a reply with a higher term makes us a follower. A
	// vote counts only if we are still a candidate in the term we asked in
	// (replies can arrive late, or twice). Candidates (§5.2): "If votes
	// received from majority of servers: become leader."
}

// becomeLeader makes this candidate the leader of currentTerm.
func (rf *Raft) becomeLeader() { //nolint:unused // yours to call, from onRequestVoteReply
	rf.role = raftapi.Leader
	// TODO(election): Figure 2, Volatile state on leaders: reinitialize
	// nextIndex (leader's last log index + 1) and matchIndex (0) for every
	// peer. Leaders: "Upon election: send initial empty AppendEntries RPCs
	// (heartbeat) to each server; repeat during idle periods to prevent
	// election timeouts (§5.2)."
}

// becomeFollower steps down to follower, adopting term if it is newer.
func (rf *Raft) becomeFollower(term int) { //nolint:unused // yours to call, wherever a higher term shows up
	// TODO(election): All Servers: "If RPC request or response contains
	// term T > currentTerm: set currentTerm = T, convert to follower." A
	// new term means we have not voted in it yet.
}
