package sim

import (
	"fmt"
	"slices"
	"time"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/trace"
)

// record is one event as the recorder keeps it: numbers, not text, so that
// recording costs almost nothing. The trace's typed event (and from it any
// text) is made from it only for reports and traces.
type record struct {
	at    time.Duration
	kind  string // a trace.Kind* constant
	node  int
	peer  int
	fault uint8
	sum   summary // messages
	n, m  int     // apply/snapshot/start: index, term
	text  string  // a note, a failure's rule, a discard's reason in words, a scripted fault's description, "snapshot" for an applied snapshot
	data  any     // partition: the groups ([][]int); network: the new Network
}

// message is the trace's form of a message summary. The fields of the
// message's kind come from Msg, the one decoding of a summary; the others
// are zero, and the trace writes only a kind's own fields.
func (s *summary) message() *trace.Message {
	m := s.msg(-1, -1)
	return &trace.Message{Kind: m.Kind.String(), Term: m.Term, Call: s.call,
		Candidate: m.CandidateID, LastLogIndex: m.LastLogIndex, LastLogTerm: m.LastLogTerm, PreVote: m.PreVote, Granted: m.VoteGranted,
		PrevLogIndex: m.PrevLogIndex, PrevLogTerm: m.PrevLogTerm, Entries: m.Entries, LeaderCommit: m.LeaderCommit,
		Success: m.Success, XTerm: m.XTerm, XIndex: m.XIndex, XLen: m.XLen,
		LastIncludedIndex: m.LastIncludedIndex, LastIncludedTerm: m.LastIncludedTerm, Bytes: m.Bytes}
}

// Why a message was discarded on arrival, as network.go's deliver words it.
var discardReasons = map[string]string{
	"destination is down":            trace.ReasonCrashed,
	"reply to a crashed incarnation": trace.ReasonStale,
	"link cut in flight":             trace.ReasonCut,
}

// scenarioDrop is how network.go's send words a message the scenario's
// interceptor dropped.
const scenarioDrop = "dropped by the scenario"

func (r *record) event() trace.Event {
	e := trace.Event{T: r.at.Microseconds(), Kind: r.kind, Node: r.node, Peer: r.peer}
	switch r.kind {
	case trace.KindSend:
		e.Msg = r.sum.message()
		switch r.fault {
		case faultDrop:
			e.Reason = trace.ReasonLoss
		case faultCut:
			e.Reason = trace.ReasonCut
		case faultDup:
			e.Fault = trace.FaultDup
		case faultLong:
			e.Fault = trace.FaultLongDelay
		case faultHeld:
			if r.text == scenarioDrop {
				e.Reason = trace.ReasonScenario
			} else {
				e.Fault, e.Text = trace.FaultScripted, r.text
			}
		}
	case trace.KindDeliver:
		e.Msg = r.sum.message()
	case trace.KindDiscard:
		e.Msg = r.sum.message()
		if reason, ok := discardReasons[r.text]; ok {
			e.Reason = reason
		} else {
			e.Reason, e.Text = "other", r.text // a new kind of discard: the schema refuses it, so a test names it
		}
	case trace.KindStart:
		e.Index, e.Term = r.n, r.m
	case trace.KindApply:
		e.Index, e.Term, e.Snapshot = r.n, r.m, r.text == "snapshot"
	case trace.KindSnapshot:
		e.Index = r.n
	case trace.KindPartition:
		if g, ok := r.data.([][]int); ok {
			e.Groups = g
		}
	case trace.KindNetwork:
		if n, ok := r.data.(Network); ok {
			e.Net = &trace.Network{DropRate: n.DropRate, DupRate: n.DupRate,
				DelayMinMicros: n.DelayMin.Microseconds(), DelayMaxMicros: n.DelayMax.Microseconds(),
				LongDelayRate: n.LongDelayRate, LongDelayMicros: n.LongDelayMax.Microseconds()}
		}
	case trace.KindFailure:
		e.Rule = r.text
	case trace.KindNote:
		e.Text = r.text
	}
	return e
}

// partitionGroups completes the groups of a Partition call: the nodes
// named in no group form one more group, so that the trace lists every
// node once and its readers need not know that rule.
func partitionGroups(n int, groups [][]int) [][]int {
	out := make([][]int, 0, len(groups)+1)
	named := make([]bool, n)
	for _, g := range groups {
		out = append(out, slices.Clone(g))
		for _, i := range g {
			if i >= 0 && i < n {
				named[i] = true
			}
		}
	}
	var rest []int
	for i, ok := range named {
		if !ok {
			rest = append(rest, i)
		}
	}
	if rest != nil {
		out = append(out, rest)
	}
	return out
}

// recorder keeps the last events in a ring for failure reports, every event
// and state change when the trace is on (up to Config.TraceLimit), and the
// run's determinism hash (over every event, kept or not).
type recorder struct {
	ring   []record
	next   int
	full   bool
	trace  bool
	events []record
	states []trace.State
	hash   uint64

	// A trace keeps its first head events and, in tail (a ring), the last
	// ones; traced counts every event the trace saw, statesLeft the state
	// changes it does not keep (those after the head, once the tail's ring
	// has wrapped).
	head       int
	tail       []record
	tailNext   int
	traced     int64
	statesLeft int
}

