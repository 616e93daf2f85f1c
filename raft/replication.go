package raft

import (
	"slices"

	"github.com/raftlab/raftlab/raftapi"
)

// Start appends a command to a leader's log (§5.3) and returns its index.
// At the end of this turn the new entry leaves, one AppendEntries per
// follower, for every follower in stateReplicate with no batch in flight;
// for the others it waits, and leaves with every entry started meanwhile
// in the next batch, when the reply to the request in flight comes.
func (n *node) Start(command []byte) (int, int, bool) {
	defer n.finish()
	if n.role != raftapi.Leader {
		return -1, n.term, false
	}
	n.log.append(n.term, command)
	n.dirty = true
	for i := range n.prs {
		if i != n.me {
			n.prs[i].wantSend = true
		}
	}
	n.maybeCommit() // a cluster of one commits on its own
	return n.log.lastIndex(), n.term, true
}

// tickLeader runs a leader's timers: CheckQuorum, the presumption that
// unanswered requests were lost, heartbeats (§5.2), and telling followers
// about a commit index that advanced.
func (n *node) tickLeader() {
	if n.opts.CheckQuorum {
		n.checkQuorum()
		if n.role != raftapi.Leader {
			return
		}
	}
	if n.opts.Flow != OneBatchInFlight {
		n.tickPipelined()
		return
	}
	for i := range n.prs {
		if i == n.me {
			continue
		}
		p := &n.prs[i]
		p.sinceSend++
		if p.batchInFlight() && n.now-p.batchAt >= retryTicks {
			// The batch in flight went unanswered: presume it lost and
			// probe again from the last entry known to match, which
			// resends it together with the entries started since.
			p.becomeProbe(p.match + 1)
		}
		switch {
		case p.awaitingReply() && n.now-p.sentAt >= retryTicks:
			n.replicate(i, true) // the probe or snapshot was lost: send it again
		case p.sinceSend >= heartbeatTicks:
			n.replicate(i, true)
		case p.state == stateReplicate && p.sentCommit < min(n.commitIndex, p.match):
			// The follower holds entries it does not know are committed.
			// Tell it now rather than at the next heartbeat, but at most
			// once per tick, so that a burst of commits costs one message.
			n.replicate(i, true)
		}
	}
}

// replicate sends follower i what its progress state allows (§5.3): in
// stateProbe and stateSnapshot, the one probe (or the snapshot, if the
// entries it needs were compacted away, §7) unless one is in flight; in
// stateReplicate, the next batch if none is in flight. With heartbeat set
// it sends an empty AppendEntries when there is nothing else to send
// (§5.2).
func (n *node) replicate(i int, heartbeat bool) {
	p := &n.prs[i]
	if p.state == stateReplicate && p.next <= n.log.snapIndex {
		p.becomeProbe(p.next) // the next entry was compacted away: probe, which sends the snapshot
	}
	if p.state != stateReplicate {
		if p.awaitingReply() && n.now-p.sentAt < retryTicks {
			return // one request at a time; it doubles as the heartbeat
		}
		// A late success may have shown the follower holds more than
		// the guess: probe from there.
		next := max(p.next, p.match+1)
		if next <= n.log.snapIndex {
			n.sendSnapshot(i)
			p.becomeSnapshot(next, n.now)
		} else {
			last := n.sendAppend(i, next-1, true)
			p.sentProbe(next, last, n.now)
		}
		return
	}
	// One AppendEntries with entries in flight at a time: the next batch
	// leaves when this one is acknowledged (onAppendReply) or presumed
	// lost (tickLeader), carrying every entry started meanwhile.
	if !p.batchInFlight() && p.next <= n.log.lastIndex() {
		last := n.sendAppend(i, p.next-1, true)
		p.sentBatch(last, n.now)
		return
	}
	if heartbeat {
		// Anchor the heartbeat at matchIndex, which the follower is known
		// to hold, so that it cannot fail because the batch in flight has
		// not arrived yet.
		prev := p.match
		if prev < n.log.snapIndex {
			prev = p.next - 1
		}
		n.sendAppend(i, prev, false)
	}
}

