package raft

import "github.com/raftlab/raftlab/raftapi"

// Timing, counted in ticks of raftapi.TickInterval (10 ms).
const (
	// A follower that hears nothing for a random 20–39 ticks (200–390 ms)
	// campaigns (§5.2). The range is a little wider than the course's
	// usual 15–30 so that a heartbeat delayed by the network or by clock
	// skew does not start a needless election.
	electionTimeoutMin = 20
	electionTimeoutMax = 40 // exclusive

	// An idle leader sends each follower one AppendEntries every 10 ticks:
	// 10 heartbeats per second (§5.2). Any AppendEntries counts, so a busy
	// leader sends no extra heartbeats.
	heartbeatTicks = 10

	// A request that has had no reply for retryTicks is presumed lost and
	// is sent again (the network never says so).
	retryTicks = 10

	// With CheckQuorum, a leader that has not heard from a majority during
	// this many ticks steps down (thesis §6.2).
	checkQuorumTicks = electionTimeoutMax

	// Batching: one AppendEntries carries at most this many entries, and
	// at most this many bytes of commands unless one command is larger.
	// With one batch in flight per follower (see progress.go), the batch is
	// what bounds throughput: a leader replicates at most maxBatchEntries
	// per follower per round trip.
	maxBatchEntries = 256
	maxBatchBytes   = 256 << 10
)

// Flow is how a leader paces its AppendEntries to one follower. Figure 2
// says what to send, not when nor how many requests may be in flight: each
// Flow is correct Raft, and the lab's suites must pass every one of them
// (see Designs), so that a schedule cannot encode one design's timing.
type Flow uint8

const (
	// OneBatchInFlight, the default, keeps at most one AppendEntries with
	// entries in flight per follower and batches everything started
	// meanwhile into the next one (progress.go).
	OneBatchInFlight Flow = iota

	// Pipelined sends every new entry at once from Start to every
	// follower, with no in-flight limit: nextIndex advances when a
	// request leaves (optimistically), heartbeats are anchored at
	// nextIndex-1, and a rejection moves nextIndex back by the hints and
	// resends everything after it (pipeline.go).
	Pipelined

	// OneRequestInFlight is stop-and-wait: at most one AppendEntries of
	// any kind, heartbeats included, is in flight per follower, so Start
	// sends nothing while a heartbeat is unanswered; a request unanswered
	// for retryTicks is presumed lost and sent again, with everything
	// started meanwhile (pipeline.go).
	OneRequestInFlight
)

func (f Flow) String() string {
	switch f {
	case OneBatchInFlight:
		return "one-batch-in-flight"
	case Pipelined:
		return "pipelined"
	case OneRequestInFlight:
		return "one-request-in-flight"
	}
	return "flow(?)"
}

// Design is a named combination of Options that changes how the node
// replicates, not which extensions of the paper it runs.
type Design struct {
	Name    string
	Options Options
}

// Designs lists the reference's replication designs, the default first.
// Each is correct Raft within raftapi's contract, and each makes choices
// the paper and the contract leave open differently: the lab's suites must
// pass all of them (labs/designs_reference_test.go, labs/mutants).
func Designs() []Design {
	return []Design{
		{Name: "default", Options: Options{}},
		{Name: "pipelined", Options: Options{Flow: Pipelined}},
		{Name: "pipelined-trimming", Options: Options{Flow: Pipelined, TrimInsideSnapshot: true, HintsOnlyOnRefusal: true}},
		{Name: "one-request-in-flight", Options: Options{Flow: OneRequestInFlight}},
	}
}

