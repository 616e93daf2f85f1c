// Package props is the catalogue of the properties raftlab checks: every
// rule the simulator, the lab scenarios, the targeted schedules and the
// rule tests can report a run for breaking, each with one name, one place
// in the paper (or the course contract) and a one-line statement.
//
// It exists so that one rule keeps one name and one citation everywhere: a
// student who meets "Election Safety (§5.2)" in a simulator failure meets
// the same words in a rule test, in the grader's report and on the web
// page, and can look the rule up in one place. Checkers name a property by
// its [ID]; the report's rule name and section come from here, so there
// are no rule-name strings anywhere else.
package props

import "fmt"

// ID names one property of the catalogue. The zero ID is no property.
type ID int

// Kind groups properties by who they bind.
type Kind int

// The kinds of property.
const (
	// Safety: a property of the paper that must hold at every moment
	// (Figure 3's five properties and the invariants they rest on).
	Safety Kind = iota + 1
	// Protocol: a rule of the algorithm as Figure 2 and Figure 13 write
	// it, or a consequence the paper states (the election restriction,
	// Figure 8's commit rule), checked on what a node does.
	Protocol
	// Progress: something a correct implementation achieves within a
	// bound (a leader is elected, a command commits, costs stay low).
	Progress
	// Contract: a rule of the course contract (package raftapi) that the
	// paper leaves open: turns, the persister, the service, Inspect.
	Contract
	// Harness: the simulator's own limits and errors, which are not rules
	// of Raft but still end a run with a named reason.
	Harness
)

var kindNames = [...]string{Safety: "safety", Protocol: "protocol", Progress: "progress", Contract: "contract", Harness: "harness"}