func (r *recorder) init(cfg Config) {
	r.ring = make([]record, cfg.TimelineLen)
	r.trace = cfg.RecordTrace
	r.hash = 14695981039346656037
	if r.trace {
		r.tail = make([]record, 0, cfg.TraceLimit/5)
		r.head = cfg.TraceLimit - cap(r.tail)
	}
}

// keep adds e to the trace: to the head while it has room, then to the
// tail's ring.
func (r *recorder) keep(e record) {
	r.traced++
	switch {
	case len(r.events) < r.head:
		r.events = append(r.events, e)
	case len(r.tail) < cap(r.tail):
		r.tail = append(r.tail, e)
	case len(r.tail) > 0:
		r.tail[r.tailNext] = e
		r.tailNext = (r.tailNext + 1) % len(r.tail)
	}
}

// truncated reports whether the trace left events out.
func (r *recorder) truncated() bool { return r.traced > int64(len(r.events)+len(r.tail)) }

// tailInOrder returns the tail's events, oldest first.
func (r *recorder) tailInOrder() []record {
	return append(append([]record(nil), r.tail[r.tailNext:]...), r.tail[:r.tailNext]...)
}

func (r *recorder) mix(v uint64) {
	r.hash ^= v
	r.hash *= 1099511628211
}

func (r *recorder) mixString(s string) {
	for i := 0; i < len(s); i++ {
		r.mix(uint64(s[i]))
	}
}

func (r *recorder) add(e record) {
	r.mix(uint64(e.at))
	r.mixString(e.kind)
	r.mix(uint64(e.node)<<32 ^ uint64(e.peer)<<8 ^ uint64(e.fault))
	s := e.sum
	r.mix(uint64(s.kind)<<56 ^ uint64(s.a))
	r.mix(uint64(s.b)<<32 ^ uint64(s.c))
	r.mix(uint64(s.d)<<32 ^ uint64(s.e))
	r.mix(uint64(e.n)<<32 ^ uint64(e.m))
	if len(r.ring) > 0 {
		r.ring[r.next] = e
		r.next++
		if r.next == len(r.ring) {
			r.next, r.full = 0, true
		}
	}
	if r.trace {
		r.keep(e)
	}
}

func (r *recorder) state(sn *simNode, now time.Duration) {
	s := &sn.last
	r.mix(uint64(sn.id) ^ uint64(s.Role)<<8 ^ uint64(s.Term)<<16)
	r.mix(uint64(s.VotedFor) ^ uint64(s.LastIndex)<<20 ^ uint64(s.LastTerm)<<40)
	r.mix(uint64(s.CommitIndex) ^ uint64(s.LastApplied)<<20 ^ uint64(s.SnapshotIndex)<<40 ^ uint64(s.SnapshotTerm)<<50)
	if !r.trace {
		return
	}
	r.keepState(sn, now)
}

// keepState adds sn's state to the trace, numbered by the events traced
// so far (kept or not, so that buildTrace can place it against the head
// and the tail).
func (r *recorder) keepState(sn *simNode, now time.Duration) {
	if r.traced > int64(r.head+cap(r.tail)) { // the tail's ring wraps: its states would point at lost events
		r.statesLeft++
		return
	}
	st := traceState(sn, now.Microseconds())
	st.Seq = int(r.traced)
	r.states = append(r.states, st)
}

// progress records sn's state in the trace after a turn that changed
// nothing state() watches but the leader's nextIndex or matchIndex (prev
// is the state before the turn), so that a trace shows a leader's view of
// each follower move by move. It is not mixed into the hash: the hash is
// over what the checkers read, the same with the trace on or off.
func (r *recorder) progress(sn *simNode, prev *raftapi.NodeState, now time.Duration) {
	s := &sn.last
	if !r.trace || slices.Equal(prev.NextIndex, s.NextIndex) && slices.Equal(prev.MatchIndex, s.MatchIndex) {
		return
	}
	r.keepState(sn, now)
}

func traceState(sn *simNode, at int64) trace.State {
	s := &sn.last
	st := trace.State{T: at, Node: sn.id, Up: sn.up, Role: s.Role.String(), Term: s.Term, VotedFor: s.VotedFor,
		LastIndex: s.LastIndex, LastTerm: s.LastTerm, CommitIndex: s.CommitIndex, LastApplied: s.LastApplied,
		SnapshotIndex: s.SnapshotIndex, SnapshotTerm: s.SnapshotTerm}
	// A crash keeps the last Inspect's progress in sn.last but makes the
	// node a follower: only a live leader's progress is its own.
	if sn.up && s.Role == raftapi.Leader {
		st.NextIndex, st.MatchIndex = trace.NewIndexes(s.NextIndex), trace.NewIndexes(s.MatchIndex)
	}
	return st
}

// last returns the ring's records, oldest first.
func (r *recorder) last() []record {
	if !r.full {
		return append([]record(nil), r.ring[:r.next]...)
	}
	return append(append([]record(nil), r.ring[r.next:]...), r.ring[:r.next]...)
}

// timeline renders records as short lines for a failure report.
func timeline(recs []record) []string {
	out := make([]string, 0, len(recs))
	for i := range recs {
		out = append(out, formatRecord(&recs[i]))
	}
	return out
}

func formatRecord(r *record) string {
	e := r.event()
	return fmtTime(r.at) + "  " + e.String()
}

// fmtTime prints simulated time as seconds with millisecond precision.
func fmtTime(d time.Duration) string {
	return fmt.Sprintf("%.3fs", d.Seconds())
}