// Options are the optional extensions of the Raft thesis, and the leader's
// flow control. All are off (the default design) by default: the lab stages
// grade the algorithm of the paper.
type Options struct {
	// Flow is the leader's flow control (see Flow).
	Flow Flow

	// TrimInsideSnapshot: a follower given an AppendEntries whose
	// PrevLogIndex lies inside its snapshot drops the entries the
	// snapshot covers and handles the rest, instead of refusing with
	// XLen = LastIncludedIndex + 1. raftapi allows both.
	TrimInsideSnapshot bool

	// HintsOnlyOnRefusal: a follower that replies true leaves XTerm,
	// XIndex and XLen at zero. raftapi defines them only in refusals.
	HintsOnlyOnRefusal bool

	// PreVote (thesis §9.6): before a real election, a node asks whether
	// a majority would vote for it, and increments its term only if so. A
	// node cut off from the cluster then no longer inflates its term and
	// disrupts the leader when it comes back.
	PreVote bool

	// CheckQuorum (thesis §6.2): a leader that has not heard from a
	// majority within an election timeout steps down, so that a
	// partitioned leader stops believing it leads.
	CheckQuorum bool
}

// New is the default factory (a raftapi.Factory): the algorithm of the
// paper, without options. It restores the node from env.Persister.
func New(me, peers int, env raftapi.Env) raftapi.Node {
	return newNode(me, peers, env, Options{})
}

// NewFactory returns a factory for nodes with the given options.
func NewFactory(o Options) raftapi.Factory {
	return func(me, peers int, env raftapi.Env) raftapi.Node {
		return newNode(me, peers, env, o)
	}
}

// node is one Raft server. All its methods run in turns (see raftapi).
type node struct {
	me    int
	peers int
	env   raftapi.Env
	opts  Options

	// Persistent state on all servers (Figure 2), and the snapshot (§7).
	term     int // currentTerm
	votedFor int // candidate voted for in term, or raftapi.None
	log      raftLog
	snapshot []byte // the service's snapshot through log.snapIndex; nil if none

	// Volatile state on all servers (Figure 2).
	role        raftapi.Role
	leader      int // the leader of term as far as we know, or raftapi.None
	commitIndex int
	lastApplied int

	// Timers, in ticks.
	now             int // ticks since this incarnation started
	electionElapsed int // since the last AppendEntries from the leader, vote granted or campaign
	electionTimeout int // random, drawn from env.Rand()

	// Candidates and pre-candidates (§5.2, thesis §9.6).
	preCandidate bool   // running a pre-vote; role unchanged (Follower, or Candidate whose election timed out)
	votes        []bool // votes[i]: i granted the (pre-)vote

	// Volatile state on leaders (Figure 2), reinitialized after election:
	// prs[i] holds nextIndex and matchIndex of follower i, with the
	// state of replication to it (progress.go).
	prs           []progress
	quorumElapsed int

	dirty   bool         // persistent state changed in this turn
	enc     stateEncoder // the state's encoding, kept between saves (persist.go)
	scratch []int        // for the commit rule

	// shown holds the NextIndex and MatchIndex (one array, both halves)
	// of the last Inspect: while they are still the leader's, Inspect
	// hands them out again instead of allocating. The caller may keep
	// them, so they are never written after they are handed out.
	shown []int
}

func newNode(me, peers int, env raftapi.Env, o Options) *node {
	n := &node{
		me:       me,
		peers:    peers,
		env:      env,
		opts:     o,
		votedFor: raftapi.None,
		leader:   raftapi.None,
		role:     raftapi.Follower,
		votes:    make([]bool, peers),
		prs:      make([]progress, peers),
		scratch:  make([]int, 0, peers),
	}
	n.restore()
	// Restart: the service restores itself from the snapshot, so
	// everything in it counts as committed and applied.
	n.commitIndex = n.log.snapIndex
	n.lastApplied = n.log.snapIndex
	n.resetElectionTimer()
	return n
}

// finish ends every turn. It sends what the turn left due, saves the
// persistent state if it changed (the persistence point is the end of the
// turn: nothing sent in this turn leaves before), and applies newly
// committed entries.
func (n *node) finish() {
	if n.role == raftapi.Leader {
		for i := range n.prs {
			if i != n.me && n.prs[i].wantSend {
				n.prs[i].wantSend = false
				if n.opts.Flow == OneBatchInFlight {
					n.replicate(i, false)
				} else {
					n.pipeSend(i, true) // after an election, the first heartbeat
				}
			}
		}
	}
	if n.dirty {
		n.persist()
		n.dirty = false
	}
	n.apply()
}

