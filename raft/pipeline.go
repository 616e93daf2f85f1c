package raft

import "github.com/raftlab/raftlab/raftapi"

// The Pipelined flows: a second replication design, as correct as the
// default (Figure 2 fixes what a leader sends, not when), which the lab's
// suites must pass as well. It is the design replication.md's advice
// leads to ("send new entries from Start at once"):
//
//   - Every entry leaves at once, from Start, to every follower whose
//     nextIndex has reached it; nextIndex advances when a request leaves
//     (optimistically), so any number of requests may be in flight.
//   - A heartbeat is anchored at nextIndex-1: a follower that lost a
//     request (or got it out of order) refuses the next one, and the
//     refusal moves nextIndex back by the hints (§5.3); everything after
//     it is sent again at once.
//   - A refusal of a request sent before nextIndex last moved back is
//     stale and ignored (epoch), so that a burst of requests refused
//     after one loss costs one resend, not one per request.
//   - The snapshot (§7) is the one request that waits for its reply (or
//     retryTicks) before anything else goes out.
//
// stateProbe (after the election) and stateReplicate mean the same here;
// stateSnapshot is the snapshot in flight.
//
// OneRequestInFlight shares this code with an in-flight limit of one
// request of any kind: while an AppendEntries (heartbeat or not) is
// unanswered, nothing else goes out, not even from Start; its reply lets
// the next request go, carrying everything started meanwhile; unanswered
// for retryTicks, it is presumed lost and the leader goes on from
// matchIndex+1.

// pipeSend sends follower i everything from nextIndex to the end of the
// log, or the snapshot if nextIndex was compacted away. With heartbeat
// set it sends an empty AppendEntries if there is nothing else to send.
func (n *node) pipeSend(i int, heartbeat bool) {
	p := &n.prs[i]
	if p.state == stateSnapshot {
		if n.now-p.sentAt < retryTicks {
			return // the snapshot in flight doubles as the heartbeat
		}
		// The snapshot went unanswered: presumed lost. Go on from what
		// the follower is known to hold, which sends it again if needed.
		p.state = stateReplicate
		p.next = p.match + 1
	}
	if n.opts.Flow == OneRequestInFlight && p.reqOut {
		if n.now-p.sentAt < retryTicks {
			return // the request in flight doubles as the heartbeat
		}
		// Unanswered: presumed lost, with whatever it carried, which
		// goes again (nextIndex as it was before that request).
		p.reqOut = false
		p.next = max(p.reqFrom, p.match+1)
		p.epoch++
	}
	if p.next <= n.log.snapIndex {
		n.sendSnapshot(i)
		p.becomeSnapshot(n.log.snapIndex+1, n.now)
		return
	}
	if n.opts.Flow == OneRequestInFlight {
		if p.next <= n.log.lastIndex() || heartbeat {
			p.reqFrom = p.next
			p.next = n.sendAppend(i, p.next-1, p.next <= n.log.lastIndex()) + 1
			p.reqOut, p.sentAt = true, n.now
		}
		return
	}
	sent := false
	for p.next <= n.log.lastIndex() {
		p.next = n.sendAppend(i, p.next-1, true) + 1
		sent = true
	}
	if !sent && heartbeat {
		n.sendAppend(i, p.next-1, false)
	}
}

// tickPipelined runs a pipelining leader's timers: the snapshot presumed
// lost, heartbeats (§5.2), and telling followers about a commit index that
// advanced (at most once per tick).
func (n *node) tickPipelined() {
	for i := range n.prs {
		if i == n.me {
			continue
		}
		p := &n.prs[i]
		p.sinceSend++
		switch {
		case p.state == stateSnapshot && n.now-p.sentAt >= retryTicks:
			n.pipeSend(i, true)
		case p.sinceSend >= heartbeatTicks:
			n.pipeSend(i, true)
		case p.state != stateSnapshot && p.sentCommit < min(n.commitIndex, p.match):
			n.pipeSend(i, true)
		}
	}
}

// onPipelinedReply handles a follower's answer to an AppendEntries that
// covered (prev, last], sent in term while nextIndex had moved back epoch
// times. Success raises matchIndex (never lowers it) and runs the commit
// rule; a current refusal moves nextIndex back by the hints and resends.
func (n *node) onPipelinedReply(i, term, epoch, prev, last int, r *raftapi.AppendEntriesReply) {
	if n.role != raftapi.Leader || n.term != term {
		return // a reply to an earlier term's request
	}
	p := &n.prs[i]
	p.active = true
	if n.opts.Flow == OneRequestInFlight && epoch == p.epoch && p.reqOut {
		// The answer to the request in flight (or a late one of the
		// same epoch, which ends the wait a little early: harmless).
		p.reqOut = false
		p.wantSend = p.next <= n.log.lastIndex()
	}
	if r.Success {
		if p.acked(last, n.now) {
			n.maybeCommit()
		}
		if p.state != stateSnapshot {
			p.state = stateReplicate
			p.next = max(p.next, last+1)
		}
		return
	}
	if epoch != p.epoch || prev <= p.match || p.state == stateSnapshot {
		return // a late answer to a request sent before nextIndex moved back
	}
	next := n.nextIndexFromHint(r)
	next = max(next, p.match+1)
	next = min(next, n.log.lastIndex()+1)
	p.state = stateReplicate
	p.next = next
	p.epoch++
	p.wantSend = true
}
