package raft

import "github.com/raftlab/raftlab/raftapi"

// Snapshot is the service telling the node that snapshot holds the state
// through index (§7). The node discards its log through index and saves the
// snapshot with its state.
//
// It is a no-op for an index at or below the current snapshot (a queued
// Snapshot turn that lost the race against an InstallSnapshot, as the
// contract requires), and, defensively, for an index the node has not yet
// applied: a service can only capture state it was given, and compacting
// unapplied entries would lose them.
func (n *node) Snapshot(index int, snapshot []byte) {
	if index > n.log.snapIndex && index <= n.lastApplied {
		n.log.compact(index)
		n.snapshot = snapshot
		n.dirty = true
	}
	n.finish()
}

// sendSnapshot sends follower i the leader's snapshot, whole (Figure 13,
// §7): the entries it needs next were compacted away.
func (n *node) sendSnapshot(i int) {
	args := &raftapi.InstallSnapshotArgs{
		Term:              n.term,
		LeaderID:          n.me,
		LastIncludedIndex: n.log.snapIndex,
		LastIncludedTerm:  n.log.snapTerm,
		Data:              n.snapshot,
	}
	p := &n.prs[i]
	p.sinceSend = 0
	p.sentCommit = args.LastIncludedIndex // a snapshot holds only committed entries
	term, index := n.term, args.LastIncludedIndex
	n.env.SendInstallSnapshot(i, args, func(r *raftapi.InstallSnapshotReply) {
		n.deliver(r.Term, func() { n.onSnapshotReply(i, term, index, r) })
	})
}

// onSnapshotReply handles a follower's answer to an InstallSnapshot of the
// snapshot through index, sent in term (a higher term in the reply was
// already adopted by deliver). Whether the follower installed it or
// already had a newer snapshot, it now holds everything through index, so
// matchIndex and nextIndex move up to it (never down) and replication
// resumes from index+1 (stateReplicate).
func (n *node) onSnapshotReply(i, term, index int, r *raftapi.InstallSnapshotReply) {
	if n.role != raftapi.Leader || n.term != term {
		return
	}
	p := &n.prs[i]
	p.active = true
	if p.acked(index, n.now) {
		n.maybeCommit()
	}
	p.becomeReplicate(index)
	if p.next <= n.log.lastIndex() {
		p.wantSend = true
	}
}

// InstallSnapshot is the receiver side of InstallSnapshot (Figure 13).
func (n *node) InstallSnapshot(from int, args *raftapi.InstallSnapshotArgs, reply *raftapi.InstallSnapshotReply) {
	n.deliver(args.Term, func() { n.handleInstallSnapshot(args, reply) })
}

// handleInstallSnapshot implements the receiver rules of raftapi's
// InstallSnapshotArgs (Figure 13, without chunking).
func (n *node) handleInstallSnapshot(args *raftapi.InstallSnapshotArgs, reply *raftapi.InstallSnapshotReply) {
	// Rule 1: reply immediately to an older term.
	if args.Term < n.term {
		reply.Term = n.term
		return
	}
	n.heardFromLeader(args.LeaderID)
	reply.Term = n.term

	// Rule 2: a snapshot not past our own is stale.
	index, term := args.LastIncludedIndex, args.LastIncludedTerm
	if index <= n.log.snapIndex {
		return
	}
	// Rules 3 and 4: keep the entries after a matching last included
	// entry; otherwise the whole log is superseded.
	if n.log.has(index, term) {
		n.log.compact(index)
	} else {
		n.log.reset(index, term)
	}
	// Rule 5: save, and move the service forward if this does.
	n.snapshot = args.Data
	n.dirty = true
	n.commitIndex = max(n.commitIndex, index)
	if index > n.lastApplied {
		n.lastApplied = index
		n.env.Apply(raftapi.ApplyMsg{
			SnapshotValid: true,
			Snapshot:      args.Data,
			SnapshotTerm:  term,
			SnapshotIndex: index,
		})
	}
}
