package raft

// Figure 2 gives a leader two numbers per follower, nextIndex and
// matchIndex, and says what to send; it does not say when, nor how many
// requests may be in flight. progress is the leader's view of one
// follower: those two numbers and a small state machine that decides what
// may leave next. The transitions below are the only code that moves
// nextIndex and matchIndex.
//
// The transitions, with what causes them:
//
//	probe     → replicate  the probe succeeds: the logs match through it (§5.3)
//	probe     → probe      a rejection moves nextIndex by the hints (§5.3)
//	probe     → snapshot   the entry at nextIndex was compacted away (§7)
//	replicate → probe      the batch in flight went unanswered for
//	                       retryTicks (presumed lost), a heartbeat was
//	                       rejected, or the next entry was compacted away
//	snapshot  → replicate  the snapshot's reply: the follower holds it (§7)
//	snapshot  → probe      a rejection of the probe sent before, or a retry
//	                       that finds the entries after matchIndex in the log
//
// Why one batch in flight and not a pipeline (thesis §10.2.1)? The network
// may reorder messages (the simulator's reliable network delays each one
// independently by 1–5 ms), and a batch that overtakes the one before it
// finds the follower's log too short: it is rejected, and the leader must
// probe and resend everything unacknowledged, while the earlier copies are
// still on their way. Waiting one round trip costs less than that, and
// batching keeps the throughput: everything started during the round trip
// leaves in one request.

// progressState is what a leader may send to one follower.
type progressState uint8

const (
	// stateProbe: the leader does not know where the follower's log
	// matches its own (right after the election, after a rejection, after
	// a batch presumed lost); nextIndex is a guess. One AppendEntries, the
	// probe, is in flight at a time; it carries the entries from nextIndex
	// (a batch), so that a right guess costs no extra round trip. Its
	// reply either confirms the guess (→ replicate) or moves nextIndex by
	// the hints (§5.3) for the next probe. The probe doubles as the
	// heartbeat; unanswered for retryTicks, it is sent again.
	stateProbe progressState = iota

	// stateReplicate: the follower's log is known to match through
	// matchIndex. At most one AppendEntries with entries is in flight: the
	// batch (matchIndex, nextIndex). The next batch, every entry started
	// meanwhile up to maxBatchEntries, leaves when that one is
	// acknowledged. Heartbeats may go out meanwhile; they carry no entries.
	stateReplicate

	// stateSnapshot: the entry at nextIndex was compacted away, so the
	// leader sent its snapshot instead (§7, Figure 13). Nothing else is
	// sent while it is in flight. Unanswered for retryTicks, it is sent
	// again, or a probe goes instead if a late acknowledgement has raised
	// matchIndex past the snapshot meanwhile.
	stateSnapshot
)

func (s progressState) String() string {
	switch s {
	case stateProbe:
		return "probe"
	case stateReplicate:
		return "replicate"
	case stateSnapshot:
		return "snapshot"
	}
	return "unknown"
}

// progress is what a leader knows about replication to one follower.
type progress struct {
	state progressState
	match int // Figure 2's matchIndex: the follower's log matches ours through match
	next  int // Figure 2's nextIndex: the next entry to send

	probeOut  bool // stateProbe: a probe is in flight
	probeLast int  // stateProbe: the last entry the probe in flight carries
	sentAt    int  // stateProbe, stateSnapshot: when the request in flight was sent
	batchAt   int  // stateReplicate: since when the batch (match, next) has been unacknowledged

	epoch   int  // Pipelined, OneRequestInFlight: how often nextIndex moved back; a rejection of an earlier epoch's request is stale
	reqOut  bool // OneRequestInFlight: an AppendEntries is in flight, sent at sentAt
	reqFrom int  // OneRequestInFlight: nextIndex before that request left

	sinceSend  int  // ticks since the last request to this follower (heartbeat timer)
	sentCommit int  // the commit index the follower can learn from what was sent
	active     bool // CheckQuorum: the follower replied in the current window
	wantSend   bool // send what is due at the end of the turn
}

