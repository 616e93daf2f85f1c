package sim

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
)

// checker holds what the safety checkers have learned so far. It judges
// after every turn, from two sources: what nodes report through Inspect
// (for diagnosis and logs), and what the simulator itself sees on the wire
// and at the apply boundary, which a node cannot lie about.
type checker struct {
	c  *Cluster
	on bool

	leaders   map[int]int     // term → node that Inspect reported as its leader
	aeSenders map[int]int     // term → node that sent AppendEntries/InstallSnapshot in it
	votes     map[voteKey]int // (voter, term) → candidate granted, seen on the wire
	entries   map[idxTerm]entryFact

	leaderCommit    int   // highest CommitIndex a leader has reported
	commitTerm      []int // index → term of the leader that first reported it committed; [0] unused
	commitEntryTerm []int // index → term of the entry there, in that leader's log (0: not known); [0] unused

	shadows []shadow       // per node: its log as of its last turn
	crashes []*crashRecord // per node: its state at its last crash
	pending []int          // indexes first applied during the current turn
	applies []idxTerm      // commands the current turn applied
}

type voteKey struct{ voter, term int }

type idxTerm struct{ index, term int }

// entryFact is what the first log to hold (index, term) said about it.
type entryFact struct {
	prevTerm int
	cmd      []byte
	node     int
}

type appliedEntry struct {
	term   int
	cmd    []byte
	prefix uint64 // service hash after applying it
	node   int
	at     time.Duration
}

// shadow is the checker's copy of one node's log after the snapshot.
type shadow struct {
	first    int // index of terms[0]: SnapshotIndex+1
	snapTerm int
	terms    []int
	cmds     [][]byte
}

func (s *shadow) holds(index, term int) bool {
	if index < s.first {
		return true // inside the snapshot: committed entries only
	}
	p := index - s.first
	return p < len(s.terms) && s.terms[p] == term
}

type crashRecord struct {
	state raftapi.NodeState
	log   shadow
}

func (k *checker) init(c *Cluster) {
	k.c = c
	k.on = !c.cfg.NoChecks
	k.leaders = map[int]int{}
	k.aeSenders = map[int]int{}
	k.votes = map[voteKey]int{}
	k.entries = map[idxTerm]entryFact{}
	k.commitTerm = make([]int, 1)
	k.commitEntryTerm = make([]int, 1)
	k.shadows = make([]shadow, c.n)
	for i := range k.shadows {
		k.shadows[i].first = 1
	}
	k.crashes = make([]*crashRecord, c.n)
}

// fail ends the run for breaking property p; the report's rule name and
// section are the catalogue's, so that one rule reads the same everywhere.
func (k *checker) fail(kind string, p props.ID, nodes, terms, indexes []int, format string, args ...any) {
	k.c.fail(&Failure{Kind: kind, Rule: p.Name(), Paper: p.Section(), Nodes: nodes, Terms: terms, Indexes: indexes,
		Message: fmt.Sprintf(format, args...)})
}

// inspect calls Inspect under the watchdog (an Inspect that never
// returns is a hang like any turn's), turning a panic into a failure. The
// Env stays closed: Inspect must not change the node.
func (c *Cluster) inspect(sn *simNode) (st raftapi.NodeState) {
	c.watchInspect(sn, turnInspect)
	ok := false
	defer func() {
		c.unwatchInspect()
		if ok {
			return
		}
		if r := recover(); r != nil {
			c.failPanicIn(sn, "Inspect", r)
		}
		c.failGoexitIn(sn, turnInspect)
	}()
	st = sn.node.Inspect()
	ok = true
	return st
}

func (c *Cluster) inspectLog(sn *simNode) (v raftapi.LogView) {
	c.watchInspect(sn, turnInspectLog)
	ok := false
	defer func() {
		c.unwatchInspect()
		if ok {
			return
		}
		if r := recover(); r != nil {
			c.failPanicIn(sn, "InspectLog", r)
		}
		c.failGoexitIn(sn, turnInspectLog)
	}()
	v = sn.node.InspectLog()
	ok = true
	return v
}

