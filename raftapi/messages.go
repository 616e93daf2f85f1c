package raftapi

// RequestVoteArgs is the RequestVote RPC's request (Figure 2), sent by a
// candidate to gather votes (§5.2).
type RequestVoteArgs struct {
	Term         int // candidate's term
	CandidateID  int // candidate requesting the vote
	LastLogIndex int // index of the candidate's last log entry (§5.4)
	LastLogTerm  int // term of the candidate's last log entry (§5.4)

	// PreVote marks a pre-vote (Raft thesis §9.6), used only by
	// implementations that enable it: the receiver answers whether it
	// would grant a vote for Term, without changing its own term or vote.
	// The paper's algorithm, which the lab stages grade, never sets it.
	PreVote bool
}

// RequestVoteReply is the RequestVote RPC's reply (Figure 2).
//
// Receiver implementation:
//  1. Reply false if Term < currentTerm (§5.1).
//  2. If votedFor is none or CandidateID, and the candidate's log is at least
//     as up-to-date as the receiver's log (last term first, then last
//     index: §5.4.1), grant the vote.
type RequestVoteReply struct {
	Term        int  // currentTerm, for the candidate to update itself
	VoteGranted bool // true means the candidate received the vote
	PreVote     bool // echoes the request's PreVote
}

// Entry is one log entry: a command for the state machine and the term in
// which the leader received it. Its index is implied by its position: the
// entries of an AppendEntries start at PrevLogIndex+1.
type Entry struct {
	Term    int
	Command []byte
}

// AppendEntriesArgs is the AppendEntries RPC's request (Figure 2), sent by
// the leader to replicate log entries (§5.3) and, with no entries, as a
// heartbeat (§5.2).
type AppendEntriesArgs struct {
	Term         int     // leader's term
	LeaderID     int     // so followers can redirect clients
	PrevLogIndex int     // index of the log entry immediately preceding the new ones
	PrevLogTerm  int     // term of the PrevLogIndex entry
	Entries      []Entry // entries to store (empty for a heartbeat; may carry several, for efficiency)
	LeaderCommit int     // leader's commitIndex
}

// AppendEntriesReply is the AppendEntries RPC's reply (Figure 2), with the
// fast log backtracking hints of §5.3 (the "accelerated log backtracking"
// paragraph), defined exactly.
//
// Receiver implementation:
//  1. Reply false if Term < currentTerm (§5.1).
//  2. Reply false if the log does not contain an entry at PrevLogIndex whose
//     term matches PrevLogTerm (§5.3).
//  3. If an existing entry conflicts with a new one (same index, different
//     terms), delete the existing entry and all that follow it (§5.3). Only
//     a real conflict truncates: a stale or duplicated request must never
//     remove entries the follower already has.
//  4. Append any new entries not already in the log.
//  5. If LeaderCommit > commitIndex, set
//     commitIndex = min(LeaderCommit, index of the last new entry).
//
// The hints, filled in by a follower that replies false under rule 2:
//   - XTerm: the term of the follower's entry at PrevLogIndex, or -1 if the
//     follower's log has no entry there (too short).
//   - XIndex: the first index of the follower's log holding XTerm, or -1
//     when XTerm is -1.
//   - XLen: the index one past the follower's last entry, counting the
//     entries its snapshot covers: the follower's last log index plus one
//     (LastIncludedIndex plus one if its log after the snapshot is empty).
//
// The hints are defined only in a reply with Success false. In a reply
// with Success true their values are unspecified: a follower may leave
// them at zero or fill them in as it likes, and neither a leader nor any
// checker of the lab reads them.
//
// When PrevLogIndex lies strictly inside the follower's snapshot (below its
// LastIncludedIndex), the follower cannot check the entry, which was
// compacted away. Either answer is correct, and the lab accepts both:
//   - reply false with XTerm = -1, XIndex = -1 and
//     XLen = LastIncludedIndex + 1, which asks the leader to continue from
//     just after the snapshot, changing nothing; or
//   - trim the request: the entries through LastIncludedIndex are committed,
//     so (Log Matching, Leader Completeness) a leader's entries there are
//     the snapshot's. Drop them, handle the rest as a request with
//     PrevLogIndex = LastIncludedIndex and PrevLogTerm = LastIncludedTerm
//     (rules 3 to 5), and reply true.
//
// A PrevLogIndex equal to LastIncludedIndex is checked against
// LastIncludedTerm like any entry.
//
// A leader receiving false with XTerm = -1 sets nextIndex = XLen. Otherwise,
// if it has entries of XTerm, nextIndex = one past its last entry of XTerm;
// if not, nextIndex = XIndex.
type AppendEntriesReply struct {
	Term    int  // currentTerm, for the leader to update itself
	Success bool // true if the follower contained an entry matching PrevLogIndex and PrevLogTerm
	XTerm   int  // Success false: term of the conflicting entry at PrevLogIndex, -1 if none
	XIndex  int  // Success false: first index holding XTerm, -1 if XTerm is -1
	XLen    int  // Success false: index one past the follower's last entry
}

// InstallSnapshotArgs is the InstallSnapshot RPC's request (Figure 13), sent
// by the leader to a follower whose next entry the leader has compacted
// away (§7). The snapshot travels whole, in one request: Figure 13's offset
// and done fields, which chunk large snapshots, are not used.
//
// Receiver implementation:
//  1. Reply immediately if Term < currentTerm.
//  2. If LastIncludedIndex is not past the receiver's own snapshot (a stale
//     request), ignore it.
//  3. If an existing log entry has the same index and term as the
//     snapshot's last included entry, retain the log entries following it
//     and reply.
//  4. Otherwise discard the entire log.
//  5. Save the snapshot with the Raft state, and hand it to the service
//     (an ApplyMsg with SnapshotValid) unless LastIncludedIndex is at or
//     below the last index already applied (lastApplied).
type InstallSnapshotArgs struct {
	Term              int    // leader's term
	LeaderID          int    // so followers can redirect clients
	LastIncludedIndex int    // the snapshot replaces all entries up through and including this index
	LastIncludedTerm  int    // term of LastIncludedIndex
	Data              []byte // the snapshot, whole
}

// InstallSnapshotReply is the InstallSnapshot RPC's reply (Figure 13).
type InstallSnapshotReply struct {
	Term int // currentTerm, for the leader to update itself
}

// ApplyMsg is what a node hands its service through Env.Apply: either one
// committed command (CommandValid) or a snapshot (SnapshotValid), never
// both. Commands arrive in index order, without gaps or repeats.
type ApplyMsg struct {
	CommandValid bool
	Command      []byte
	CommandIndex int
	CommandTerm  int // term of the entry; lets the service tell which leader's command it applied

	SnapshotValid bool
	Snapshot      []byte
	SnapshotTerm  int // LastIncludedTerm
	SnapshotIndex int // LastIncludedIndex
}
