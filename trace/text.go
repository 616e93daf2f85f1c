package trace

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ---- JSON: exactly the fields of each kind, compactly ----

// object appends the members of one JSON object.
type object struct {
	b []byte
	n int
}

func (o *object) key(k string) {
	if o.n > 0 {
		o.b = append(o.b, ',')
	}
	o.n++
	o.b = append(o.b, '"')
	o.b = append(o.b, k...)
	o.b = append(o.b, '"', ':')
}

// int writes k when the kind has it (req) or it is not zero.
func (o *object) int(k string, v int64, req bool) {
	if req || v != 0 {
		o.key(k)
		o.b = strconv.AppendInt(o.b, v, 10)
	}
}

func (o *object) bool(k string, v, req bool) {
	if req || v {
		o.key(k)
		o.b = strconv.AppendBool(o.b, v)
	}
}

func (o *object) str(k, v string, req bool) error {
	if req || v != "" {
		return o.value(k, v)
	}
	return nil
}

func (o *object) value(k string, v any) error {
	j, err := json.Marshal(v)
	if err != nil {
		return err
	}
	o.key(k)
	o.b = append(o.b, j...)
	return nil
}

func (o *object) close() []byte { return append(o.b, '}') }

// MarshalJSON writes the message's kind, term and the fields of its kind
// (zeros included), and any other field that is not zero.
func (m Message) MarshalJSON() ([]byte, error) {
	o := object{b: make([]byte, 0, 128)}
	o.b = append(o.b, '{')
	if err := o.str("kind", m.Kind, true); err != nil {
		return nil, err
	}
	o.int("term", int64(m.Term), true)
	if m.Call != 0 {
		o.key("call")
		o.b = strconv.AppendUint(o.b, m.Call, 10)
	}
	k := m.Kind
	rv, ae, is := k == MsgRequestVote, k == MsgAppendEntries, k == MsgInstallSnapshot
	o.int("candidate", int64(m.Candidate), rv)
	o.int("last_log_index", int64(m.LastLogIndex), rv)
	o.int("last_log_term", int64(m.LastLogTerm), rv)
	o.bool("prevote", m.PreVote, false)
	o.bool("granted", m.Granted, k == MsgRequestVoteReply)
	o.int("prev_log_index", int64(m.PrevLogIndex), ae)
	o.int("prev_log_term", int64(m.PrevLogTerm), ae)
	o.int("entries", int64(m.Entries), ae)
	o.int("leader_commit", int64(m.LeaderCommit), ae)
	aer := k == MsgAppendEntriesReply
	o.bool("success", m.Success, aer)
	fail := aer && !m.Success
	o.int("xterm", int64(m.XTerm), fail)
	o.int("xindex", int64(m.XIndex), fail)
	o.int("xlen", int64(m.XLen), fail)
	o.int("last_included_index", int64(m.LastIncludedIndex), is)
	o.int("last_included_term", int64(m.LastIncludedTerm), is)
	o.int("bytes", int64(m.Bytes), is)
	return o.close(), nil
}

// MarshalJSON writes t, kind, node, peer and the fields of the event's
// kind (zeros included: an index of 0 is written, not left out), and any
// other field that is set.
func (e Event) MarshalJSON() ([]byte, error) {
	o := object{b: make([]byte, 0, 160)}
	o.b = append(o.b, '{')
	o.int("t", e.T, true)
	if err := o.str("kind", e.Kind, true); err != nil {
		return nil, err
	}
	o.int("node", int64(e.Node), true)
	o.int("peer", int64(e.Peer), true)
	if e.Msg != nil {
		j, err := e.Msg.MarshalJSON()
		if err != nil {
			return nil, err
		}
		o.key("msg")
		o.b = append(o.b, j...)
	}
	if err := o.str("fault", e.Fault, false); err != nil {
		return nil, err
	}
	if err := o.str("reason", e.Reason, false); err != nil {
		return nil, err
	}
	k := e.Kind
	o.int("index", int64(e.Index), k == KindStart || k == KindApply || k == KindSnapshot)
	o.int("term", int64(e.Term), k == KindStart || k == KindApply)
	o.bool("snapshot", e.Snapshot, false)
	if e.Groups != nil {
		if err := o.value("groups", e.Groups); err != nil {
			return nil, err
		}
	}
	if e.Net != nil {
		if err := o.value("net", e.Net); err != nil {
			return nil, err
		}
	}
	if err := o.str("text", e.Text, false); err != nil {
		return nil, err
	}
	if err := o.str("rule", e.Rule, k == KindFailure); err != nil {
		return nil, err
	}
	return o.close(), nil
}