// failGoexitIn records, from the deferred call of an Inspect that did not
// return and did not panic, that the node's code called runtime.Goexit,
// which is unwinding the scenario's goroutine: unrecorded, the run would
// end as a pass (as runTurn does for turns).
func (c *Cluster) failGoexitIn(sn *simNode, what turnKind) {
	if c.failed != nil {
		return
	}
	c.failed = &Failure{Kind: KindContract, Rule: props.TurnsReturn.Name(), Paper: props.TurnsReturn.Section(), Nodes: []int{sn.id}, At: c.now,
		Message: fmt.Sprintf("node %d's %s called runtime.Goexit (t.FailNow, t.Fatal or runtime.Goexit in node code?): a call into a node must return normally", sn.id, what.describe(-1))}
}

// watchInspect marks a call outside any host's turn (the factory, an
// Inspect) for the watchdog. The Env stays closed: no host is in a turn.
func (c *Cluster) watchInspect(sn *simNode, what turnKind) {
	c.noteTurnAt()
	c.queries++
	c.query.Store(c.queries<<32 | queryBusy | uint64(what)<<16 | uint64(sn.id)&0xffff)
}

// unwatchInspect marks the end of the call watchInspect marked.
func (c *Cluster) unwatchInspect() { c.query.Store(c.queries << 32) }

// sameSlice reports whether a and b are the same slice, not only equal
// ones: assigning one to the other would change nothing.
func sameSlice(a, b []int) bool {
	if len(a) != len(b) || cap(a) != cap(b) || (a == nil) != (b == nil) {
		return false
	}
	return cap(a) == 0 || &a[:1][0] == &b[:1][0]
}

func sameState(a, b *raftapi.NodeState) bool {
	return a.Role == b.Role && a.Term == b.Term && a.VotedFor == b.VotedFor &&
		a.LastIndex == b.LastIndex && a.LastTerm == b.LastTerm && a.CommitIndex == b.CommitIndex &&
		a.LastApplied == b.LastApplied && a.SnapshotIndex == b.SnapshotIndex && a.SnapshotTerm == b.SnapshotTerm
}

// afterTurn runs the per-turn checks on sn. After a turn that changed
// nothing Inspect shows (most ticks, heartbeats and replies), only the
// cheap checks run. The log itself is compared with the checker's copy
// when the summary of the log changed or when the turn is one that
// legitimately changes logs (Start, Snapshot, AppendEntries with entries,
// InstallSnapshot): that keeps the checkers cheap without trusting the
// summary for the turns where logs really change.
func (k *checker) afterTurn(sn *simNode, tick, logTurn bool) {
	c := k.c
	prev := sn.last
	st := c.inspect(sn)
	changed := !sameState(&prev, &st)
	if changed || !sameSlice(prev.NextIndex, st.NextIndex) || !sameSlice(prev.MatchIndex, st.MatchIndex) {
		sn.last = st // (not when equal: a copy of slices costs write barriers while the GC runs)
	}
	if changed {
		c.rec.state(sn, c.now)
	} else {
		c.rec.progress(sn, &prev, c.now)
	}
	if !k.on || (tick && !changed && len(k.applies) == 0) {
		return
	}
	k.observe(sn, &prev, &st, logTurn || len(k.applies) > 0)
}

