package sim

import (
	"fmt"
	"time"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/trace"
)

// Faults recorded with a message.
const (
	faultNone uint8 = iota
	faultDrop
	faultCut
	faultDup
	faultLong
	faultHeld
)

// send puts m on the wire: it is counted, then cut, dropped, delayed or
// duplicated as the network says. Called during the sender's turn; the
// message cannot arrive before the turn ends because every delay is
// positive.
func (c *Cluster) send(m *message) {
	c.stats.sent(m)
	var v Verdict
	if c.intercept != nil {
		v = c.intercept(m.sum.msg(m.from, m.to))
	}
	if !c.links[m.from][m.to] {
		c.stats.Cut++
		c.rec.add(record{at: c.now, kind: trace.KindSend, node: m.from, peer: m.to, sum: m.sum, fault: faultCut})
		return
	}
	if v.Drop {
		c.stats.Dropped++
		c.rec.add(record{at: c.now, kind: trace.KindSend, node: m.from, peer: m.to, sum: m.sum, fault: faultHeld, text: "dropped by the scenario"})
		return
	}
	if v != (Verdict{}) {
		c.rec.add(record{at: c.now, kind: trace.KindSend, node: m.from, peer: m.to, sum: m.sum, fault: faultHeld,
			text: fmt.Sprintf("scenario: delay %s, duplicate %t (%s)", v.Delay, v.Dup, v.DupDelay)})
		c.schedule(m, v.Delay)
		if v.Dup {
			c.stats.Duplicated++
			c.schedule(m, v.DupDelay)
		}
		return
	}
	if c.net.DropRate > 0 && c.netR.Float64() < c.net.DropRate {
		c.stats.Dropped++
		c.rec.add(record{at: c.now, kind: trace.KindSend, node: m.from, peer: m.to, sum: m.sum, fault: faultDrop})
		return
	}
	copies := 1
	fault := faultNone
	if c.net.DupRate > 0 && c.netR.Float64() < c.net.DupRate {
		copies = 2
		fault = faultDup
		c.stats.Duplicated++
	}
	for i := range copies {
		d, long := c.delay()
		if long && fault == faultNone {
			fault = faultLong
		}
		if i == 0 {
			c.rec.add(record{at: c.now, kind: trace.KindSend, node: m.from, peer: m.to, sum: m.sum, fault: fault})
		}
		c.pushMessage(m, c.now+d)
	}
}

// schedule delivers m after exactly d, or after a random delay if d is 0.
func (c *Cluster) schedule(m *message, d time.Duration) {
	if d <= 0 {
		d, _ = c.delay()
	}
	c.pushMessage(m, c.now+d)
}

// delay draws one message's delay: uniform in [DelayMin, DelayMax], or,
// with probability LongDelayRate, uniform up to LongDelayMax.
func (c *Cluster) delay() (time.Duration, bool) {
	if c.net.LongDelayRate > 0 && c.netR.Float64() < c.net.LongDelayRate {
		return 1 + time.Duration(c.netR.Int64N(int64(c.net.LongDelayMax)+1)), true
	}
	lo, hi := c.net.DelayMin, c.net.DelayMax
	if hi <= lo {
		return max(lo, 1), false
	}
	return lo + time.Duration(c.netR.Int64N(int64(hi-lo)+1)), false
}

// deliver hands an arrived message to its destination: a request runs the
// handler in a turn and sends the reply back; a reply runs the callback of
// the incarnation that made the call, if it is still alive. It reports
// whether the event was kept (held for a paused node), which keeps its
// message.
func (c *Cluster) deliver(sn *simNode, ev *event) (kept bool) {
	m := ev.msg
	if !sn.up {
		c.rec.add(record{at: c.now, kind: trace.KindDiscard, node: m.to, peer: m.from, sum: m.sum, text: "destination is down"})
		return false
	}
	if m.kind.IsReply() && m.inc != uint64(sn.inc) {
		c.rec.add(record{at: c.now, kind: trace.KindDiscard, node: m.to, peer: m.from, sum: m.sum, text: "reply to a crashed incarnation"})
		return false
	}
	if sn.paused {
		sn.held = append(sn.held, *ev)
		return true
	}
	if !c.links[m.from][m.to] { // the link was cut while the message was in flight
		c.stats.Cut++
		c.rec.add(record{at: c.now, kind: trace.KindDiscard, node: m.to, peer: m.from, sum: m.sum, text: "link cut in flight"})
		return false
	}
	c.stats.delivered(m)
	c.rec.add(record{at: c.now, kind: trace.KindDeliver, node: m.to, peer: m.from, sum: m.sum})
	env := m.envelope()
	// A reply the node made with a nil onReply (or to a call too old to
	// remember) runs no turn: the host drops it, as it always did.
	c.runTurn(sn, deliverTurns[m.kind], m.from, func() error {
		_, err := sn.host.Deliver(&env)
		return err
	})
	out := sn.host.TakeOutbox()
	if m.kind == MsgRequestVote {
		// The reply is the last message of the handler's turn.
		r := &out[len(out)-1]
		c.check.voteOnWire(sn.id, m.from, &raftapi.RequestVoteArgs{Term: m.sum.a, CandidateID: m.sum.b, PreVote: m.sum.e != 0},
			&raftapi.RequestVoteReply{Term: r.Term, VoteGranted: r.OK, PreVote: r.PreVote})
	}
	c.flood.exempt = ev.released // the replies to a released pile are part of it
	c.flush(out)
	c.flood.exempt = false
	c.afterTurn(sn, false, m.kind == MsgInstallSnapshot || m.kind == MsgAppendEntries && m.sum.d > 0)
	return false
}

// deliverTurns is the turn that delivering a message of each kind runs.
var deliverTurns = [numMsgKinds]turnKind{turnRequestVote, turnRequestVoteReply, turnAppendEntries,
	turnAppendEntriesReply, turnInstallSnapshot, turnInstallSnapshotReply}
