package raft

import "github.com/raftlab/raftlab/raftapi"

// Log replication: §5.3 of the paper, the commit rule of §5.4.2 (Figure 8),
// and the "Rules for Servers" of Figure 2. Handout:
// assignments/replication.md.

// Start asks this node to append command to the replicated log (§5.3). A
// leader appends it and returns the index it will have if it is ever
// committed, its current term, and true. Any other node appends nothing and
// returns isLeader = false. Start does not wait for the command to commit.
func (rf *Raft) Start(command []byte) (index, term int, isLeader bool) {
	defer rf.endTurn()
	if rf.role != raftapi.Leader {
		return -1, rf.currentTerm, false
	}
	// TODO(replication): Leaders: "If command received from client:
	// append entry to local log, respond after entry applied to state
	// machine." Here "respond" is the service seeing the entry through
	// Apply; Start just returns where the entry went. The log is
	// persistent. Sending it now (rather than at the next heartbeat) makes
	// agreement fast.
	return rf.lastLogIndex() + 1, rf.currentTerm, true
}

// tickLeader counts down a leader's heartbeat interval.
func (rf *Raft) tickLeader() {
	rf.heartbeatElapsed++
	if rf.heartbeatElapsed < heartbeatTicks {
		return
	}
	rf.heartbeatElapsed = 0
	// TODO(election): Leaders: send AppendEntries to each server "during
	// idle periods to prevent election timeouts (§5.2)": empty ones
	// (heartbeats) in the election stage; from the replication stage on,
	// carrying whatever entries the follower still lacks. This is also how
	// a leader retries: the network loses messages without telling anyone.
}

// sendAppendEntries sends one AppendEntries and routes its reply, which
// arrives in a turn of its own, to onAppendEntriesReply. args is our own
// copy of what was sent: PrevLogIndex and len(Entries) say which entries
// the reply acknowledges.
func (rf *Raft) sendAppendEntries(peer int, args *raftapi.AppendEntriesArgs) { //nolint:unused // yours to call, from tickLeader and Start
	rf.env.SendAppendEntries(peer, args, func(reply *raftapi.AppendEntriesReply) {
		defer rf.endTurn()
		rf.onAppendEntriesReply(peer, args, reply)
	})
}

// AppendEntries is the receiver side of the AppendEntries RPC (Figure 2):
// a heartbeat when it carries no entries.
func (rf *Raft) AppendEntries(from int, args *raftapi.AppendEntriesArgs, reply *raftapi.AppendEntriesReply) {
	defer rf.endTurn()
	// TODO(election): a request from the leader of the current (or a
	// newer) term resets the election timer, and a candidate that hears
	// from it steps down (§5.2). Fill in reply.Term.
	//
	// TODO(replication): Figure 2, AppendEntries RPC, Receiver
	// implementation (written out in full in raftapi.AppendEntriesReply):
	//  1. Reply false if term < currentTerm (§5.1).
	//  2. Reply false if log doesn't contain an entry at prevLogIndex whose
	//     term matches prevLogTerm (§5.3).
	//  3. If an existing entry conflicts with a new one (same index but
	//     different terms), delete the existing entry and all that follow
	//     it (§5.3).
	//  4. Append any new entries not already in the log.
	//  5. If leaderCommit > commitIndex, set commitIndex =
	//     min(leaderCommit, index of last new entry).
	// When you reply false under rule 2, fill in the fast-backup hints
	// XTerm, XIndex and XLen as raftapi.AppendEntriesReply defines them.
}

// onAppendEntriesReply handles a follower's answer to the AppendEntries in
// args.
func (rf *Raft) onAppendEntriesReply(peer int, args *raftapi.AppendEntriesArgs, reply *raftapi.AppendEntriesReply) { //nolint:unused // called by sendAppendEntries
	// TODO(replication): Leaders (Figure 2): "If successful: update
	// nextIndex and matchIndex for follower (§5.3). If AppendEntries fails
	// because of log inconsistency: decrement nextIndex and retry (§5.3)"
	// — or, faster, jump by the hints (raftapi.AppendEntriesReply says
	// how). Ignore replies to requests of an earlier term, and remember
	// that a reply may be late or duplicated: compute matchIndex from
	// args, never from nextIndex.
	//
	// Then the commit rule: "If there exists an N such that N >
	// commitIndex, a majority of matchIndex[i] ≥ N, and log[N].term ==
	// currentTerm: set commitIndex = N (§5.3, §5.4)."
}

// applyCommitted hands the service every committed entry it has not seen
// yet, in index order. endTurn calls it at the end of every turn.
func (rf *Raft) applyCommitted() {
	// TODO(replication): All Servers: "If commitIndex > lastApplied:
	// increment lastApplied, apply log[lastApplied] to state machine
	// (§5.3)." Apply with rf.env.Apply(raftapi.ApplyMsg{CommandValid:
	// true, ...}), filling in Command, CommandIndex and CommandTerm.
}