// deliver is the turn of every message a node receives, request or reply:
// handle runs between Figure 2's rule for all servers and finish. That rule
// is applied here and nowhere else: "If RPC request or response contains
// term T > currentTerm: set currentTerm = T, convert to follower (§5.1)".
// The handlers then see the message's term at most equal to their own, so
// a reply that deposed a leader or a candidate is ignored as one of an
// earlier term.
//
// A pre-vote request (thesis §9.6) does not come here: its term is one its
// sender would campaign for, not one any server holds.
func (n *node) deliver(term int, handle func()) {
	if term > n.term {
		n.adoptTerm(term)
	}
	handle()
	n.finish()
}

// Tick advances the node's timers by one tick: the election timeout of
// followers and candidates (§5.2), heartbeats and retries of leaders.
func (n *node) Tick() {
	n.now++
	if n.role == raftapi.Leader {
		n.tickLeader()
	} else {
		n.tickElection()
	}
	n.finish()
}

// GetState returns currentTerm and whether this node believes it is the
// leader.
func (n *node) GetState() (int, bool) {
	return n.term, n.role == raftapi.Leader
}

// Inspect returns a summary of the node's state. It allocates only for a
// leader whose nextIndex or matchIndex changed since the last call: it
// copies them out of prs.
func (n *node) Inspect() raftapi.NodeState {
	st := raftapi.NodeState{
		Role:          n.role,
		Term:          n.term,
		VotedFor:      n.votedFor,
		LastIndex:     n.log.lastIndex(),
		LastTerm:      n.log.lastTerm(),
		CommitIndex:   n.commitIndex,
		LastApplied:   n.lastApplied,
		SnapshotIndex: n.log.snapIndex,
		SnapshotTerm:  n.log.snapTerm,
	}
	if n.role == raftapi.Leader {
		if !n.shownIsCurrent() {
			// One allocation for both (the caller may keep the slices,
			// so a change needs new ones).
			both := make([]int, 2*n.peers)
			for i := range n.prs {
				both[i], both[n.peers+i] = n.prs[i].next, n.prs[i].match
			}
			// The leader's own entries (unspecified by the contract): its log.
			both[n.me], both[n.peers+n.me] = n.log.lastIndex()+1, n.log.lastIndex()
			n.shown = both
		}
		st.NextIndex, st.MatchIndex = n.shown[:n.peers:n.peers], n.shown[n.peers:]
	}
	return st
}

// shownIsCurrent reports whether shown holds the leader's nextIndex and
// matchIndex as Inspect would build them now. Most turns (ticks,
// heartbeats and their replies) change neither.
func (n *node) shownIsCurrent() bool {
	if len(n.shown) != 2*n.peers {
		return false
	}
	next, match := n.shown[:n.peers], n.shown[n.peers:]
	for i := range n.prs {
		if i == n.me {
			if next[i] != n.log.lastIndex()+1 || match[i] != n.log.lastIndex() {
				return false
			}
		} else if next[i] != n.prs[i].next || match[i] != n.prs[i].match {
			return false
		}
	}
	return true
}

// InspectLog returns the log after the snapshot. It hands out the log's own
// slices, which the contract allows (the caller neither modifies nor keeps
// them).
func (n *node) InspectLog() raftapi.LogView {
	return raftapi.LogView{
		FirstIndex: n.log.snapIndex + 1,
		Terms:      n.log.terms,
		Commands:   n.log.cmds,
	}
}

// quorum reports whether the nodes marked in set form a majority.
func (n *node) quorum(set []bool) bool {
	c := 0
	for _, ok := range set {
		if ok {
			c++
		}
	}
	return 2*c > n.peers
}
