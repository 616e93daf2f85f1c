// Package raft is your Raft: the starter kit of the course lab.
//
// Fill it in stage by stage, following the handouts in assignments/
// (README.md first, then election.md, replication.md, persistence.md,
// snapshots.md) and the extended Raft paper (Ongaro & Ousterhout, "In
// Search of an Understandable Consensus Algorithm"): Figure 2 for the
// first three stages, §7 and Figure 13 for snapshots. The contract your
// node implements is documented in package raftapi: read it once, top to
// bottom, before you write any code.
//
// The node is an event-driven, single-threaded state machine. Every
// exported method (and every reply callback) is one turn; the driver never
// calls two turns at once, so you need no locks, and you must never start
// a goroutine, read the clock, sleep, or use randomness other than
// rf.env.Rand(). Every turn ends with endTurn (below), which saves the
// persistent state if the turn changed it and applies newly committed
// entries.
//
// Where things go (the same split as the course's reference solution):
//
//   - raft.go: the node's state, New, Tick, GetState, Inspect, InspectLog.
//   - election.go: RequestVote on both sides, timeouts, roles (§5.2, §5.4.1).
//   - replication.go: Start, AppendEntries on both sides, commit and apply
//     (§5.3, §5.4.2).
//   - persist.go: saving and restoring the persistent state (Figure 2).
//   - snapshot.go: Snapshot and InstallSnapshot (§7, Figure 13).
//
// Search for TODO: each one names the stage it belongs to.
package raft

import (
	"slices"

	"github.com/raftlab/raftlab/raftapi"
)

// Timing, in ticks of raftapi.TickInterval (10 ms). These are suggestions
// that work with the lab's networks and clock skew; tune them if you like,
// but keep the election timeout well above the heartbeat interval.
const (
	electionTimeoutMin = 20 // a follower campaigns after a random timeout
	electionTimeoutMax = 40 // in [electionTimeoutMin, electionTimeoutMax)
	heartbeatTicks     = 10 // an idle leader's heartbeat interval: at most 10 per second
)

// Raft is one Raft server.
type Raft struct {
	me    int         // this node's id, 0..peers-1
	peers int         // cluster size
	env   raftapi.Env // the world: sending, applying, stable storage, randomness

	// Persistent state on all servers (Figure 2). Whenever a turn changes
	// one of these, set changed: endTurn saves it before the turn ends,
	// which is before anything the turn sent leaves the node.
	currentTerm int             // latest term this server has seen (0 at first boot)
	votedFor    int             // candidate that received our vote in currentTerm, or raftapi.None
	log         []raftapi.Entry // log[k] is the entry at index snapshotIndex+1+k; indexes start at 1

	// The snapshot (§7, Figure 13): every entry up to and including
	// snapshotIndex was compacted into it. Until the snapshot stage these
	// stay 0 and nil, and log[k] is simply the entry at index k+1.
	snapshotIndex int    // lastIncludedIndex
	snapshotTerm  int    // lastIncludedTerm
	snapshot      []byte // the service's snapshot; nil if none

	// Volatile state on all servers (Figure 2).
	role        raftapi.Role // follower, candidate or leader (§5.1)
	commitIndex int          // highest index known to be committed
	lastApplied int          // highest index handed to the service

	// Volatile state on leaders (Figure 2), reinitialized after election.
	nextIndex  []int // per peer: index of the next entry to send
	matchIndex []int // per peer: highest index known to be replicated there

	// Timers, counted in ticks.
	electionElapsed  int // ticks since we last heard from the leader, granted a vote or campaigned
	electionTimeout  int // this round's random election timeout
	heartbeatElapsed int // leader: ticks since the last heartbeat

	// TODO(election): add what a candidate needs to count its votes.

	changed bool // the persistent state changed in this turn: endTurn saves it

	// Buffers reused by InspectLog, so that checkers calling it often do
	// not allocate.
	viewTerms []int
	viewCmds  [][]byte
}

