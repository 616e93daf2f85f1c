package raft

import "github.com/raftlab/raftlab/raftapi"

// resetElectionTimer restarts the election timeout with a fresh random
// duration (§5.2: randomized timeouts make split votes rare).
func (n *node) resetElectionTimer() {
	n.electionElapsed = 0
	n.electionTimeout = electionTimeoutMin + n.env.Rand().IntN(electionTimeoutMax-electionTimeoutMin)
}

// tickElection counts a follower's or candidate's election timeout: when it
// elapses without word from a leader, the node campaigns (Figure 2, rules
// for followers and candidates).
func (n *node) tickElection() {
	n.electionElapsed++
	if n.electionElapsed < n.electionTimeout {
		return
	}
	if n.opts.PreVote {
		n.startPreVote()
	} else {
		n.startElection()
	}
}

// becomeFollower makes the node a follower in term (Figure 2, rules for all
// servers: "If RPC request or response contains term T > currentTerm: set
// currentTerm = T, convert to follower"). A new term clears the vote. The
// election timer keeps running, unless the node was the leader and had none.
func (n *node) becomeFollower(term int) {
	if term > n.term {
		n.term = term
		n.votedFor = raftapi.None
		n.leader = raftapi.None
		n.dirty = true
	}
	if n.role == raftapi.Leader {
		n.leader = raftapi.None
		n.resetElectionTimer()
	}
	n.role = raftapi.Follower
	n.preCandidate = false
}

// startElection begins an election (§5.2): increment currentTerm, vote for
// self, reset the election timer, send RequestVote to all other servers.
func (n *node) startElection() {
	n.term++
	n.votedFor = n.me
	n.dirty = true
	n.role = raftapi.Candidate
	n.preCandidate = false
	n.leader = raftapi.None
	n.resetElectionTimer()
	clear(n.votes)
	n.votes[n.me] = true
	if n.quorum(n.votes) { // a cluster of one
		n.becomeLeader()
		return
	}
	term := n.term
	for i := range n.peers {
		if i == n.me {
			continue
		}
		args := &raftapi.RequestVoteArgs{
			Term:         term,
			CandidateID:  n.me,
			LastLogIndex: n.log.lastIndex(),
			LastLogTerm:  n.log.lastTerm(),
		}
		n.env.SendRequestVote(i, args, func(r *raftapi.RequestVoteReply) {
			n.onVoteReply(i, term, r)
			n.finish()
		})
	}
}

// onVoteReply counts a vote (§5.2): a candidate that receives votes from a
// majority in the same term becomes leader. Replies to an earlier
// election are ignored; a duplicated reply counts once.
func (n *node) onVoteReply(from, term int, r *raftapi.RequestVoteReply) {
	if r.Term > n.term {
		n.becomeFollower(r.Term)
		return
	}
	if n.role != raftapi.Candidate || n.term != term || !r.VoteGranted {
		return
	}
	n.votes[from] = true
	if n.quorum(n.votes) {
		n.becomeLeader()
	}
}

// startPreVote begins a pre-vote (thesis §9.6): the node asks the others
// whether they would vote for it in term+1, without incrementing its own
// term. Only if a majority says yes does it start a real election. The
// node stays a follower meanwhile.
func (n *node) startPreVote() {
	n.preCandidate = true
	n.leader = raftapi.None
	n.resetElectionTimer()
	clear(n.votes)
	n.votes[n.me] = true
	if n.quorum(n.votes) {
		n.startElection()
		return
	}
	term := n.term
	for i := range n.peers {
		if i == n.me {
			continue
		}
		args := &raftapi.RequestVoteArgs{
			Term:         term + 1,
			CandidateID:  n.me,
			LastLogIndex: n.log.lastIndex(),
			LastLogTerm:  n.log.lastTerm(),
			PreVote:      true,
		}
		n.env.SendRequestVote(i, args, func(r *raftapi.RequestVoteReply) {
			n.onPreVoteReply(i, term, r)
			n.finish()
		})
	}
}

// onPreVoteReply counts a pre-vote; a majority starts the real election.
// A higher term in the reply is real (the receiver holds it), so the node
// adopts it as for any reply.
func (n *node) onPreVoteReply(from, term int, r *raftapi.RequestVoteReply) {
	if r.Term > n.term {
		n.becomeFollower(r.Term)
		return
	}
	if !n.preCandidate || n.term != term || !r.VoteGranted {
		return
	}
	n.votes[from] = true
	if n.quorum(n.votes) {
		n.startElection()
	}
}