// reset is the leader's initialization after its election (Figure 2,
// volatile state on leaders: "nextIndex: initialized to leader last log
// index + 1; matchIndex: initialized to 0"). Where the follower's log
// matches is unknown: probe.
func (p *progress) reset(lastIndex int) {
	*p = progress{state: stateProbe, next: lastIndex + 1}
}

// awaitingReply reports whether the one request of stateProbe or
// stateSnapshot is in flight, which holds back everything else.
func (p *progress) awaitingReply() bool {
	return p.state == stateSnapshot || p.state == stateProbe && p.probeOut
}

// batchInFlight reports whether, in stateReplicate, a batch is
// unacknowledged.
func (p *progress) batchInFlight() bool {
	return p.state == stateReplicate && p.next-1 > p.match
}

// becomeProbe makes nextIndex a guess again, with no probe in flight: after
// a rejection (Figure 2, rules for leaders: "If AppendEntries fails because
// of log inconsistency: decrement nextIndex and retry (§5.3)", here moved
// by the hints), after a batch presumed lost (from match+1, which resends
// it), or when the next entry was compacted away (§7).
func (p *progress) becomeProbe(next int) {
	p.state = stateProbe
	p.probeOut = false
	p.next = next
}

// sentProbe records the probe that went out: entries (next-1, last]
// (§5.3: the consistency check at next-1).
func (p *progress) sentProbe(next, last, now int) {
	p.state = stateProbe
	p.next = next
	p.probeOut, p.probeLast, p.sentAt = true, last, now
}

// becomeSnapshot records that the snapshot went out because the entry at
// next was compacted away (§7: "the leader must occasionally send
// snapshots to followers that lag behind"; Figure 13).
func (p *progress) becomeSnapshot(next, now int) {
	p.state = stateSnapshot
	p.next = next
	p.probeOut, p.sentAt = false, now
}

// becomeReplicate ends probing when a reply shows that the follower holds
// everything through acked: replication resumes after it, or after
// matchIndex if a late reply raised that further (Figure 2, rules for
// leaders: "If successful: update nextIndex and matchIndex for follower
// (§5.3)").
func (p *progress) becomeReplicate(acked int) {
	p.state = stateReplicate
	p.probeOut = false
	p.next = max(p.next, acked+1, p.match+1)
}

// sentBatch records, in stateReplicate, the batch (next-1, last] that went
// out: it is in flight until matchIndex reaches it.
func (p *progress) sentBatch(last, now int) {
	p.next = last + 1
	p.batchAt = now
}

// acked raises matchIndex to acked, the last entry of a request the
// follower acknowledged (Figure 2: matchIndex is the "highest log entry
// known to be replicated"), and reports whether it rose. It never falls:
// replies may come late or twice. In stateReplicate, a rise restarts the
// timer of the batch in flight.
func (p *progress) acked(acked, now int) bool {
	if acked <= p.match {
		return false
	}
	p.match = acked
	p.batchAt = now
	return true
}

// endsProbe reports whether a success for (prev, last] may end probing: in
// stateProbe with a probe in flight, only the probe's own reply does
// (another is a late answer to an earlier request, and going on would put
// a second request with entries in flight); in stateSnapshot only the
// snapshot's reply does.
func (p *progress) endsProbe(prev, last int) bool {
	switch p.state {
	case stateSnapshot:
		return false
	case stateProbe:
		return !p.probeOut || prev == p.next-1 && last == p.probeLast
	}
	return true
}

// staleRejection reports whether a rejection of an AppendEntries after
// prev is a late or duplicated answer to an earlier request: the follower
// holds prev (prev <= matchIndex), or, while probing, it is not the answer
// to a probe from nextIndex.
func (p *progress) staleRejection(prev int) bool {
	return prev <= p.match || p.state != stateReplicate && prev != p.next-1
}
