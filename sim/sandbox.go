package sim

import (
	"time"

	"github.com/raftlab/raftlab/trace"
)

// Read-only views of a running cluster for the browser sandbox
// (wasm/sandbox), which draws the world between steps. Like every Cluster
// method they run on the scenario's goroutine, or after Run returned.

// InFlight is one message on the simulated wire: sent, not yet arrived.
type InFlight struct {
	From, To int
	// Sent is when it was sent, as far as the recent events tell (-1 if
	// the send is no longer among them: the ring of Config.TimelineLen
	// events is all the world keeps).
	Sent    time.Duration
	Arrive  time.Duration  // when it arrives (or is discarded)
	Message *trace.Message // its kind and salient fields
	Summary string         // one line, as a timeline shows it
}

// InFlight lists the messages in flight, in the order they arrive.
// Messages held for a paused node are not in flight: they arrive when it
// resumes.
func (c *Cluster) InFlight() []InFlight {
	recent := c.rec.last()
	var out []InFlight
	var seqs []uint64
	for i := range len(c.q.keys) {
		ev, seq := c.q.other(i)
		if ev.kind != evDeliver || ev.msg == nil {
			continue
		}
		m := ev.msg
		out = append(out, InFlight{From: m.from, To: m.to, Sent: sentAt(recent, m, ev.at), Arrive: ev.at, Message: m.sum.message(), Summary: m.sum.String()})
		seqs = append(seqs, seq)
	}
	// The agenda is a heap: sort by (arrival, from, to) for a stable
	// view, and messages that tie by the order they were scheduled in.
	sortInFlight(out, seqs)
	return out
}

// sentAt finds the latest send of m's summary from m.from to m.to no later
// than its arrival: exact for all but identical messages between the same
// pair (two heartbeats), where it may name the later of the two sends.
func sentAt(recent []record, m *message, arrive time.Duration) time.Duration {
	for i := len(recent) - 1; i >= 0; i-- {
		r := &recent[i]
		if r.kind == trace.KindSend && r.node == m.from && r.peer == m.to && r.sum == m.sum && r.at <= arrive {
			return r.at
		}
	}
	return -1
}

// sortInFlight sorts ms by (arrival, from, to, seq), where seqs[i] is the
// agenda's seq of ms[i] (sorted along).
func sortInFlight(ms []InFlight, seqs []uint64) {
	less := func(i, j int) bool {
		a, b := &ms[i], &ms[j]
		if a.Arrive != b.Arrive {
			return a.Arrive < b.Arrive
		}
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return seqs[i] < seqs[j]
	}
	// Insertion sort: the list is short (tens of messages).
	for i := 1; i < len(ms); i++ {
		for j := i; j > 0 && less(j, j-1); j-- {
			ms[j], ms[j-1] = ms[j-1], ms[j]
			seqs[j], seqs[j-1] = seqs[j-1], seqs[j]
		}
	}
}

// Recent returns the last Config.TimelineLen events, oldest first, as
// trace events.
func (c *Cluster) Recent() []trace.Event {
	recs := c.rec.last()
	out := make([]trace.Event, len(recs))
	for i := range recs {
		out[i] = recs[i].event()
	}
	return out
}

// Log returns node i's log after its snapshot: the index of the first
// entry and the term of each. A running node is asked (InspectLog, under
// the same guard as the checkers' calls); a crashed node's log is the one
// the checkers saw after its last turn (nil without checkers).
func (c *Cluster) Log(i int) (first int, terms []int) {
	sn := c.node(i)
	if sn.up && sn.node != nil && c.failed == nil { // after a failure, never call into a node again
		v := c.inspectLog(sn)
		return v.FirstIndex, v.Terms
	}
	if i < len(c.check.shadows) {
		s := &c.check.shadows[i]
		return s.first, s.terms
	}
	return sn.last.SnapshotIndex + 1, nil
}

// Hash is the run's determinism hash so far: over every event and state
// change, so two runs that agree on it took the same course.
func (c *Cluster) Hash() uint64 { return c.rec.hash }

// Pending reports how many events the agenda holds, and the time of the
// latest: running to that time can never skip past the agenda's end.
func (c *Cluster) Pending() (n int, last time.Duration) {
	return c.q.len(), c.q.lastAt()
}

// Failed returns the run's failure so far (nil if none). A scenario that
// keeps calling the Cluster after a failure never sees it: the failing
// call ends the scenario. It is for reading the world after Run returned.
func (c *Cluster) Failed() *Failure { return c.failed }