// becomeLeader makes a candidate that won the election leader (§5.2) and
// initializes the leader's volatile state (Figure 2): nextIndex = last log
// index + 1, matchIndex = 0. Every follower is probed at once, which is
// the leader's first heartbeat. No entry is appended: every entry comes
// from Start (raftapi).
func (n *node) becomeLeader() {
	n.role = raftapi.Leader
	n.leader = n.me
	n.preCandidate = false
	n.quorumElapsed = 0
	last := n.log.lastIndex()
	for i := range n.prs {
		n.nextIndex[i] = last + 1
		n.matchIndex[i] = 0
		n.prs[i] = progress{probing: true, wantSend: i != n.me}
	}
	n.matchIndex[n.me] = last
	n.maybeCommit() // a cluster of one commits on its own
}

// RequestVote is the receiver side of RequestVote (Figure 2).
func (n *node) RequestVote(from int, args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
	if args.PreVote {
		n.handlePreVote(args, reply)
	} else {
		n.handleRequestVote(args, reply)
	}
	n.finish()
}

// handleRequestVote implements the receiver rules of RequestVote (Figure 2):
// reject an older term; grant at most one vote per term (§5.2), and only to
// a candidate whose log is at least as up-to-date (§5.4.1). Granting a
// vote resets the election timer.
func (n *node) handleRequestVote(args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
	if args.Term > n.term {
		n.becomeFollower(args.Term)
	}
	reply.Term = n.term
	if args.Term < n.term {
		return
	}
	if n.votedFor != raftapi.None && n.votedFor != args.CandidateID {
		return
	}
	if !n.upToDate(args.LastLogTerm, args.LastLogIndex) {
		return
	}
	if n.votedFor != args.CandidateID {
		n.votedFor = args.CandidateID
		n.dirty = true
	}
	reply.VoteGranted = true
	n.electionElapsed = 0
}

// handlePreVote answers a pre-vote (thesis §9.6) without changing the
// receiver's term, vote or timer. It grants when it would grant a real vote
// for args.Term (not an older term, vote still free in that term, log
// up-to-date, §5.4.1), and only if the receiver has not heard from a leader
// within the minimum election timeout: a node whose leader is alive does
// not help another to depose it (thesis §9.6, with §4.2.3's rationale).
func (n *node) handlePreVote(args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
	reply.Term = n.term
	reply.PreVote = true
	switch {
	case args.Term < n.term:
		return
	case args.Term == n.term && n.votedFor != raftapi.None && n.votedFor != args.CandidateID:
		return
	case n.role == raftapi.Leader:
		return
	case n.leader != raftapi.None && n.electionElapsed < electionTimeoutMin:
		return
	}
	reply.VoteGranted = n.upToDate(args.LastLogTerm, args.LastLogIndex)
}

// upToDate reports whether a candidate's log, ending at (lastTerm,
// lastIndex), is at least as up-to-date as this node's (§5.4.1): the later
// last term wins; with equal last terms, the longer log.
func (n *node) upToDate(lastTerm, lastIndex int) bool {
	if lastTerm != n.log.lastTerm() {
		return lastTerm > n.log.lastTerm()
	}
	return lastIndex >= n.log.lastIndex()
}

// checkQuorum is CheckQuorum (thesis §6.2): at the end of each window of
// checkQuorumTicks, a leader that has not heard from a majority (itself
// included) during the window steps down.
func (n *node) checkQuorum() {
	n.quorumElapsed++
	if n.quorumElapsed < checkQuorumTicks {
		return
	}
	n.quorumElapsed = 0
	heard := 1
	for i := range n.prs {
		if i != n.me && n.prs[i].active {
			heard++
		}
		n.prs[i].active = false
	}
	if 2*heard <= n.peers {
		n.becomeFollower(n.term)
	}
}

// heardFromLeader handles a request from the leader of term (not older
// than ours, already checked): candidates and pre-candidates of this term
// give up (§5.2), a higher term is adopted, and the election timer
// restarts.
func (n *node) heardFromLeader(term, leader int) {
	if term > n.term || n.role != raftapi.Follower || n.preCandidate {
		n.becomeFollower(term)
	}
	n.leader = leader
	n.electionElapsed = 0
}
