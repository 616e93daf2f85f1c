package raft

import "github.com/raftlab/raftlab/raftapi"

// Log compaction: §7 of the paper and Figure 13, without chunking (a
// snapshot travels whole in one InstallSnapshot). Handout:
// assignments/snapshots.md.
//
// Once the log can start after a snapshot, log[k] is the entry at index
// snapshotIndex+1+k. Write the index arithmetic in a couple of small
// helpers (the term at index i, the entry at index i, cutting the log
// before or after i) and use only them: then the snapshot stage changes
// those helpers, not every handler.

// Snapshot is the service telling this node that snapshot holds its state
// through index (§7). The service calls it in a turn of its own, every few
// applied commands.
func (rf *Raft) Snapshot(index int, snapshot []byte) {
	defer rf.endTurn()
	// TODO(snapshots): a call for an index at or below snapshotIndex is a
	// no-op (it may have been queued before an InstallSnapshot overtook
	// it). Otherwise discard the log through index, remember
	// snapshotIndex and snapshotTerm (the term of entry index, which you
	// must read before you discard it), keep snapshot, and save it with
	// the Raft state (set rf.changed: persist passes rf.snapshot to Save).
}

// sendInstallSnapshot sends this leader's snapshot to peer and routes the
// reply, which arrives in a turn of its own, to onInstallSnapshotReply.
func (rf *Raft) sendInstallSnapshot(peer int, args *raftapi.InstallSnapshotArgs) { //nolint:unused // yours to call, when nextIndex[peer] is inside the snapshot
	rf.env.SendInstallSnapshot(peer, args, func(reply *raftapi.InstallSnapshotReply) {
		defer rf.endTurn()
		rf.onInstallSnapshotReply(peer, args, reply)
	})
}

// InstallSnapshot is the receiver side of the InstallSnapshot RPC
// (Figure 13).
func (rf *Raft) InstallSnapshot(from int, args *raftapi.InstallSnapshotArgs, reply *raftapi.InstallSnapshotReply) {
	defer rf.endTurn()
	// TODO(snapshots): Figure 13, Receiver implementation, as
	// raftapi.InstallSnapshotArgs writes it for this lab:
	//  1. Reply immediately if term < currentTerm.
	//  2. If LastIncludedIndex is not past your own snapshot, ignore it.
	//  3. If existing log entry has same index and term as snapshot's last
	//     included entry, retain log entries following it and reply.
	//  4. Discard the entire log.
	//  5. Save the snapshot with the Raft state and hand it to the service
	//     (raftapi.ApplyMsg{SnapshotValid: true, ...}) unless the service
	//     has already applied past LastIncludedIndex; commitIndex and
	//     lastApplied move up to it.
	// Like AppendEntries, it comes from the leader: it resets the election
	// timer. Fill in reply.Term.
}

// onInstallSnapshotReply handles a follower's answer to the InstallSnapshot
// in args.
func (rf *Raft) onInstallSnapshotReply(peer int, args *raftapi.InstallSnapshotArgs, reply *raftapi.InstallSnapshotReply) { //nolint:unused // called by sendInstallSnapshot
	// TODO(snapshots): a higher term makes us a follower. Otherwise, if we
	// are still the leader of args.Term, the follower now holds everything
	// through args.LastIncludedIndex: matchIndex and nextIndex move up to
	// it (never down).
}
