package sim

import (
	"fmt"
	"time"

	"github.com/raftlab/raftlab/nodehost"
	"github.com/raftlab/raftlab/wire"
)

// MsgKind is the type of a message on the simulated wire: wire.Kind, next
// to the codec, so that every driver names messages the same way.
type MsgKind = wire.Kind

// The six message types, in the order of Stats.RPCs.
const (
	MsgRequestVote          = wire.KindRequestVote
	MsgRequestVoteReply     = wire.KindRequestVoteReply
	MsgAppendEntries        = wire.KindAppendEntries
	MsgAppendEntriesReply   = wire.KindAppendEntriesReply
	MsgInstallSnapshot      = wire.KindInstallSnapshot
	MsgInstallSnapshotReply = wire.KindInstallSnapshotReply
	numMsgKinds             = wire.NumKinds
)

// message is one encoded request or reply in flight: a wire.Envelope's
// contents (kept as fields, so that the counters and the recorder read
// them directly) and its summary.
type message struct {
	kind     MsgKind
	from, to int
	data     []byte  // the encoded body
	call     uint64  // the requester's call id, carried back by the reply
	inc      uint64  // the requester's incarnation, carried back by the reply
	sum      summary // for the timeline and the trace
	refs     int     // the agenda's and paused nodes' events that hold it
}

// newMessage returns a message to fill: a recycled one if any. A turn
// sends several messages and nearly all of them arrive within
// milliseconds, so a pool of the size of the traffic in flight serves the
// whole run without allocating (which under js/wasm costs more than the
// rest of a send).
func (c *Cluster) newMessage() *message {
	if n := len(c.msgPool); n > 0 {
		m := c.msgPool[n-1]
		c.msgPool = c.msgPool[:n-1]
		return m
	}
	return new(message)
}

// release drops one event's hold on m, and recycles m after the last.
func (c *Cluster) release(m *message) {
	m.refs--
	if m.refs <= 0 {
		c.recycle(m)
	}
}

// recycle returns m, which no event holds, to the pool. Its body is
// dropped with it: the node that decoded it may keep what it decoded.
func (c *Cluster) recycle(m *message) {
	*m = message{}
	c.msgPool = append(c.msgPool, m)
}

// envelope is m as the host takes it.
func (m *message) envelope() wire.Envelope {
	return wire.Envelope{Kind: m.kind, From: m.from, To: m.to, Call: m.call, Incarnation: m.inc, Body: m.data}
}

// summary holds a message's salient fields as numbers, so that recording
// an event costs no formatting; format renders them on demand.
type summary struct {
	kind          MsgKind
	a, b, c, d, e int
	call          uint64 // the requester's call id (0: unknown), which pairs a reply with its request in the trace
}

func (s summary) String() string {
	switch s.kind {
	case MsgRequestVote:
		pre := ""
		if s.e != 0 {
			pre = " pre-vote"
		}
		return fmt.Sprintf("RequestVote%s t=%d cand=%d last=%d/%d", pre, s.a, s.b, s.c, s.d)
	case MsgRequestVoteReply:
		if s.e != 0 {
			return fmt.Sprintf("RequestVoteReply pre-vote t=%d granted=%t", s.a, s.b != 0)
		}
		return fmt.Sprintf("RequestVoteReply t=%d granted=%t", s.a, s.b != 0)
	case MsgAppendEntries:
		if s.d == 0 {
			return fmt.Sprintf("AppendEntries t=%d prev=%d/%d heartbeat commit=%d", s.a, s.b, s.c, s.e)
		}
		return fmt.Sprintf("AppendEntries t=%d prev=%d/%d n=%d commit=%d", s.a, s.b, s.c, s.d, s.e)
	case MsgAppendEntriesReply:
		if s.b != 0 {
			return fmt.Sprintf("AppendEntriesReply t=%d ok", s.a)
		}
		return fmt.Sprintf("AppendEntriesReply t=%d fail xterm=%d xindex=%d xlen=%d", s.a, s.c, s.d, s.e)
	case MsgInstallSnapshot:
		return fmt.Sprintf("InstallSnapshot t=%d last=%d/%d bytes=%d", s.a, s.b, s.c, s.d)
	case MsgInstallSnapshotReply:
		return fmt.Sprintf("InstallSnapshotReply t=%d", s.a)
	}
	return "?"
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}

// summarize takes the summary of a message from the fields the host
// extracted when it was sent (no decoding), and its call id.
func summarize(o *nodehost.Message) summary {
	s := summarizeFields(o)
	s.call = o.Call
	return s
}