// New boots node me of a cluster of peers nodes, at first start and at
// every restart (it is a raftapi.Factory). It may use only env.Persister()
// and env.Rand(): sending and applying start with the first turn.
func New(me, peers int, env raftapi.Env) raftapi.Node {
	rf := &Raft{
		me:         me,
		peers:      peers,
		env:        env,
		votedFor:   raftapi.None,
		role:       raftapi.Follower,
		nextIndex:  make([]int, peers),
		matchIndex: make([]int, peers),
	}
	rf.restore()
	// TODO(snapshots): the service restores itself from the saved snapshot
	// before our first turn, so everything in it counts as committed and
	// applied: start with commitIndex = lastApplied = snapshotIndex, and
	// never apply that snapshot again.
	rf.resetElectionTimer()
	return rf
}

// endTurn ends every turn: every exported method and every reply callback
// calls it (with defer) before returning. It saves the persistent state
// if the turn changed it — the persistence point is the end of the turn,
// so this is "save before you reply or send" (Figure 2) — and hands newly
// committed entries to the service.
func (rf *Raft) endTurn() {
	if rf.changed {
		rf.persist()
		rf.changed = false
	}
	rf.applyCommitted()
}

// Tick is one tick of the clock: count down the election timeout of a
// follower or candidate, or the heartbeat interval of a leader.
func (rf *Raft) Tick() {
	defer rf.endTurn()
	if rf.role == raftapi.Leader {
		rf.tickLeader()
	} else {
		rf.tickElection()
	}
}

// GetState returns currentTerm and whether this node believes it is the
// leader.
func (rf *Raft) GetState() (int, bool) {
	return rf.currentTerm, rf.role == raftapi.Leader
}

// lastLogIndex is the index of the last entry in the log, or the
// snapshot's last included index when the log after it is empty (0 when
// there is neither).
func (rf *Raft) lastLogIndex() int { return rf.snapshotIndex + len(rf.log) }

// lastLogTerm is the term of the last log entry, or of the snapshot's last
// included entry when the log after it is empty (§5.4.1 compares these).
func (rf *Raft) lastLogTerm() int {
	if len(rf.log) == 0 {
		return rf.snapshotTerm
	}
	return rf.log[len(rf.log)-1].Term
}

// Inspect reports the node's state to the simulator's checkers and to the
// trace viewer. It is already written, over the fields above: keep the
// fields up to date and it stays right. It must not change the node.
func (rf *Raft) Inspect() raftapi.NodeState {
	st := raftapi.NodeState{
		Role:          rf.role,
		Term:          rf.currentTerm,
		VotedFor:      rf.votedFor,
		LastIndex:     rf.lastLogIndex(),
		LastTerm:      rf.lastLogTerm(),
		CommitIndex:   rf.commitIndex,
		LastApplied:   rf.lastApplied,
		SnapshotIndex: rf.snapshotIndex,
		SnapshotTerm:  rf.snapshotTerm,
	}
	if rf.role == raftapi.Leader {
		st.NextIndex = slices.Clone(rf.nextIndex)
		st.MatchIndex = slices.Clone(rf.matchIndex)
	}
	return st
}

// InspectLog reports the terms and commands of the entries after the
// snapshot, for the Log Matching and Leader Completeness checkers. Like
// Inspect, it is already written.
func (rf *Raft) InspectLog() raftapi.LogView {
	rf.viewTerms = rf.viewTerms[:0]
	rf.viewCmds = rf.viewCmds[:0]
	for _, e := range rf.log {
		rf.viewTerms = append(rf.viewTerms, e.Term)
		rf.viewCmds = append(rf.viewCmds, e.Command)
	}
	return raftapi.LogView{FirstIndex: rf.snapshotIndex + 1, Terms: rf.viewTerms, Commands: rf.viewCmds}
}