// sendAppend sends follower i an AppendEntries after index prev, carrying a
// batch of entries if withEntries is set, and returns the index of the last
// entry sent (prev if none). The reply's handler keeps what this request
// carried, since matchIndex must come from the request that was
// acknowledged, not from the leader's state when the reply arrives.
func (n *node) sendAppend(i, prev int, withEntries bool) int {
	last := prev
	if withEntries {
		last = n.log.batchEnd(prev+1, maxBatchEntries, maxBatchBytes)
	}
	args := &raftapi.AppendEntriesArgs{
		Term:         n.term,
		LeaderID:     n.me,
		PrevLogIndex: prev,
		PrevLogTerm:  n.log.term(prev),
		Entries:      n.log.entries(prev+1, last+1),
		LeaderCommit: n.commitIndex,
	}
	p := &n.prs[i]
	p.sinceSend = 0
	p.sentCommit = min(n.commitIndex, last) // what the follower may commit from this
	term, epoch := n.term, p.epoch
	if n.opts.Flow != OneBatchInFlight {
		n.env.SendAppendEntries(i, args, func(r *raftapi.AppendEntriesReply) {
			n.deliver(r.Term, func() { n.onPipelinedReply(i, term, epoch, prev, last, r) })
		})
		return last
	}
	n.env.SendAppendEntries(i, args, func(r *raftapi.AppendEntriesReply) {
		n.deliver(r.Term, func() { n.onAppendReply(i, term, prev, last, r) })
	})
	return last
}

// onAppendReply handles a follower's answer to an AppendEntries that
// covered (prev, last] and was sent in term (a higher term in the reply
// was already adopted by deliver).
//
// Success: the follower holds everything through last (§5.3), so
// matchIndex rises to last (never falls: replies may come late or twice)
// and the commit rule runs; the reply to the probe ends probing, and the
// next batch leaves if entries are waiting. Failure: the leader moves
// nextIndex back using the fast-backup hints (§5.3) and probes again.
func (n *node) onAppendReply(i, term, prev, last int, r *raftapi.AppendEntriesReply) {
	if n.role != raftapi.Leader || n.term != term {
		return // a reply to an earlier term's request
	}
	p := &n.prs[i]
	p.active = true
	if r.Success {
		if p.acked(last, n.now) {
			n.maybeCommit()
		}
		if !p.endsProbe(prev, last) {
			// A late answer to an earlier request while a probe or the
			// snapshot is in flight: that one's reply ends probing, so
			// that no second request with entries goes out meanwhile.
			return
		}
		p.becomeReplicate(last)
		if p.next <= n.log.lastIndex() {
			p.wantSend = true
		}
		return
	}
	if p.staleRejection(prev) {
		return // a late or duplicated answer to an earlier request
	}
	next := n.nextIndexFromHint(r)
	next = max(next, p.match+1)           // the follower holds matchIndex
	next = min(next, n.log.lastIndex()+1) // a hint cannot point past our log
	p.becomeProbe(next)
	p.wantSend = true
}

// nextIndexFromHint is the leader's side of fast log backtracking (§5.3),
// exactly as raftapi.AppendEntriesReply defines it: with XTerm = -1 the
// follower's log is too short (or PrevLogIndex fell inside its snapshot)
// and nextIndex = XLen; otherwise nextIndex is one past the leader's last
// entry of XTerm if it has one, else XIndex (skipping the follower's whole
// conflicting term).
func (n *node) nextIndexFromHint(r *raftapi.AppendEntriesReply) int {
	if r.XTerm == -1 {
		return r.XLen
	}
	if last, ok := n.log.lastIndexOfTerm(r.XTerm); ok {
		return last + 1
	}
	return r.XIndex
}

