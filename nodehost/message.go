package nodehost

import (
	"strconv"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wire"
)

// TurnKind says what a call into the node is: a turn (the Env is open), the
// Factory (Persister and Rand only) or a query (the Env is closed).
type TurnKind uint8

// The calls a host makes into a node.
const (
	TurnFactory TurnKind = iota
	TurnTick
	TurnStart
	TurnSnapshot
	TurnRequestVote
	TurnAppendEntries
	TurnInstallSnapshot
	TurnRequestVoteReply
	TurnAppendEntriesReply
	TurnInstallSnapshotReply
	TurnGetState // a query
	TurnInspect  // a query
	TurnInspectLog
)

var turnNames = [...]string{"Factory (boot)", "Tick", "Start", "Snapshot",
	"RequestVote handler", "AppendEntries handler", "InstallSnapshot handler",
	"RequestVote reply callback", "AppendEntries reply callback", "InstallSnapshot reply callback",
	"GetState", "Inspect", "InspectLog"}

// String names the call as reports do: "Tick", "AppendEntries handler".
func (k TurnKind) String() string {
	if int(k) < len(turnNames) {
		return turnNames[k]
	}
	return "TurnKind(" + strconv.Itoa(int(k)) + ")"
}

// Describe is String with the sender of the message that caused the turn,
// if any (peer < 0: none).
func (k TurnKind) Describe(peer int) string {
	if peer < 0 {
		return k.String()
	}
	return k.String() + " (message from node " + strconv.Itoa(peer) + ")"
}

// IsQuery reports whether k is a query: a call during which the Env is
// closed.
func (k TurnKind) IsQuery() bool { return k >= TurnGetState }

// Fields are a message's fields as numbers, so that a driver can check and
// summarise the traffic without decoding Body (Body is what travels). A
// request's are taken at the Env call (when the contract copies the
// arguments), a reply's when the handler's turn ends. The struct is kept
// small, since every message carries one: fields that never occur in the
// same message share a slot, as listed below; the others are zero.
//
//	kind                  ID           Index              IndexTerm         Count     Commit        OK
//	RequestVote           CandidateID  LastLogIndex       LastLogTerm
//	RequestVoteReply                                                                                VoteGranted
//	AppendEntries         LeaderID     PrevLogIndex       PrevLogTerm       #Entries  LeaderCommit
//	AppendEntriesReply                 XIndex             XTerm             XLen                    Success
//	InstallSnapshot       LeaderID     LastIncludedIndex  LastIncludedTerm  len(Data)
//
// Term is every message's Term; PreVote is RequestVote's and its reply's.
type Fields struct {
	Term, ID, Index, IndexTerm, Count, Commit int
	OK, PreVote                               bool
}

// Message is one message a turn sent: the envelope that crosses the network
// and its fields.
type Message struct {
	wire.Envelope
	Fields
}

// FieldsOfRequestVote and the five functions below extract the fields of
// a message, for drivers that build messages themselves.
func FieldsOfRequestVote(a *raftapi.RequestVoteArgs) Fields {
	return Fields{Term: a.Term, ID: a.CandidateID, Index: a.LastLogIndex, IndexTerm: a.LastLogTerm, PreVote: a.PreVote}
}

// FieldsOfRequestVoteReply: see FieldsOfRequestVote.
func FieldsOfRequestVoteReply(r *raftapi.RequestVoteReply) Fields {
	return Fields{Term: r.Term, OK: r.VoteGranted, PreVote: r.PreVote}
}

// FieldsOfAppendEntries: see FieldsOfRequestVote.
func FieldsOfAppendEntries(a *raftapi.AppendEntriesArgs) Fields {
	return Fields{Term: a.Term, ID: a.LeaderID, Index: a.PrevLogIndex, IndexTerm: a.PrevLogTerm, Count: len(a.Entries), Commit: a.LeaderCommit}
}

// FieldsOfAppendEntriesReply: see FieldsOfRequestVote.
func FieldsOfAppendEntriesReply(r *raftapi.AppendEntriesReply) Fields {
	return Fields{Term: r.Term, OK: r.Success, Index: r.XIndex, IndexTerm: r.XTerm, Count: r.XLen}
}

// FieldsOfInstallSnapshot: see FieldsOfRequestVote.
func FieldsOfInstallSnapshot(a *raftapi.InstallSnapshotArgs) Fields {
	return Fields{Term: a.Term, ID: a.LeaderID, Index: a.LastIncludedIndex, IndexTerm: a.LastIncludedTerm, Count: len(a.Data)}
}

// FieldsOfInstallSnapshotReply: see FieldsOfRequestVote.
func FieldsOfInstallSnapshotReply(r *raftapi.InstallSnapshotReply) Fields {
	return Fields{Term: r.Term}
}