// observe checks sn's move from state prev to st.
func (k *checker) observe(sn *simNode, prevp, stp *raftapi.NodeState, logTurn bool) {
	c := k.c
	prev, st := *prevp, *stp
	if st.CommitIndex > st.LastIndex {
		k.fail(KindSafety, props.CommitWithinLog, []int{sn.id}, nil, []int{st.CommitIndex, st.LastIndex},
			"node %d's commitIndex is %d, beyond its last log entry %d: a node holds every entry it knows to be committed. A follower sets commitIndex = min(leaderCommit, index of the last new entry), and no node discards committed entries (a truncation only removes conflicting entries, which are never committed; a stale InstallSnapshot, not past the node's own snapshot, is ignored)",
			sn.id, st.CommitIndex, st.LastIndex)
	}
	if st.Term < prev.Term {
		k.fail(KindSafety, props.TermsNeverDecrease, []int{sn.id}, []int{prev.Term, st.Term}, nil,
			"node %d's currentTerm went down from %d to %d; a server only ever raises its term (\"if RPC request or response contains term T > currentTerm: set currentTerm = T\")",
			sn.id, prev.Term, st.Term)
	}
	if st.Role == raftapi.Leader && (prev.Role != raftapi.Leader || prev.Term != st.Term) {
		if other, ok := k.leaders[st.Term]; ok && other != sn.id {
			k.fail(KindSafety, props.ElectionSafety, []int{other, sn.id}, []int{st.Term}, nil,
				"nodes %d and %d are both leader of term %d: at most one leader can be elected in a term (a candidate needs votes from a majority, and each server votes at most once per term)",
				other, sn.id, st.Term)
		}
		k.leaders[st.Term] = sn.id
	}
	if logTurn || st.LastIndex != prev.LastIndex || st.LastTerm != prev.LastTerm ||
		st.SnapshotIndex != prev.SnapshotIndex || st.SnapshotTerm != prev.SnapshotTerm || st.Term != prev.Term {
		k.diffLog(sn, &st)
	}
	if st.Role == raftapi.Leader {
		if prev.Role != raftapi.Leader || prev.Term != st.Term {
			k.leaderCompleteness(sn, &st, 1)
		}
		if st.CommitIndex > k.leaderCommit {
			from := k.leaderCommit + 1
			sh := &k.shadows[sn.id]
			for i := from; i <= st.CommitIndex; i++ {
				k.commitTerm = append(k.commitTerm, st.Term)
				t := 0
				if p := i - sh.first; p >= 0 && p < len(sh.terms) {
					t = sh.terms[p]
				} else if i < len(k.c.applied) {
					t = k.c.applied[i].term
				}
				k.commitEntryTerm = append(k.commitEntryTerm, t)
			}
			k.leaderCommit = st.CommitIndex
			for _, other := range c.nodes {
				if other.up && other != sn && other.last.Role == raftapi.Leader && other.last.Term > st.Term {
					k.leaderCompleteness(other, &other.last, from)
				}
			}
		}
	}
	for _, a := range k.applies {
		if !k.shadows[sn.id].holds(a.index, a.term) {
			k.fail(KindContract, props.ApplyMsg, []int{sn.id}, []int{a.term}, []int{a.index},
				"node %d applied index %d with CommandTerm %d, but its log does not hold an entry of that term there: CommandIndex and CommandTerm must be the index and term of the log entry whose command is applied",
				sn.id, a.index, a.term)
		}
	}
	k.applies = k.applies[:0]
	for _, idx := range k.pending {
		k.majority(idx)
	}
	k.pending = k.pending[:0]
}