func summarizeFields(o *nodehost.Message) summary {
	f := &o.Fields
	switch o.Kind {
	case MsgRequestVote:
		return summary{kind: MsgRequestVote, a: f.Term, b: f.ID, c: f.Index, d: f.IndexTerm, e: b2i(f.PreVote)}
	case MsgRequestVoteReply:
		return summary{kind: MsgRequestVoteReply, a: f.Term, b: b2i(f.OK), e: b2i(f.PreVote)}
	case MsgAppendEntries:
		return summary{kind: MsgAppendEntries, a: f.Term, b: f.Index, c: f.IndexTerm, d: f.Count, e: f.Commit}
	case MsgAppendEntriesReply:
		return summary{kind: MsgAppendEntriesReply, a: f.Term, b: b2i(f.OK), c: f.IndexTerm, d: f.Index, e: f.Count}
	case MsgInstallSnapshot:
		return summary{kind: MsgInstallSnapshot, a: f.Term, b: f.Index, c: f.IndexTerm, d: f.Count}
	default:
		return summary{kind: MsgInstallSnapshotReply, a: f.Term}
	}
}

// Msg is a message on the wire as an interceptor sees it: its type, ends,
// and the fields of its type (the others are zero).
type Msg struct {
	Kind     MsgKind
	From, To int
	Term     int

	CandidateID, LastLogIndex, LastLogTerm int  // RequestVote
	PreVote                                bool // RequestVote and its reply
	VoteGranted                            bool // RequestVoteReply

	PrevLogIndex, PrevLogTerm, Entries, LeaderCommit int  // AppendEntries (Entries counts them)
	Success                                          bool // AppendEntriesReply
	XTerm, XIndex, XLen                              int  // AppendEntriesReply

	LastIncludedIndex, LastIncludedTerm int // InstallSnapshot
	Bytes                               int // InstallSnapshot: the snapshot's size
}

func (s summary) msg(from, to int) Msg {
	m := Msg{Kind: s.kind, From: from, To: to, Term: s.a}
	switch s.kind {
	case MsgRequestVote:
		m.CandidateID, m.LastLogIndex, m.LastLogTerm, m.PreVote = s.b, s.c, s.d, s.e != 0
	case MsgRequestVoteReply:
		m.VoteGranted, m.PreVote = s.b != 0, s.e != 0
	case MsgAppendEntries:
		m.PrevLogIndex, m.PrevLogTerm, m.Entries, m.LeaderCommit = s.b, s.c, s.d, s.e
	case MsgAppendEntriesReply:
		m.Success, m.XTerm, m.XIndex, m.XLen = s.b != 0, s.c, s.d, s.e
	case MsgInstallSnapshot:
		m.LastIncludedIndex, m.LastIncludedTerm, m.Bytes = s.b, s.c, s.d
	}
	return m
}

// String summarises the message as the timeline does.
func (m Msg) String() string {
	return fmt.Sprintf("%d→%d %s", m.From, m.To, m.summary())
}

func (m Msg) summary() summary {
	s := summary{kind: m.Kind, a: m.Term}
	switch m.Kind {
	case MsgRequestVote:
		s.b, s.c, s.d, s.e = m.CandidateID, m.LastLogIndex, m.LastLogTerm, b2i(m.PreVote)
	case MsgRequestVoteReply:
		s.b, s.e = b2i(m.VoteGranted), b2i(m.PreVote)
	case MsgAppendEntries:
		s.b, s.c, s.d, s.e = m.PrevLogIndex, m.PrevLogTerm, m.Entries, m.LeaderCommit
	case MsgAppendEntriesReply:
		s.b, s.c, s.d, s.e = b2i(m.Success), m.XTerm, m.XIndex, m.XLen
	case MsgInstallSnapshot:
		s.b, s.c, s.d = m.LastIncludedIndex, m.LastIncludedTerm, m.Bytes
	}
	return s
}

// Verdict is what an interceptor decides for one message. The zero Verdict
// lets the network treat the message as usual.
type Verdict struct {
	Drop  bool          // lose it
	Delay time.Duration // deliver it after exactly this long (instead of a random delay); 0: as usual
	Dup   bool          // deliver a second copy
	// DupDelay is the second copy's exact delay when Dup is set (0: a
	// random delay): a duplicate held back this long arrives after
	// everything sent since, the stale-message case.
	DupDelay time.Duration
}
