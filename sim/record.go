package sim

import (
	"fmt"
	"strings"
	"time"

	"github.com/raftlab/raftlab/trace"
)

// record is one event as the recorder keeps it: numbers, not text, so that
// recording costs almost nothing; text is made only for reports and traces.
type record struct {
	at    time.Duration
	kind  string // a trace.Kind* constant
	node  int
	peer  int
	fault uint8
	sum   summary // messages
	n, m  int     // apply/snapshot/start: index, term
	text  string
}

func (r *record) msg() string {
	switch r.kind {
	case trace.KindSend, trace.KindDeliver, trace.KindDiscard:
		return r.sum.String()
	case trace.KindApply:
		if r.text == "snapshot" {
			return fmt.Sprintf("snapshot through %d/%d", r.n, r.m)
		}
		return fmt.Sprintf("index %d term %d", r.n, r.m)
	case trace.KindStart:
		return fmt.Sprintf("index %d term %d", r.n, r.m)
	case trace.KindSnapshot:
		return fmt.Sprintf("through index %d", r.n)
	}
	return ""
}

func (r *record) detail() string {
	switch r.kind {
	case trace.KindApply, trace.KindSnapshot:
		return ""
	}
	return r.text
}

func (r *record) event() trace.Event {
	return trace.Event{T: r.at.Microseconds(), Kind: r.kind, Node: r.node, Peer: r.peer,
		Msg: r.msg(), Fault: faultNames[r.fault], Detail: r.detail()}
}

// recorder keeps the last events in a ring for failure reports, every event
// and state change when the trace is on, and the run's determinism hash.
type recorder struct {
	ring   []record
	next   int
	full   bool
	trace  bool
	events []record
	states []trace.State
	hash   uint64
}

func (r *recorder) init(cfg Config) {
	r.ring = make([]record, cfg.TimelineLen)
	r.trace = cfg.RecordTrace
	r.hash = 14695981039346656037
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
		r.events = append(r.events, e)
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
	st := traceState(sn, now.Microseconds())
	st.Seq = len(r.events)
	r.states = append(r.states, st)
}

func traceState(sn *simNode, at int64) trace.State {
	s := &sn.last
	return trace.State{T: at, Node: sn.id, Up: sn.up, Role: s.Role.String(), Term: s.Term, VotedFor: s.VotedFor,
		LastIndex: s.LastIndex, LastTerm: s.LastTerm, CommitIndex: s.CommitIndex, LastApplied: s.LastApplied,
		SnapshotIndex: s.SnapshotIndex, SnapshotTerm: s.SnapshotTerm}
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
	var b strings.Builder
	fmt.Fprintf(&b, "%9s  ", fmtTime(r.at))
	switch {
	case r.kind == trace.KindSend:
		fmt.Fprintf(&b, "n%d → n%d  %s", r.node, r.peer, r.sum)
	case r.kind == trace.KindDeliver:
		fmt.Fprintf(&b, "n%d ← n%d  %s", r.node, r.peer, r.sum)
	case r.node >= 0:
		fmt.Fprintf(&b, "n%d %s", r.node, r.kind)
	default:
		b.WriteString(r.kind)
	}
	if m := r.msg(); m != "" && r.kind != trace.KindSend && r.kind != trace.KindDeliver {
		b.WriteString(" " + m)
	}
	if r.peer >= 0 && r.kind != trace.KindSend && r.kind != trace.KindDeliver {
		fmt.Fprintf(&b, " (peer n%d)", r.peer)
	}
	if f := faultNames[r.fault]; f != "" {
		fmt.Fprintf(&b, "  [%s]", f)
	}
	if d := r.detail(); d != "" {
		fmt.Fprintf(&b, "  (%s)", d)
	}
	return b.String()
}

// fmtTime prints simulated time as seconds with millisecond precision.
func fmtTime(d time.Duration) string {
	return fmt.Sprintf("%.3fs", d.Seconds())
}
