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
	n.campaign(n.opts.PreVote)
}

// adoptTerm is Figure 2's rule for all servers, for a term T greater than
// currentTerm seen in any request or reply (deliver): set currentTerm = T,
// convert to follower (§5.1). A new term clears the vote (at most one vote
// per term, §5.2) and the leader known.
func (n *node) adoptTerm(term int) {
	n.term = term
	n.votedFor = raftapi.None
	n.leader = raftapi.None
	n.dirty = true
	n.becomeFollower()
}

// becomeFollower makes the node a follower in its current term: after a
// higher term (adoptTerm), a candidate or pre-candidate that hears from the
// leader of its term (§5.2), a leader that lost its quorum (CheckQuorum).
// The election timer keeps running, unless the node was the leader and had
// none.
func (n *node) becomeFollower() {
	if n.role == raftapi.Leader {
		n.leader = raftapi.None
		n.resetElectionTimer()
	}
	n.role = raftapi.Follower
	n.preCandidate = false
}

// campaign asks every other server for its vote. A real election (§5.2):
// increment currentTerm, vote for self, reset the election timer, send
// RequestVote to all other servers. A pre-vote (thesis §9.6, with preVote
// set): the same question for term+1, without incrementing the term or
// voting, so that a node that cannot win does not disrupt the cluster;
// only if a majority says yes does the real election start. The node's
// role stays what it was during a pre-vote: Follower, or Candidate if its
// election timed out.
func (n *node) campaign(preVote bool) {
	if preVote {
		n.preCandidate = true
	} else {
		n.term++
		n.votedFor = n.me
		n.dirty = true
		n.role = raftapi.Candidate
		n.preCandidate = false
	}
	n.leader = raftapi.None
	n.resetElectionTimer()
	clear(n.votes)
	n.votes[n.me] = true
	if n.quorum(n.votes) { // a cluster of one
		n.wonCampaign(preVote)
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
			PreVote:      preVote,
		}
		if preVote {
			args.Term = term + 1
		}
		n.env.SendRequestVote(i, args, func(r *raftapi.RequestVoteReply) {
			n.deliver(r.Term, func() { n.onVoteReply(i, term, preVote, r) })
		})
	}
}

// onVoteReply counts a vote or a pre-vote granted to the campaign started
// in term (§5.2); a majority wins it. Replies to an earlier campaign are
// ignored; a duplicated reply counts once. A higher term in the reply,
// even in a pre-vote's (the receiver holds that term), was adopted by
// deliver, which ended the campaign.
func (n *node) onVoteReply(from, term int, preVote bool, r *raftapi.RequestVoteReply) {
	if n.term != term || !r.VoteGranted {
		return
	}
	// Only the campaign running now counts. A candidate whose election
	// timed out runs a pre-vote and is still a Candidate: a late vote of
	// its election must not be counted with the pre-votes, which are not
	// votes (a leader needs a majority of real votes in its term, §5.2).
	if n.preCandidate != preVote || !preVote && n.role != raftapi.Candidate {
		return
	}
	n.votes[from] = true
	if n.quorum(n.votes) {
		n.wonCampaign(preVote)
	}
}

// wonCampaign moves on from a campaign that a majority granted: a pre-vote
// to the real election (thesis §9.6), an election to leadership (§5.2).
func (n *node) wonCampaign(preVote bool) {
	if preVote {
		n.campaign(false)
	} else {
		n.becomeLeader()
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
	for i := range n.prs {
		n.prs[i].reset(n.log.lastIndex()) // nextIndex = last log index + 1, matchIndex = 0; probe
		n.prs[i].wantSend = i != n.me
	}
	n.maybeCommit() // a cluster of one commits on its own
}

// RequestVote is the receiver side of RequestVote (Figure 2).
func (n *node) RequestVote(from int, args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
	if args.PreVote {
		// Not deliver: a pre-vote's term is a proposal, not a term its
		// sender holds, so it changes nothing here (thesis §9.6).
		n.handlePreVote(args, reply)
		n.finish()
		return
	}
	n.deliver(args.Term, func() { n.handleRequestVote(args, reply) })
}

// handleRequestVote implements the receiver rules of RequestVote (Figure 2):
// reject an older term; grant at most one vote per term (§5.2), and only to
// a candidate whose log is at least as up-to-date (§5.4.1). Granting a
// vote resets the election timer. A higher term was adopted by deliver.
func (n *node) handleRequestVote(args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
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
		n.becomeFollower()
	}
}

// heardFromLeader handles a request from the leader of the current term
// (deliver adopted a higher one; an older one was rejected): candidates and
// pre-candidates of this term give up (§5.2: "If AppendEntries RPC
// received from new leader: convert to follower"), and the election timer
// restarts.
func (n *node) heardFromLeader(leader int) {
	if n.role != raftapi.Follower || n.preCandidate {
		n.becomeFollower()
	}
	n.leader = leader
	n.electionElapsed = 0
}
