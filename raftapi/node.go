package raftapi

import (
	"math/rand/v2"
	"time"
)

// TickInterval is how much time one call of [Node.Tick] stands for, before
// any clock skew the driver applies. Ten milliseconds: the starter's
// election timeout of [20, 40) ticks is 200–390 ms.
const TickInterval = 10 * time.Millisecond

// None is the value of a node id field that names no node, such as
// votedFor before the node has voted in its current term.
const None = -1

// Node is what an implementation provides: one Raft server, driven one turn
// at a time (see the package documentation for what a turn is).
//
// Node ids run from 0 to peers-1.
type Node interface {
	// Tick tells the node that one TickInterval has passed. All timing
	// (election timeouts, heartbeats, retries) is counted in ticks.
	Tick()

	// RequestVote, AppendEntries and InstallSnapshot are the receiver
	// sides of the three RPCs. from is the sender's id. The handler fills
	// in reply; the driver sends it back when the turn ends.
	RequestVote(from int, args *RequestVoteArgs, reply *RequestVoteReply)
	AppendEntries(from int, args *AppendEntriesArgs, reply *AppendEntriesReply)
	InstallSnapshot(from int, args *InstallSnapshotArgs, reply *InstallSnapshotReply)

	// Start asks the node to append command to the replicated log. A
	// leader appends it and returns the index it will have if it is ever
	// committed, its current term, and true. Any other node appends
	// nothing and returns isLeader = false. Start does not wait for the
	// command to commit; the service learns that from Env.Apply.
	Start(command []byte) (index, term int, isLeader bool)

	// GetState returns the node's current term and whether it believes
	// it is the leader.
	GetState() (term int, isLeader bool)

	// Snapshot tells the node that the service has captured all state up
	// to and including index in snapshot. The node may discard its log
	// through index (§7) and must save snapshot with its Raft state. A
	// call for an index at or below the node's current snapshot is a
	// no-op.
	Snapshot(index int, snapshot []byte)

	// Inspect returns a read-only summary of the node's state for
	// checkers and the visualizer. The simulator calls it once after
	// every turn of the node (every tick, message, reply, Start and
	// Snapshot), so it should cost no more than a few field reads
	// (the reference allocates only a leader's NextIndex and MatchIndex).
	// The caller may keep the NodeState it returns, slices included: do
	// not return slices the node changes later. It must not change the
	// node.
	Inspect() NodeState

	// InspectLog returns the node's log from the first entry after its
	// snapshot to its last entry. Checkers use it for Log Matching and
	// Leader Completeness. The simulator calls it after a turn that may
	// change the log (Start, Snapshot, AppendEntries with entries,
	// InstallSnapshot), after a turn whose Inspect summary changed, and at
	// a restart; not after ticks or heartbeats that change nothing.
	//
	// The caller does not modify the Terms and Commands slices and does
	// not keep them past the node's next turn, so an implementation that
	// keeps its log as two such slices may return its own storage. The
	// caller may keep the command byte slices themselves: a command's
	// bytes never change once the entry is in a log. An implementation
	// that keeps its log as []Entry builds the two slices on each call,
	// one pass over the log after the snapshot per such turn; it may
	// instead keep them beside its log to avoid the copy.
	InspectLog() LogView
}

// Role is a node's role in its current term (§5.1).
type Role int

// The three roles of §5.1.
const (
	Follower Role = iota
	Candidate
	Leader
)

func (r Role) String() string {
	switch r {
	case Follower:
		return "follower"
	case Candidate:
		return "candidate"
	case Leader:
		return "leader"
	default:
		return "role(?)"
	}
}

// NodeState is the summary returned by [Node.Inspect].
type NodeState struct {
	Role        Role
	Term        int // currentTerm
	VotedFor    int // candidate voted for in Term, or None
	LastIndex   int // index of the last log entry (the snapshot's, if the log after it is empty; 0 if none)
	LastTerm    int // term of that entry (0 if none)
	CommitIndex int
	LastApplied int

	SnapshotIndex int // LastIncludedIndex of the node's snapshot, 0 if none
	SnapshotTerm  int // LastIncludedTerm of the node's snapshot, 0 if none

	// For a leader, nextIndex and matchIndex per peer (indexed by id; the
	// leader's own entries are unspecified). Nil for other roles.
	NextIndex  []int
	MatchIndex []int
}

// LogView is the part of a node's log after its snapshot, returned by
// [Node.InspectLog]: Terms[i] is the term of the entry at index
// FirstIndex+i, and Commands[i] its command.
type LogView struct {
	FirstIndex int // SnapshotIndex+1
	Terms      []int
	Commands   [][]byte
}

// Env is what the world provides to one incarnation of a node. Its methods
// may be called only during a turn of that incarnation.
type Env interface {
	// SendRequestVote, SendAppendEntries and SendInstallSnapshot send an
	// RPC to node to. The arguments are copied at the call (do not rely on
	// changing them afterwards); the message leaves when the turn ends. The
	// reply, if the network delivers one, arrives later as a call of
	// onReply in a turn of its own; onReply is never called for a lost
	// request or reply, may be called more than once if the network
	// duplicates the request, and is never called after this incarnation
	// crashed.
	SendRequestVote(to int, args *RequestVoteArgs, onReply func(*RequestVoteReply))
	SendAppendEntries(to int, args *AppendEntriesArgs, onReply func(*AppendEntriesReply))
	SendInstallSnapshot(to int, args *InstallSnapshotArgs, onReply func(*InstallSnapshotReply))

	// Apply hands a committed command, or a snapshot, to the service, in
	// order. The service may react by queueing a Snapshot turn.
	Apply(msg ApplyMsg)

	// Persister is this node's stable storage.
	Persister() Persister

	// Rand is the node's only source of randomness.
	Rand() *rand.Rand
}

// Persister is a node's stable storage: one Raft-state blob and one
// snapshot blob, replaced together. It is part of the Env: its methods,
// StateSize and SnapshotSize included, may be called only during a turn of
// the incarnation that got it, or from its Factory.
type Persister interface {
	// Save replaces the Raft state and the snapshot atomically, copying
	// both. A nil snapshot means no snapshot, and so does an empty one:
	// Save(state, []byte{}) reads back as ReadSnapshot() == nil. The same
	// holds for the state.
	Save(state, snapshot []byte)
	// ReadState returns a copy of the last saved Raft state (nil if none).
	ReadState() []byte
	// ReadSnapshot returns a copy of the last saved snapshot (nil if none).
	ReadSnapshot() []byte
	// StateSize and SnapshotSize return the saved sizes in bytes.
	StateSize() int
	SnapshotSize() int
}

// Factory boots node me of a cluster of peers nodes, at first start and at
// every restart. It restores the node from env.Persister and may use only
// env.Persister and env.Rand: sending and applying start with the first
// turn.
type Factory func(me, peers int, env Env) Node