// diffLog brings sn's shadow up to date with its log and checks every entry
// that changed against the Log Matching table.
func (k *checker) diffLog(sn *simNode, st *raftapi.NodeState) {
	v := k.c.inspectLog(sn)
	k.checkShape(sn, st, &v)
	sh := &k.shadows[sn.id]
	start := v.FirstIndex
	if sh.first == v.FirstIndex && sh.snapTerm == st.SnapshotTerm {
		n := min(len(sh.terms), len(v.Terms))
		j := 0
		for ; j < n && sh.terms[j] == v.Terms[j]; j++ {
			a, b := sh.cmds[j], v.Commands[j]
			if len(a) != len(b) {
				break
			}
			if len(a) > 0 && &a[0] != &b[0] {
				if !bytes.Equal(a, b) {
					break
				}
				sh.cmds[j] = b // same bytes: keep the node's slice, so that the next compare is by pointer
			}
		}
		start += j
		sh.terms, sh.cmds = sh.terms[:j], sh.cmds[:j]
	} else {
		sh.first, sh.snapTerm = v.FirstIndex, st.SnapshotTerm
		sh.terms, sh.cmds = sh.terms[:0], sh.cmds[:0]
	}
	for idx := start; idx <= st.LastIndex; idx++ {
		p := idx - v.FirstIndex
		t, cmd := v.Terms[p], v.Commands[p]
		prevTerm := st.SnapshotTerm
		if p > 0 {
			prevTerm = v.Terms[p-1]
		}
		if t < prevTerm || t > st.Term || t <= 0 {
			k.fail(KindSafety, props.LogTerms, []int{sn.id}, []int{prevTerm, t, st.Term}, []int{idx},
				"node %d's log holds an entry of term %d at index %d after an entry of term %d, in currentTerm %d: log terms never decrease along the log, are at least 1, and never exceed currentTerm",
				sn.id, t, idx, prevTerm, st.Term)
		}
		key := idxTerm{idx, t}
		if f, ok := k.entries[key]; ok {
			if !bytes.Equal(f.cmd, cmd) {
				k.fail(KindSafety, props.LogMatching, []int{f.node, sn.id}, []int{t}, []int{idx},
					"nodes %d and %d both hold an entry with index %d and term %d, but with different commands (%q and %q): a leader creates at most one entry with a given index in a given term",
					f.node, sn.id, idx, t, clip(f.cmd), clip(cmd))
			}
			if f.prevTerm != prevTerm {
				k.fail(KindSafety, props.LogMatching, []int{f.node, sn.id}, []int{t, f.prevTerm, prevTerm}, []int{idx - 1, idx},
					"nodes %d and %d both hold entry (index %d, term %d), but the entries before it differ (term %d on node %d, term %d on node %d): if two logs contain an entry with the same index and term, the logs are identical in all preceding entries (the AppendEntries consistency check on PrevLogIndex/PrevLogTerm guarantees it)",
					f.node, sn.id, idx, t, f.prevTerm, f.node, prevTerm, sn.id)
			}
		} else {
			k.entries[key] = entryFact{prevTerm: prevTerm, cmd: bytes.Clone(cmd), node: sn.id}
		}
		sh.terms = append(sh.terms, t)
		sh.cmds = append(sh.cmds, cmd)
	}
}

// checkShape fails the run if a LogView does not match the node's Inspect.
func (k *checker) checkShape(sn *simNode, st *raftapi.NodeState, v *raftapi.LogView) {
	if v.FirstIndex != st.SnapshotIndex+1 || len(v.Terms) != st.LastIndex-st.SnapshotIndex || len(v.Commands) != len(v.Terms) {
		k.fail(KindContract, props.Inspect, []int{sn.id}, nil, nil,
			"node %d's Inspect and InspectLog disagree: Inspect says snapshot through %d and last index %d, InspectLog has FirstIndex %d with %d terms and %d commands (want FirstIndex = SnapshotIndex+1 and one term and command per entry after the snapshot)",
			sn.id, st.SnapshotIndex, st.LastIndex, v.FirstIndex, len(v.Terms), len(v.Commands))
	}
	if st.LastIndex > st.SnapshotIndex && st.LastTerm != v.Terms[len(v.Terms)-1] ||
		st.LastIndex == st.SnapshotIndex && st.LastTerm != st.SnapshotTerm {
		k.fail(KindContract, props.Inspect, []int{sn.id}, nil, nil,
			"node %d's Inspect says its last entry %d has term %d, but its log says otherwise", sn.id, st.LastIndex, st.LastTerm)
	}
}

func clip(b []byte) string {
	if len(b) > 24 {
		return string(b[:24]) + "…"
	}
	return string(b)
}