func (k Kind) String() string {
	if k <= 0 || int(k) >= len(kindNames) {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// The properties. Their order is the catalogue's: by kind, then roughly
// as the paper meets them. New properties go at the end of their group;
// the numbers are not stored anywhere, so renumbering is harmless.
const (
	_ ID = iota

	// Safety (Figure 3 and the invariants under it).
	ElectionSafety
	LeaderAppendOnly
	LogMatching
	LeaderCompleteness
	StateMachineSafety
	TermsNeverDecrease
	OneVotePerTerm
	LogTerms
	CommitWithinLog
	CommitNeedsMajority
	Durability
	SnapshotsNeverMoveBackwards

	// Protocol (Figure 2, Figure 13 and what the paper derives from them).
	RejectStaleTerm
	HigherTermConvertsToFollower
	StaleRepliesIgnored
	FollowersRespond
	ElectionTimeout
	RandomizedElectionTimeout
	StartElection
	RequestVoteCarriesLastEntry
	MajorityElects
	NoLeaderWithoutMajority
	CandidateYieldsToLeader
	LeaderHeartbeats
	AppendEntriesConsistencyCheck
	TruncateOnlyOnConflict
	AppendNewEntries
	ApplyCommittedInOrder
	SendFromNextIndex
	BackUpNextIndex
	LeaderCommitRule
	VolatileStateStartsOver
	StaleSnapshotCallIsNoOp
	InstallSnapshotDiscardsLog
	ElectionRestriction
	CommitOnlyCurrentTermByCounting
	MatchIndexFromAcknowledgedRequest
	CommitIndexMinLeaderCommit
	PersistBeforeReplying
	StaleInstallSnapshotChangesNothing
	InstallSnapshotKeepsFollowingEntries
	InstallSnapshotWhenBehind
	LogCompaction
	SnapshotPersistence

	// Progress.
	LeaderElection
	HeartbeatsPreventElections
	LogReplication
	Agreement
	SendEachEntryOnce
	ElectionsCostFewRPCs
	ReplicationCostsFewRPCs
	HeartbeatRate

	// Contract.
	StartOnLeader
	StartOnNonLeader
	StartIndex
	EveryEntryFromStart
	SaveKeepsSnapshot
	ApplyMsg
	Inspect
	Turns
	TurnsReturn
	Peers
	Factory
	Panic
	Determinism

	// Harness.
	EventBudget
	Wire
	Config
	ScenarioError
	InternalError

	// Harness: the simulator's bounds on what a run piles up (issue 12).
	MessageFlood

	numIDs
)

// Property is one entry of the catalogue.
type Property struct {
	Name      string // e.g. "Election Safety"
	Section   string // where the paper (or raftapi) states it, e.g. "§5.2"
	Statement string // the rule in one line
	Kind      Kind
}

// catalogue is read-only: it is indexed by ID and never written.
var catalogue = [numIDs]Property{
	ElectionSafety:      {"Election Safety", "§5.2", "At most one leader can be elected in a given term.", Safety},
	LeaderAppendOnly:    {"Leader Append-Only", "§5.3", "A leader never overwrites or deletes entries in its log; it only appends new entries.", Safety},
	LogMatching:         {"Log Matching", "§5.3", "If two logs contain an entry with the same index and term, the logs are identical in all entries up through that index.", Safety},
	LeaderCompleteness:  {"Leader Completeness", "§5.4", "If a log entry is committed in a given term, it is present in the logs of the leaders of all higher terms.", Safety},
	StateMachineSafety:  {"State Machine Safety", "§5.4.3", "If a server has applied a log entry at a given index, no other server ever applies a different entry (or a snapshot of different commands) for that index; each server applies every index once, in order.", Safety},
	TermsNeverDecrease:  {"Terms never decrease", "§5.1", "A server's currentTerm only grows, also across a crash and restart.", Safety},
	OneVotePerTerm:      {"One vote per term", "§5.2", "Each server votes for at most one candidate in a given term, also across a crash and restart.", Safety},
	LogTerms:            {"Log terms", "§5.3", "The terms in a log are at least 1, never decrease along the log, and never exceed the server's currentTerm.", Safety},
	CommitWithinLog:     {"Commit index within the log", "Figure 2 (AppendEntries receiver rule 5)", "A server holds every entry it knows to be committed: commitIndex never exceeds its last log index.", Safety},
	CommitNeedsMajority: {"Commit needs a majority", "§5.3", "An entry is applied only once it is stored on a majority of servers.", Safety},
	Durability:          {"Durability", "Figure 2 (persistent state)", "After a restart a server's currentTerm, votedFor, log and snapshot equal what it had at the end of its last turn before the crash.", Safety},
	SnapshotsNeverMoveBackwards: {"Snapshots never move a service backwards", "§7",
		"A snapshot at or below the service's last applied index is never handed to the service.", Safety},

	RejectStaleTerm: {"Reject a stale term", "§5.1",
		"A request whose term is below currentTerm is refused (RequestVote, AppendEntries) or ignored (InstallSnapshot) and changes nothing; the reply carries currentTerm.", Protocol},
	HigherTermConvertsToFollower: {"A higher term converts to follower", "§5.1",
		"If an RPC request or response contains term T > currentTerm, set currentTerm = T and convert to follower.", Protocol},
	StaleRepliesIgnored: {"Stale replies are ignored", "§5.1",
		"A reply to a request of an older term changes nothing: a stale vote does not count, a stale AppendEntries reply does not move nextIndex or matchIndex.", Protocol},
	FollowersRespond: {"Followers respond to RPCs", "§5.2",
		"Every RPC from a candidate or a leader gets a reply, and every reply carries currentTerm.", Protocol},
	ElectionTimeout: {"Election timeout starts an election", "§5.2",
		"A follower or candidate that neither hears from the current leader nor grants a vote for an election timeout starts a new election.", Protocol},
	RandomizedElectionTimeout: {"Randomized election timeouts", "§5.2",
		"Every election timeout is drawn anew at random from a fixed interval (raftlab accepts any within 11..100 ticks; the course suggests [20, 40)), so that split votes are rare and resolve quickly.", Protocol},
	StartElection: {"Start an election", "§5.2",
		"On conversion to candidate: increment currentTerm, vote for self, reset the election timer and send RequestVote to every other server; so every leader's term is at least 1.", Protocol},
	RequestVoteCarriesLastEntry: {"RequestVote carries the last log entry", "Figure 2 (RequestVote arguments, §5.4)",
		"A candidate's RequestVote carries its term, its id, and the index and term of its last log entry (0/0 for an empty log).", Protocol},
	MajorityElects: {"A majority of votes elects a leader", "§5.2",
		"A candidate that receives votes from a majority of the servers in its current term becomes leader.", Protocol},
	NoLeaderWithoutMajority: {"No leader without a majority", "§5.2", "A candidate becomes leader only with votes from a majority of the whole cluster.", Protocol},
	CandidateYieldsToLeader: {"A candidate yields to a new leader", "§5.2",
		"A candidate that receives AppendEntries from a leader of its own term (or a later one) converts to follower.", Protocol},
	LeaderHeartbeats: {"Leaders send heartbeats", "§5.2",
		"Upon election a leader sends empty AppendEntries to every server at once, and repeats them during idle periods.", Protocol},
	AppendEntriesConsistencyCheck: {"AppendEntries consistency check", "Figure 2 (AppendEntries receiver rule 2)",
		"Reply false if the log has no entry at PrevLogIndex whose term is PrevLogTerm, with the hints XTerm, XIndex and XLen as raftapi.AppendEntriesReply defines them. When PrevLogIndex lies inside the snapshot, either refuse (XTerm = XIndex = -1, XLen = LastIncludedIndex + 1) or trim the request to the part after the snapshot and check from there: both are correct.", Protocol},
	TruncateOnlyOnConflict: {"Truncate only on a real conflict", "Figure 2 (AppendEntries receiver rule 3)",
		"If an existing entry conflicts with a new one (same index, different terms), delete it and all that follow it; a stale or duplicated AppendEntries never removes entries the follower holds.", Protocol},
	AppendNewEntries: {"Append new entries", "Figure 2 (AppendEntries receiver rule 4)",
		"A follower appends every entry of the request that its log does not already hold.", Protocol},
	ApplyCommittedInOrder: {"Apply committed entries in order", "Figure 2 (Rules for All Servers)",
		"If commitIndex > lastApplied: increment lastApplied and apply log[lastApplied], in index order, each once.", Protocol},
	SendFromNextIndex: {"Send entries from nextIndex", "Figure 2 (Rules for Servers, Leaders)",
		"If last log index ≥ nextIndex for a follower, send AppendEntries with the entries from nextIndex on; after an election nextIndex is the leader's last log index plus one.", Protocol},
	BackUpNextIndex: {"Back up nextIndex on a rejection", "Figure 2 (Rules for Servers, Leaders)",
		"If AppendEntries fails because of log inconsistency, move nextIndex back by the XTerm/XIndex/XLen rule of raftapi.AppendEntriesReply and retry.", Protocol},
	LeaderCommitRule: {"Leader commit rule", "Figure 2 (Rules for Servers, Leaders)",
		"If there is an N > commitIndex with matchIndex ≥ N on a majority and log[N].term == currentTerm, set commitIndex = N.", Protocol},
	VolatileStateStartsOver: {"Volatile state starts over", "Figure 2 (volatile state)",
		"A restarted server starts as a follower with commitIndex and lastApplied at its snapshot's last included index (0 without one).", Protocol},
	StaleSnapshotCallIsNoOp: {"A stale Snapshot call is a no-op", "raftapi.Node.Snapshot",
		"Snapshot for an index at or below the node's current snapshot changes nothing.", Protocol},
	InstallSnapshotDiscardsLog: {"InstallSnapshot discards a conflicting log", "Figure 13 (InstallSnapshot receiver rule 4)",
		"Unless an existing entry has the snapshot's last included index and term, the receiver discards its entire log.", Protocol},
	ElectionRestriction: {"Election restriction", "§5.4.1",
		"A vote goes only to a candidate whose log is at least as up-to-date as the voter's (later last term, or the same last term and at least as long).", Protocol},
	CommitOnlyCurrentTermByCounting: {"A leader commits only entries of its current term by counting replicas", "§5.4.2",
		"A leader never commits an entry of an older term by counting replicas (Figure 8); older entries commit with the first entry of its own term.", Protocol},
	MatchIndexFromAcknowledgedRequest: {"matchIndex comes from the acknowledged request", "Figure 2 (Rules for Servers, Leaders)",
		"On success a leader sets matchIndex to the last index the acknowledged AppendEntries carried, whatever order replies arrive in, and nextIndex just past it.", Protocol},
	CommitIndexMinLeaderCommit: {"commitIndex = min(leaderCommit, index of last new entry)", "Figure 2 (AppendEntries receiver rule 5)",
		"If leaderCommit > commitIndex, a follower sets commitIndex = min(leaderCommit, index of the last new entry).", Protocol},
	PersistBeforeReplying: {"Persist before replying", "Figure 2 (persistent state)",
		"currentTerm, votedFor and log[] are on stable storage before the server responds to an RPC (in raftapi: by the end of the turn).", Protocol},
	StaleInstallSnapshotChangesNothing: {"A stale InstallSnapshot changes nothing", "Figure 13 (InstallSnapshot receiver rule 2 in raftapi)",
		"An InstallSnapshot whose LastIncludedIndex is not past the receiver's own snapshot is ignored.", Protocol},
	InstallSnapshotKeepsFollowingEntries: {"InstallSnapshot keeps the entries after a matching last included entry", "Figure 13 (InstallSnapshot receiver rule 3 in raftapi)",
		"If an existing entry has the snapshot's last included index and term, the entries following it are retained.", Protocol},
	InstallSnapshotWhenBehind: {"InstallSnapshot", "§7, Figure 13",
		"A leader sends InstallSnapshot to a follower whose next entry it has compacted away.", Protocol},
	LogCompaction: {"Log compaction", "§7, Figure 13",
		"After Snapshot(index, ...) a server discards its log through index and saves only what follows.", Protocol},
	SnapshotPersistence: {"Snapshot persistence", "§7",
		"A snapshot is saved with the Raft state in the turn that takes or installs it, and a restarted server comes back from it.", Protocol},

	LeaderElection:             {"Leader election", "§5.2", "With a majority up and connected, a leader is elected within a few election timeouts.", Progress},
	HeartbeatsPreventElections: {"Heartbeats prevent elections", "§5.2", "A follower's election timer restarts when it hears from the current leader or grants a vote, so a connected leader's heartbeats keep every follower from campaigning.", Progress},
	LogReplication:             {"Log replication", "§5.3", "A leader brings each follower's log up to its own and commits entries of its term once a majority stores them.", Progress},
	Agreement:                  {"Agreement", "§5.3", "A command the leader accepts is committed and applied by every connected server, at the index Start returned.", Progress},
	SendEachEntryOnce:          {"Send each entry once", "§5.3", "A leader sends each follower the entries from its nextIndex on, once, and advances nextIndex when they are acknowledged.", Progress},
	ElectionsCostFewRPCs:       {"Elections cost few RPCs", "§5.2", "An election with no failures costs about one RequestVote per peer.", Progress},
	ReplicationCostsFewRPCs:    {"Replication costs few RPCs", "§5.3", "Agreeing on a command with no failures costs a bounded number of AppendEntries.", Progress},
	HeartbeatRate:              {"Heartbeat rate", "§5.2", "An idle leader sends at most ten heartbeats per second to each follower.", Progress},

	StartOnLeader:       {"Start on the leader", "raftapi.Node.Start", "A leader appends every command it is given by Start and returns isLeader = true.", Contract},
	StartOnNonLeader:    {"Start on a non-leader", "raftapi.Node.Start", "A node that is not the leader appends nothing and returns isLeader = false.", Contract},
	StartIndex:          {"Start returns the entry's index", "raftapi.Node.Start", "Start returns the index the new entry has in the leader's log: one past its last entry, counting from 1.", Contract},
	EveryEntryFromStart: {"Every entry comes from Start", "raftapi (The service)", "Every log entry comes from Start: there is no no-op entry at the start of a term.", Contract},
	SaveKeepsSnapshot:   {"Every Save keeps the snapshot", "raftapi.Persister.Save", "After compaction every Save passes the current snapshot: a nil snapshot erases it.", Contract},
	ApplyMsg:            {"ApplyMsg", "raftapi.ApplyMsg", "CommandIndex and CommandTerm are the index and term of the log entry whose command is applied; indexes start at 1.", Contract},
	Inspect:             {"Inspect", "raftapi.Node.Inspect", "Inspect and InspectLog describe the same log: FirstIndex = SnapshotIndex+1, one term and command per entry, LastTerm the last entry's term.", Contract},
	Turns:               {"turns", "raftapi (Turns)", "A node calls its Env only during one of its own turns, never from a goroutine or after it crashed.", Contract},
	TurnsReturn:         {"turns return", "raftapi (Turns)", "Every turn returns: a node never blocks or loops forever in a handler, a tick or Inspect.", Contract},
	Peers:               {"peers", "raftapi.Env", "A node sends only to peers 0..n-1 other than itself.", Contract},
	Factory:             {"Factory", "raftapi.Factory", "The factory restores the node from Env.Persister and uses only Env.Persister and Env.Rand.", Contract},
	Panic:               {"panic", "raftapi (Turns)", "A node never panics in a turn.", Contract},
	Determinism:         {"Determinism", "raftapi (Randomness and determinism)", "Two runs of the same seed behave identically: no wall clock, global randomness, goroutines or map order.", Contract},

	EventBudget:   {"event budget", "", "A run ends within the simulator's budget of events (a node that floods the network exhausts it).", Harness},
	Wire:          {"wire", "", "Every message a node sends encodes and decodes.", Harness},
	Config:        {"config", "", "The simulator's configuration is valid.", Harness},
	ScenarioError: {"scenario", "", "A scenario names only nodes of its cluster.", Harness},
	InternalError: {"internal error", "", "raftlab itself did not fail.", Harness},

	MessageFlood: {"message flood", "", "Messages and bytes in flight, and events per simulated second, stay within the simulator's bounds (sim.FloodLimits), which leave a correct Raft a wide margin: a node that answers replies with ever more requests floods the network.", Harness},
}

// Get returns id's entry; it panics on an ID outside the catalogue, which
// only a bug in raftlab can produce.
func (id ID) Get() Property {
	if id <= 0 || id >= numIDs {
		panic(fmt.Sprintf("props: no property %d", int(id)))
	}
	return catalogue[id]
}

// Name is the property's name, e.g. "Election Safety".
func (id ID) Name() string { return id.Get().Name }

// Section is where the paper (or raftapi) states the property, e.g. "§5.2";
// empty for harness limits.
func (id ID) Section() string { return id.Get().Section }

// Statement is the property in one line.
func (id ID) Statement() string { return id.Get().Statement }

// Kind is the property's kind.
func (id ID) Kind() Kind { return id.Get().Kind }

// String returns the name, so that %v and %s print it.
func (id ID) String() string {
	if id <= 0 || id >= numIDs {
		return fmt.Sprintf("props.ID(%d)", int(id))
	}
	return catalogue[id].Name
}

// Cite returns the name with its section, as reports title a failure:
// "Election Safety (§5.2)".
func (id ID) Cite() string {
	p := id.Get()
	if p.Section == "" {
		return p.Name
	}
	return p.Name + " (" + p.Section + ")"
}

// All returns every property, in catalogue order.
func All() []ID {
	ids := make([]ID, 0, numIDs-1)
	for id := ID(1); id < numIDs; id++ {
		ids = append(ids, id)
	}
	return ids
}

// ByName returns the property with the given name.
func ByName(name string) (ID, bool) {
	for id := ID(1); id < numIDs; id++ {
		if catalogue[id].Name == name {
			return id, true
		}
	}
	return 0, false
}
