package sim

import (
	"fmt"
	"time"

	"github.com/raftlab/raftlab/raftapi"
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

// call is one RPC a node made: where its reply goes. Duplicated requests
// and their replies share it, so onReply may run more than once.
type call struct {
	node, inc int
	onRV      func(*raftapi.RequestVoteReply)
	onAE      func(*raftapi.AppendEntriesReply)
	onIS      func(*raftapi.InstallSnapshotReply)
	// Fields of the request that the wire checkers and summaries need
	// when its reply comes back.
	preVote bool
}

// message is one encoded request or reply in flight.
type message struct {
	kind     MsgKind
	from, to int
	data     []byte
	call     *call
	sum      summary // for the timeline and the trace
}

// summary holds a message's salient fields as numbers, so that recording
// an event costs no formatting; format renders them on demand.
type summary struct {
	kind          MsgKind
	a, b, c, d, e int
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

func sumRV(a *raftapi.RequestVoteArgs) summary {
	return summary{MsgRequestVote, a.Term, a.CandidateID, a.LastLogIndex, a.LastLogTerm, b2i(a.PreVote)}
}
func sumRVR(a *raftapi.RequestVoteReply) summary {
	return summary{kind: MsgRequestVoteReply, a: a.Term, b: b2i(a.VoteGranted), e: b2i(a.PreVote)}
}
func sumAE(a *raftapi.AppendEntriesArgs) summary {
	return summary{MsgAppendEntries, a.Term, a.PrevLogIndex, a.PrevLogTerm, len(a.Entries), a.LeaderCommit}
}
func sumAER(a *raftapi.AppendEntriesReply) summary {
	return summary{MsgAppendEntriesReply, a.Term, b2i(a.Success), a.XTerm, a.XIndex, a.XLen}
}
func sumIS(a *raftapi.InstallSnapshotArgs) summary {
	return summary{kind: MsgInstallSnapshot, a: a.Term, b: a.LastIncludedIndex, c: a.LastIncludedTerm, d: len(a.Data)}
}
func sumISR(a *raftapi.InstallSnapshotReply) summary {
	return summary{kind: MsgInstallSnapshotReply, a: a.Term}
}

// encodeReply encodes the reply a handler filled in.
func encodeReply(kind MsgKind, rv *raftapi.RequestVoteReply, ae *raftapi.AppendEntriesReply, is *raftapi.InstallSnapshotReply) ([]byte, summary) {
	switch kind {
	case MsgRequestVoteReply:
		return wire.AppendRequestVoteReply(nil, rv), sumRVR(rv)
	case MsgAppendEntriesReply:
		return wire.AppendAppendEntriesReply(nil, ae), sumAER(ae)
	default:
		return wire.AppendInstallSnapshotReply(nil, is), sumISR(is)
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
		m.LastIncludedIndex, m.LastIncludedTerm = s.b, s.c
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
		s.b, s.c = m.LastIncludedIndex, m.LastIncludedTerm
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