// leaderCompleteness checks that leader sn holds every entry committed
// in a term lower than its own, from index `from` on (§5.4.3's Leader
// Completeness Property).
func (k *checker) leaderCompleteness(sn *simNode, st *raftapi.NodeState, from int) {
	sh := &k.shadows[sn.id]
	for i := from; i <= k.leaderCommit; i++ {
		if k.commitTerm[i] >= st.Term {
			continue
		}
		term, ok := k.entryTermAt(i)
		if !ok || sh.holds(i, term) {
			continue
		}
		k.fail(KindSafety, props.LeaderCompleteness, []int{sn.id}, []int{st.Term, term, k.commitTerm[i]}, []int{i},
			"node %d leads term %d but its log lacks entry %d (term %d), which a leader of term %d had committed. Either the election let it win with a stale log (the election restriction, §5.4.1: grant a vote only if the candidate's last log term is higher, or equal with a last index at least as high), or the entry was committed too early (§5.4.2: count replicas only for entries of the leader's current term, and only once a majority's matchIndex covers them)",
			sn.id, st.Term, i, term, k.commitTerm[i])
	}
}

// entryTermAt returns the term of the committed entry at index i: as the
// services applied it, or as the log of the leader that first reported it
// committed held it.
func (k *checker) entryTermAt(i int) (int, bool) {
	if i < len(k.c.applied) {
		return k.c.applied[i].term, true
	}
	if t := k.commitEntryTerm[i]; t > 0 {
		return t, true
	}
	return 0, false
}

// majority checks that when index idx is first applied anywhere, a
// majority of nodes hold its entry (in their log, or covered by their
// snapshot).
func (k *checker) majority(idx int) {
	e := &k.c.applied[idx]
	var holders []int
	for i := range k.shadows {
		if k.shadows[i].holds(idx, e.term) {
			holders = append(holders, i)
		}
	}
	if len(holders) <= k.c.n/2 {
		k.fail(KindSafety, props.CommitNeedsMajority, append([]int{e.node}, holders...), []int{e.term}, []int{idx},
			"node %d applied entry %d (term %d), but only nodes %v hold it, not a majority of %d: a leader may mark an entry committed only once it is stored on a majority of servers (matchIndex[i] ≥ N for a majority, and log[N].term == currentTerm)",
			e.node, idx, e.term, holders, k.c.n/2+1)
	}
}

// applyCommand checks one applied command: in order, no gaps, no repeats,
// and the same entry at that index everywhere (State Machine Safety).
func (k *checker) applyCommand(sn *simNode, msg raftapi.ApplyMsg) {
	if !k.on {
		return
	}
	s := &sn.svc
	i := msg.CommandIndex
	k.applies = append(k.applies, idxTerm{i, msg.CommandTerm})
	switch {
	case i <= 0:
		k.fail(KindContract, props.ApplyMsg, []int{sn.id}, nil, []int{i},
			"node %d applied CommandIndex %d: log indexes start at 1", sn.id, i)
	case i == s.lastApplied:
		k.fail(KindSafety, props.StateMachineSafety, []int{sn.id}, nil, []int{i},
			"node %d applied index %d twice: the service received each index once, in order (lastApplied must advance past an applied entry, also after a restart or a snapshot)", sn.id, i)
	case i < s.lastApplied:
		k.fail(KindSafety, props.StateMachineSafety, []int{sn.id}, nil, []int{i, s.lastApplied},
			"node %d applied index %d after index %d: applies go in index order, without repeats (after installing a snapshot through k, the next command applied is k+1)", sn.id, i, s.lastApplied)
	case i > s.lastApplied+1:
		k.fail(KindSafety, props.StateMachineSafety, []int{sn.id}, nil, []int{s.lastApplied, i},
			"node %d applied index %d right after index %d, skipping %d: apply every committed entry, in order, without gaps", sn.id, i, s.lastApplied, s.lastApplied+1)
	}
	if i < k.c.firstNew {
		e := &k.c.applied[i]
		if e.term != msg.CommandTerm || !bytes.Equal(e.cmd, msg.Command) {
			k.fail(KindSafety, props.StateMachineSafety, []int{e.node, sn.id}, []int{e.term, msg.CommandTerm}, []int{i},
				"node %d applied %q (term %d) at index %d, but node %d applied %q (term %d) there at %s: if a server has applied a log entry at a given index, no other server ever applies a different entry for that index",
				sn.id, clip(msg.Command), msg.CommandTerm, i, e.node, clip(e.cmd), e.term, fmtTime(e.at))
		}
		return
	}
	k.pending = append(k.pending, i)
}