// ---- text derived from the fields, for people ----

// String summarises the message on one line, e.g. "AppendEntries t=3
// prev=4/2 n=2 commit=4 #7" (index/term pairs are written I/T; #7 is the
// request's call, and its reply ends "reply to #7").
func (m *Message) String() string {
	s := m.fields()
	switch {
	case m.Call == 0:
	case m.IsReply():
		s += " reply to #" + strconv.FormatUint(m.Call, 10)
	default:
		s += " #" + strconv.FormatUint(m.Call, 10)
	}
	return s
}

// IsReply reports whether m is a reply (of any of the three RPCs).
func (m *Message) IsReply() bool {
	switch m.Kind {
	case MsgRequestVoteReply, MsgAppendEntriesReply, MsgInstallSnapshotReply:
		return true
	}
	return false
}

// fields is String without the call.
func (m *Message) fields() string {
	switch m.Kind {
	case MsgRequestVote:
		pre := ""
		if m.PreVote {
			pre = " pre-vote"
		}
		return fmt.Sprintf("RequestVote%s t=%d cand=%d last=%d/%d", pre, m.Term, m.Candidate, m.LastLogIndex, m.LastLogTerm)
	case MsgRequestVoteReply:
		if m.PreVote {
			return fmt.Sprintf("RequestVoteReply pre-vote t=%d granted=%t", m.Term, m.Granted)
		}
		return fmt.Sprintf("RequestVoteReply t=%d granted=%t", m.Term, m.Granted)
	case MsgAppendEntries:
		if m.Entries == 0 {
			return fmt.Sprintf("AppendEntries t=%d prev=%d/%d heartbeat commit=%d", m.Term, m.PrevLogIndex, m.PrevLogTerm, m.LeaderCommit)
		}
		return fmt.Sprintf("AppendEntries t=%d prev=%d/%d n=%d commit=%d", m.Term, m.PrevLogIndex, m.PrevLogTerm, m.Entries, m.LeaderCommit)
	case MsgAppendEntriesReply:
		if m.Success {
			return fmt.Sprintf("AppendEntriesReply t=%d ok", m.Term)
		}
		return fmt.Sprintf("AppendEntriesReply t=%d fail xterm=%d xindex=%d xlen=%d", m.Term, m.XTerm, m.XIndex, m.XLen)
	case MsgInstallSnapshot:
		return fmt.Sprintf("InstallSnapshot t=%d last=%d/%d bytes=%d", m.Term, m.LastIncludedIndex, m.LastIncludedTerm, m.Bytes)
	case MsgInstallSnapshotReply:
		return fmt.Sprintf("InstallSnapshotReply t=%d", m.Term)
	}
	return fmt.Sprintf("%s t=%d", m.Kind, m.Term)
}

// Summary is what the event carries besides its ends, on one line: the
// message, or what was started, applied or snapshotted ("index 5 term 2",
// "snapshot through 9/2", "through index 9"); "" for other kinds.
func (e *Event) Summary() string {
	if e.Msg != nil {
		return e.Msg.String()
	}
	switch e.Kind {
	case KindStart:
		return fmt.Sprintf("index %d term %d", e.Index, e.Term)
	case KindApply:
		if e.Snapshot {
			return fmt.Sprintf("snapshot through %d/%d", e.Index, e.Term)
		}
		return fmt.Sprintf("index %d term %d", e.Index, e.Term)
	case KindSnapshot:
		return fmt.Sprintf("through index %d", e.Index)
	}
	return ""
}