// maybeCommit is the leader's commit rule (Figure 2, rules for leaders, and
// §5.4.2): commitIndex = the highest N stored on a majority with
// log[N].term == currentTerm. Entries of earlier terms are never committed
// by counting replicas (Figure 8); they commit with the first entry of the
// current term that does.
func (n *node) maybeCommit() {
	m := n.scratch[:0]
	for i := range n.peers {
		if i == n.me {
			m = append(m, n.log.lastIndex())
		} else {
			m = append(m, n.prs[i].match)
		}
	}
	slices.Sort(m)
	// Sorted ascending, m[(peers-1)/2] is the largest index that a
	// majority (peers/2+1 nodes) holds.
	N := m[(n.peers-1)/2]
	if N > n.commitIndex && n.log.term(N) == n.term {
		n.commitIndex = N
	}
}

// AppendEntries is the receiver side of AppendEntries (Figure 2).
func (n *node) AppendEntries(from int, args *raftapi.AppendEntriesArgs, reply *raftapi.AppendEntriesReply) {
	n.deliver(args.Term, func() { n.handleAppendEntries(args, reply) })
}

// handleAppendEntries implements the receiver rules of raftapi's
// AppendEntriesReply (Figure 2, with the fast-backup hints of §5.3).
func (n *node) handleAppendEntries(args *raftapi.AppendEntriesArgs, reply *raftapi.AppendEntriesReply) {
	reply.XTerm, reply.XIndex = -1, -1
	reply.XLen = n.log.lastIndex() + 1
	// Rule 1: reply false to an older term (§5.1).
	if args.Term < n.term {
		reply.Term = n.term
		return
	}
	n.heardFromLeader(args.LeaderID)
	reply.Term = n.term

	// Rule 2: the consistency check (§5.3), with the hints.
	prev, entries := args.PrevLogIndex, args.Entries
	if prev < n.log.snapIndex && n.opts.TrimInsideSnapshot {
		// The entries through the snapshot are committed: a leader's
		// are the snapshot's (Log Matching, Leader Completeness). Check
		// what follows it instead.
		entries = entries[min(n.log.snapIndex-prev, len(entries)):]
		prev = n.log.snapIndex
		args = &raftapi.AppendEntriesArgs{Term: args.Term, LeaderID: args.LeaderID, PrevLogIndex: prev,
			PrevLogTerm: n.log.snapTerm, Entries: entries, LeaderCommit: args.LeaderCommit}
	}
	switch {
	case prev < n.log.snapIndex:
		// Compacted away: ask the leader to go on after the snapshot.
		reply.XLen = n.log.snapIndex + 1
		return
	case prev > n.log.lastIndex():
		return // too short: XTerm = -1, XLen = lastIndex+1
	case n.log.term(prev) != args.PrevLogTerm:
		reply.XTerm = n.log.term(prev)
		reply.XIndex = n.log.firstIndexOfTerm(reply.XTerm)
		return
	}
	reply.Success = true

	// Rules 3 and 4: skip entries already present, truncate at the first
	// real conflict, append the rest. A stale or duplicated request whose
	// entries all match changes nothing.
	for k, e := range args.Entries {
		idx := prev + 1 + k
		if idx <= n.log.lastIndex() {
			if n.log.term(idx) == e.Term {
				continue
			}
			n.log.truncateFrom(idx)
		}
		n.log.appendEntries(args.Entries[k:])
		n.dirty = true
		break
	}
	reply.XLen = n.log.lastIndex() + 1
	if n.opts.HintsOnlyOnRefusal {
		reply.XTerm, reply.XIndex, reply.XLen = 0, 0, 0
	}

	// Rule 5: commitIndex = min(leaderCommit, index of last new entry);
	// the index of the last new entry is what this request vouches for,
	// not our last index, which may hold entries of an old term.
	if lastNew := prev + len(args.Entries); args.LeaderCommit > n.commitIndex {
		n.commitIndex = max(n.commitIndex, min(args.LeaderCommit, lastNew))
	}
}