// applySnapshot checks a snapshot handed to the service.
func (k *checker) applySnapshot(sn *simNode, msg raftapi.ApplyMsg, idx int, h uint64, ok bool) {
	if !k.on {
		return
	}
	s := &sn.svc
	switch {
	case !ok:
		k.fail(KindSafety, props.StateMachineSafety, []int{sn.id}, nil, []int{msg.SnapshotIndex},
			"node %d handed its service a snapshot that no service made (%d bytes): pass the snapshot data from Snapshot or InstallSnapshot through unchanged", sn.id, len(msg.Snapshot))
	case idx != msg.SnapshotIndex:
		k.fail(KindSafety, props.StateMachineSafety, []int{sn.id}, nil, []int{msg.SnapshotIndex, idx},
			"node %d applied a snapshot with SnapshotIndex %d, but the snapshot holds the service's state through index %d: SnapshotIndex must be the snapshot's LastIncludedIndex", sn.id, msg.SnapshotIndex, idx)
	case idx <= s.lastApplied:
		k.fail(KindSafety, props.SnapshotsNeverMoveBackwards, []int{sn.id}, nil, []int{idx, s.lastApplied},
			"node %d handed its service a snapshot through index %d after the service had applied through %d: a snapshot at or below the last applied index must never be applied (it would undo applied commands)", sn.id, idx, s.lastApplied)
	case idx >= len(k.c.applied):
		k.fail(KindSafety, props.StateMachineSafety, []int{sn.id}, nil, []int{idx},
			"node %d applied a snapshot through index %d, but no service has applied that far", sn.id, idx)
	case k.c.applied[idx].prefix != h:
		k.fail(KindSafety, props.StateMachineSafety, []int{sn.id}, nil, []int{idx},
			"node %d applied a snapshot through index %d whose contents differ from the commands the other services applied up to that index", sn.id, idx)
	case k.c.applied[idx].term != msg.SnapshotTerm:
		k.fail(KindSafety, props.StateMachineSafety, []int{sn.id}, []int{msg.SnapshotTerm, k.c.applied[idx].term}, []int{idx},
			"node %d applied a snapshot through index %d with SnapshotTerm %d, but the entry at %d has term %d", sn.id, idx, msg.SnapshotTerm, idx, k.c.applied[idx].term)
	}
}

// serviceRestored checks the snapshot a restarting service restores from.
func (k *checker) serviceRestored(sn *simNode, idx int, h uint64) {
	if !k.on {
		return
	}
	if idx >= len(k.c.applied) || k.c.applied[idx].prefix != h {
		k.fail(KindSafety, props.StateMachineSafety, []int{sn.id}, nil, []int{idx},
			"node %d's saved snapshot (through index %d) does not match the commands the services applied", sn.id, idx)
	}
}

// leaderOnWire checks Election Safety on the wire: only one node sends
// AppendEntries or InstallSnapshot as leader of a given term.
func (k *checker) leaderOnWire(from, term int, what string) {
	if !k.on {
		return
	}
	if other, ok := k.aeSenders[term]; ok && other != from {
		k.fail(KindSafety, props.ElectionSafety, []int{other, from}, []int{term}, nil,
			"nodes %d and %d both sent %s as leader of term %d (seen on the wire): at most one leader per term. Did a node become leader without votes from a majority, or grant two votes in one term?",
			other, from, what, term)
	}
	k.aeSenders[term] = from
}

// voteOnWire checks that a node grants at most one vote per term, across
// restarts, from the replies it sends.
func (k *checker) voteOnWire(voter, candidate int, args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
	if !k.on || !reply.VoteGranted || args.PreVote {
		return
	}
	key := voteKey{voter, args.Term}
	if other, ok := k.votes[key]; ok && other != candidate {
		hint := "votedFor must stop a second vote in the same term"
		if cr := k.crashes[voter]; cr != nil {
			hint = "the voter crashed and restarted in between: votedFor (and currentTerm) must be saved with Persister().Save before the turn that grants the vote ends (Figure 2: persistent state)"
		}
		k.fail(KindSafety, props.OneVotePerTerm, []int{voter, other, candidate}, []int{args.Term}, nil,
			"node %d granted its vote in term %d to node %d and then to node %d: each server votes for at most one candidate in a term; %s",
			voter, args.Term, other, candidate, hint)
	}
	k.votes[key] = candidate
}