// Detail says in words why a message was lost or discarded, what a
// partition, heal or network change did, or a note's text or a failure's
// rule; "" when there is nothing to add.
func (e *Event) Detail() string {
	switch e.Kind {
	case KindSend:
		if e.Reason == ReasonScenario {
			return "dropped by the scenario"
		}
		if e.Fault == FaultScripted {
			return e.Text
		}
	case KindDiscard:
		switch e.Reason {
		case ReasonCrashed:
			return "destination is down"
		case ReasonStale:
			return "reply to a crashed incarnation"
		case ReasonCut:
			return "link cut in flight"
		}
		return e.Reason
	case KindPartition:
		switch {
		case e.Groups != nil:
			return fmt.Sprint(e.Groups)
		case e.Node >= 0 && e.Peer >= 0:
			return "link cut"
		case e.Node >= 0:
			return "isolated"
		}
	case KindHeal:
		switch {
		case e.Node >= 0 && e.Peer >= 0:
			return "link mended"
		case e.Node >= 0:
			return "reconnected"
		}
	case KindNetwork:
		if n := e.Net; n != nil {
			us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
			return fmt.Sprintf("drop=%.2f dup=%.2f delay=%s..%s long=%.2f/%s", n.DropRate, n.DupRate,
				us(n.DelayMinMicros), us(n.DelayMaxMicros), n.LongDelayRate, us(n.LongDelayMicros))
		}
	case KindFailure:
		return e.Rule
	}
	return e.Text
}

// Lost reports whether a send's message never left: the network lost it,
// its link was cut or the scenario dropped it.
func (e *Event) Lost() bool { return e.Kind == KindSend && e.Reason != "" }

// Tag is the short name of what happened to a sent message, as a
// timeline shows it in brackets: "drop" (lost), "cut", "scripted" (the
// scenario decided), "dup" or "long-delay"; "" if nothing happened to it.
func (e *Event) Tag() string {
	switch e.Reason {
	case ReasonLoss:
		return "drop"
	case ReasonScenario:
		return FaultScripted
	case "":
		return e.Fault
	}
	return e.Reason
}

// String renders the event as one line of a failure report's timeline
// (without the time), e.g. "n0 → n1  AppendEntries t=1 prev=0/0 heartbeat
// commit=0  [drop]" or "n2 discard RequestVoteReply t=1 granted=true (peer
// n0)  (destination is down)".
func (e *Event) String() string {
	var b strings.Builder
	msgEv := e.Kind == KindSend || e.Kind == KindDeliver
	switch {
	case e.Kind == KindSend:
		fmt.Fprintf(&b, "n%d → n%d  %s", e.Node, e.Peer, e.Summary())
	case e.Kind == KindDeliver:
		fmt.Fprintf(&b, "n%d ← n%d  %s", e.Node, e.Peer, e.Summary())
	case e.Node >= 0:
		fmt.Fprintf(&b, "n%d %s", e.Node, e.Kind)
	default:
		b.WriteString(e.Kind)
	}
	if s := e.Summary(); s != "" && !msgEv {
		b.WriteString(" " + s)
	}
	if e.Peer >= 0 && !msgEv {
		fmt.Fprintf(&b, " (peer n%d)", e.Peer)
	}
	if e.Kind == KindSend {
		if f := e.Tag(); f != "" {
			fmt.Fprintf(&b, "  [%s]", f)
		}
	}
	if d := e.Detail(); d != "" {
		fmt.Fprintf(&b, "  (%s)", d)
	}
	return b.String()
}