// crashed records sn's state at its crash, for the durability check.
func (k *checker) crashed(sn *simNode) {
	if !k.on {
		return
	}
	st := k.c.inspect(sn)
	k.diffLog(sn, &st)
	sh := k.shadows[sn.id]
	k.crashes[sn.id] = &crashRecord{state: st, log: shadow{first: sh.first, snapTerm: sh.snapTerm,
		terms: slices.Clone(sh.terms), cmds: slices.Clone(sh.cmds)}}
}

// restarted runs after the factory built a new incarnation: its persistent
// state must equal what the old one had at the end of its last turn.
func (k *checker) restarted(sn *simNode) {
	c := k.c
	st := c.inspect(sn)
	sn.last = st
	c.rec.state(sn, c.now)
	if !k.on {
		return
	}
	cr := k.crashes[sn.id]
	if cr != nil {
		want := &cr.state
		if st.Term < want.Term {
			k.fail(KindSafety, props.TermsNeverDecrease, []int{sn.id}, []int{want.Term, st.Term}, nil,
				"node %d restarted with currentTerm %d, below the %d it had before the crash: save currentTerm with Persister().Save before any turn that changes it ends, and restore it in the Factory",
				sn.id, st.Term, want.Term)
		}
		got := c.inspectLog(sn)
		k.checkShape(sn, &st, &got)
		if what := durabilityDiff(want, &st, &cr.log, got); what != "" {
			k.fail(KindSafety, props.Durability, []int{sn.id}, []int{want.Term}, nil,
				"node %d restarted with %s (%s), but at the end of its last turn before the crash it had %s: currentTerm, votedFor, log[] (and the snapshot's last included index and term) must be saved by the end of every turn that changes them, and restored by the Factory",
				sn.id, describePersistent(&st), what, describePersistent(want))
		}
	}
	if st.SnapshotIndex != sn.svc.lastApplied {
		k.fail(KindSafety, props.Durability, []int{sn.id}, nil, []int{st.SnapshotIndex, sn.svc.lastApplied},
			"node %d restarted with its snapshot through index %d, but the snapshot it saved, from which its service restored, goes through %d: after compaction, pass the current snapshot to every Persister().Save, and save the snapshot's last included index and term with it",
			sn.id, st.SnapshotIndex, sn.svc.lastApplied)
	}
	k.observe(sn, &raftapi.NodeState{VotedFor: raftapi.None}, &st, true)
}

// durabilityDiff names the first persistent field that differs.
func durabilityDiff(want, got *raftapi.NodeState, wantLog *shadow, gotLog raftapi.LogView) string {
	switch {
	case want.Term != got.Term:
		return "a different currentTerm"
	case want.VotedFor != got.VotedFor:
		return "a different votedFor"
	case want.SnapshotIndex != got.SnapshotIndex || want.SnapshotTerm != got.SnapshotTerm:
		return "a different snapshot"
	case want.LastIndex != got.LastIndex || len(wantLog.terms) != len(gotLog.Terms):
		return "a different number of log entries"
	}
	for i, t := range wantLog.terms {
		if gotLog.Terms[i] != t || !bytes.Equal(gotLog.Commands[i], wantLog.cmds[i]) {
			return fmt.Sprintf("a different log entry at index %d", wantLog.first+i)
		}
	}
	return ""
}

func describePersistent(s *raftapi.NodeState) string {
	return fmt.Sprintf("term %d, votedFor %d, last log entry %d/%d, snapshot through %d/%d",
		s.Term, s.VotedFor, s.LastIndex, s.LastTerm, s.SnapshotIndex, s.SnapshotTerm)
}
