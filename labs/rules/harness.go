package rules

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wire"
)

// maxTicks bounds every wait: the tests assume an election timeout (and so
// a heartbeat interval) of at most this many ticks.
const maxTicks = 1000

// phase says what the harness is doing with the node right now, so that
// Env calls outside a turn are caught.
type phase int

const (
	idle    phase = iota // between turns, or in a query (GetState, Inspect)
	booting              // inside the factory
	inTurn               // inside a turn
)

// sentRV, sentAE and sentIS are RPCs the node sent, copied at the end of
// the turn that sent them, with the callback for their reply.
type sentRV struct {
	seq, inc, to int
	args         raftapi.RequestVoteArgs
	cb           func(*raftapi.RequestVoteReply)
}

type sentAE struct {
	seq, inc, to int
	args         raftapi.AppendEntriesArgs
	cb           func(*raftapi.AppendEntriesReply)
}

type sentIS struct {
	seq, inc, to int
	args         raftapi.InstallSnapshotArgs
	cb           func(*raftapi.InstallSnapshotReply)
}

// lastIndex is the index of the last entry the request carries (its
// PrevLogIndex for a heartbeat).
func (m *sentAE) lastIndex() int { return m.args.PrevLogIndex + len(m.args.Entries) }

type appliedMsg struct {
	inc int
	msg raftapi.ApplyMsg
}

// store is the stable storage that survives crashes.
type store struct {
	state, snapshot []byte
	saves           int
}

func (s *store) clone() *store {
	return &store{state: bytes.Clone(s.state), snapshot: bytes.Clone(s.snapshot)}
}

// harness drives one node of a cluster of peers; the other peers exist
// only as the messages the test constructs.
type harness struct {
	t         TB
	paper     string
	f         raftapi.Factory
	me, peers int

	store *store
	node  raftapi.Node
	inc   int // incarnation, 1 after the first boot
	phase phase
	ticks int // ticks in this incarnation

	lastTurn  string
	everyTurn bool // check after every turn that a crash would lose nothing

	seq     int
	pending []func() // copies of this turn's sends, made when it ends
	rvs     []*sentRV
	aes     []*sentAE
	iss     []*sentIS
	applied []appliedMsg
}

// newHarness boots node me of a cluster of peers nodes with fresh storage.
func newHarness(t TB, f raftapi.Factory, me, peers int) *harness {
	t.Helper()
	h := &harness{t: t, f: f, me: me, peers: peers, store: &store{}}
	if r, ok := t.(*ruleT); ok {
		h.paper = r.paper
		// From the persistence stage on, every turn of every rule must
		// leave the saved state equal to the node's durable state.
		h.everyTurn = r.stage == Persistence || r.stage == Snapshots
	}
	h.boot()
	return h
}

// fatalf fails the rule, prefixing the rule's citation.
func (h *harness) fatalf(format string, args ...any) {
	h.t.Helper()
	h.t.Fatalf("%s: %s", h.paper, fmt.Sprintf(format, args...))
}

// errorf reports a failure of the rule, prefixing the rule's citation.
func (h *harness) errorf(format string, args ...any) {
	h.t.Helper()
	h.t.Errorf("%s: %s", h.paper, fmt.Sprintf(format, args...))
}

// check reports a failure unless ok, and returns ok.
func (h *harness) check(ok bool, format string, args ...any) bool {
	h.t.Helper()
	if !ok {
		h.errorf(format, args...)
	}
	return ok
}

// must stops the rule unless ok.
func (h *harness) must(ok bool, format string, args ...any) {
	h.t.Helper()
	if !ok {
		h.fatalf(format, args...)
	}
}

// ---- the Env ----

type env struct {
	h      *harness
	inc    int
	shadow *shadowBoot // non-nil for the throw-away boots of durability checks
	rnd    *rand.Rand
}

type shadowBoot struct {
	store   *store
	booting bool
}

// allow reports whether the node may call the Env method what now;
// bootOK says whether the factory may call it.
func (e *env) allow(what string, bootOK bool) bool {
	h := e.h
	if e.shadow != nil {
		if e.shadow.booting && bootOK {
			return true
		}
		h.t.Errorf("contract (raftapi.Factory): a node booted only to check its saved state called Env.%s%s",
			what, map[bool]string{true: " after its factory returned", false: " (the factory may use only Env.Persister and Env.Rand)"}[e.shadow.booting])
		return false
	}
	switch {
	case e.inc != h.inc:
		h.t.Errorf("contract (raftapi.Env): Env.%s was called by a crashed incarnation of node %d; after a crash the old node must never touch its Env again", what, h.me)
		return false
	case h.phase == inTurn:
		return true
	case h.phase == booting && bootOK:
		return true
	case h.phase == booting:
		h.t.Errorf("contract (raftapi.Factory): the factory called Env.%s; it may use only Env.Persister and Env.Rand (sending and applying start with the first turn)", what)
		return false
	default:
		h.t.Errorf("contract (raftapi, Turns): Env.%s was called outside a turn (from a goroutine, or from GetState/Inspect/InspectLog); the Env may be used only while the driver is calling the node", what)
		return false
	}
}

func (e *env) peerOK(what string, to int) bool {
	h := e.h
	if to < 0 || to >= h.peers || to == h.me {
		h.t.Errorf("contract (raftapi.Env): %s to node %d, but node %d's peers are 0..%d excluding itself", what, to, h.me, h.peers-1)
		return false
	}
	return true
}

func (e *env) SendRequestVote(to int, args *raftapi.RequestVoteArgs, onReply func(*raftapi.RequestVoteReply)) {
	h := e.h
	if !e.allow("SendRequestVote", false) || !e.peerOK("SendRequestVote", to) {
		return
	}
	inc := e.inc
	copied := copyRVArgs(args) // copied at the call; it leaves when the turn ends (raftapi.Env)
	h.pending = append(h.pending, func() {
		m := &sentRV{seq: h.nextSeq(), inc: inc, to: to, args: copied, cb: onReply}
		if m.args.PreVote {
			h.fatalf("node %d sent a PreVote RequestVote (%s); these rule tests grade the paper's algorithm, which has no PreVote: turn PreVote off", h.me, fmtRV(m.args))
		}
		h.rvs = append(h.rvs, m)
	})
}

func (e *env) SendAppendEntries(to int, args *raftapi.AppendEntriesArgs, onReply func(*raftapi.AppendEntriesReply)) {
	h := e.h
	if !e.allow("SendAppendEntries", false) || !e.peerOK("SendAppendEntries", to) {
		return
	}
	inc := e.inc
	copied := copyAEArgs(args)
	h.pending = append(h.pending, func() {
		h.aes = append(h.aes, &sentAE{seq: h.nextSeq(), inc: inc, to: to, args: copied, cb: onReply})
	})
}

func (e *env) SendInstallSnapshot(to int, args *raftapi.InstallSnapshotArgs, onReply func(*raftapi.InstallSnapshotReply)) {
	h := e.h
	if !e.allow("SendInstallSnapshot", false) || !e.peerOK("SendInstallSnapshot", to) {
		return
	}
	inc := e.inc
	copied := copyISArgs(args)
	h.pending = append(h.pending, func() {
		h.iss = append(h.iss, &sentIS{seq: h.nextSeq(), inc: inc, to: to, args: copied, cb: onReply})
	})
}

func (e *env) Apply(msg raftapi.ApplyMsg) {
	if !e.allow("Apply", false) {
		return
	}
	msg.Command = bytes.Clone(msg.Command)
	msg.Snapshot = bytes.Clone(msg.Snapshot)
	e.h.applied = append(e.h.applied, appliedMsg{inc: e.inc, msg: msg})
}

func (e *env) Persister() raftapi.Persister {
	e.allow("Persister", true)
	return envPersister{e}
}

func (e *env) Rand() *rand.Rand {
	e.allow("Rand", true)
	return e.rnd
}

// envPersister checks that its incarnation is in a turn on every call.
type envPersister struct{ e *env }

func (p envPersister) st() *store {
	if p.e.shadow != nil {
		return p.e.shadow.store
	}
	return p.e.h.store
}

func (p envPersister) Save(state, snapshot []byte) {
	if p.e.allow("Persister().Save", true) {
		s := p.st()
		s.state, s.snapshot = bytes.Clone(state), bytes.Clone(snapshot)
		s.saves++
	}
}

func (p envPersister) ReadState() []byte {
	p.e.allow("Persister().ReadState", true)
	return bytes.Clone(p.st().state)
}

func (p envPersister) ReadSnapshot() []byte {
	p.e.allow("Persister().ReadSnapshot", true)
	return bytes.Clone(p.st().snapshot)
}

func (p envPersister) StateSize() int {
	p.e.allow("Persister().StateSize", true)
	return len(p.st().state)
}

func (p envPersister) SnapshotSize() int {
	p.e.allow("Persister().SnapshotSize", true)
	return len(p.st().snapshot)
}

// ---- copies through the wire codec, so that nothing aliases ----

func mustWire(err error) {
	if err != nil {
		panic("rules: wire codec round trip failed: " + err.Error())
	}
}

func copyRVArgs(a *raftapi.RequestVoteArgs) (out raftapi.RequestVoteArgs) {
	mustWire(wire.DecodeRequestVoteArgs(wire.AppendRequestVoteArgs(nil, a), &out))
	return out
}

func copyRVReply(a *raftapi.RequestVoteReply) (out raftapi.RequestVoteReply) {
	mustWire(wire.DecodeRequestVoteReply(wire.AppendRequestVoteReply(nil, a), &out))
	return out
}

func copyAEArgs(a *raftapi.AppendEntriesArgs) (out raftapi.AppendEntriesArgs) {
	mustWire(wire.DecodeAppendEntriesArgs(wire.AppendAppendEntriesArgs(nil, a), &out))
	return out
}

func copyAEReply(a *raftapi.AppendEntriesReply) (out raftapi.AppendEntriesReply) {
	mustWire(wire.DecodeAppendEntriesReply(wire.AppendAppendEntriesReply(nil, a), &out))
	return out
}

func copyISArgs(a *raftapi.InstallSnapshotArgs) (out raftapi.InstallSnapshotArgs) {
	mustWire(wire.DecodeInstallSnapshotArgs(wire.AppendInstallSnapshotArgs(nil, a), &out))
	return out
}

func copyISReply(a *raftapi.InstallSnapshotReply) (out raftapi.InstallSnapshotReply) {
	mustWire(wire.DecodeInstallSnapshotReply(wire.AppendInstallSnapshotReply(nil, a), &out))
	return out
}

// ---- turns ----

func (h *harness) nextSeq() int {
	h.seq++
	return h.seq
}

// protect runs fn, turning a panic into a value.
func protect(fn func()) (pv any, stack []byte) {
	defer func() {
		if r := recover(); r != nil {
			pv, stack = r, debug.Stack()
		}
	}()
	fn()
	return nil, nil
}

// turn runs fn as one turn of the node: Env calls are allowed, a panic
// fails the rule, and the turn's sends are copied when it ends.
func (h *harness) turn(what string, fn func()) {
	h.t.Helper()
	h.phase, h.pending = inTurn, nil
	pv, stack := protect(fn)
	h.phase = idle
	if pv != nil {
		h.fatalf("the node panicked in %s: %v\n%s", what, pv, stack)
	}
	h.lastTurn = what
	pending := h.pending
	h.pending = nil
	for _, p := range pending {
		p()
	}
	if h.everyTurn {
		h.checkDurable()
	}
}

// query runs fn (GetState, Inspect, InspectLog) outside a turn.
func (h *harness) query(what string, fn func()) {
	h.t.Helper()
	pv, stack := protect(fn)
	if pv != nil {
		h.fatalf("the node panicked in %s: %v\n%s", what, pv, stack)
	}
}

// boot starts a new incarnation over the stored bytes.
func (h *harness) boot() {
	h.t.Helper()
	h.inc++
	e := &env{h: h, inc: h.inc, rnd: rand.New(rand.NewPCG(uint64(h.me)+1, uint64(h.inc)*0x9e3779b97f4a7c15))}
	var n raftapi.Node
	h.phase = booting
	pv, stack := protect(func() { n = h.f(h.me, h.peers, e) })
	h.phase = idle
	if pv != nil {
		h.fatalf("the factory panicked booting node %d of %d (incarnation %d): %v\n%s", h.me, h.peers, h.inc, pv, stack)
	}
	h.must(n != nil, "the factory returned a nil Node")
	h.node, h.ticks = n, 0
}

func (h *harness) tick() {
	h.t.Helper()
	h.turn("Tick", h.node.Tick)
	h.ticks++
}

// tickUntil ticks until cond holds (checking it first), at most max ticks,
// and returns the number of ticks; it stops the rule with "what did not
// happen" otherwise.
func (h *harness) tickUntil(what string, cond func() bool, max int) int {
	h.t.Helper()
	for i := 0; ; i++ {
		if cond() {
			return i
		}
		if i == max {
			h.fatalf("%s did not happen within %d ticks", what, max)
		}
		h.tick()
	}
}

// tickN ticks n times.
func (h *harness) tickN(n int) {
	h.t.Helper()
	for range n {
		h.tick()
	}
}

func (h *harness) requestVote(from int, a raftapi.RequestVoteArgs) raftapi.RequestVoteReply {
	h.t.Helper()
	args := copyRVArgs(&a)
	var reply raftapi.RequestVoteReply
	h.turn(fmt.Sprintf("RequestVote from %d (%s)", from, fmtRV(a)), func() { h.node.RequestVote(from, &args, &reply) })
	return copyRVReply(&reply)
}

func (h *harness) appendEntries(from int, a raftapi.AppendEntriesArgs) raftapi.AppendEntriesReply {
	h.t.Helper()
	args := copyAEArgs(&a)
	var reply raftapi.AppendEntriesReply
	h.turn(fmt.Sprintf("AppendEntries from %d (%s)", from, fmtAE(a)), func() { h.node.AppendEntries(from, &args, &reply) })
	return copyAEReply(&reply)
}

func (h *harness) installSnapshot(from int, a raftapi.InstallSnapshotArgs) raftapi.InstallSnapshotReply {
	h.t.Helper()
	args := copyISArgs(&a)
	var reply raftapi.InstallSnapshotReply
	h.turn(fmt.Sprintf("InstallSnapshot from %d (%s)", from, fmtIS(a)), func() { h.node.InstallSnapshot(from, &args, &reply) })
	return copyISReply(&reply)
}

func (h *harness) start(cmd string) (index, term int, ok bool) {
	h.t.Helper()
	h.turn(fmt.Sprintf("Start(%q)", cmd), func() { index, term, ok = h.node.Start([]byte(cmd)) })
	return index, term, ok
}

func (h *harness) snapshot(index int, data string) {
	h.t.Helper()
	h.turn(fmt.Sprintf("Snapshot(%d, %q)", index, data), func() { h.node.Snapshot(index, []byte(data)) })
}

// replyRV delivers a reply to a RequestVote the node sent, unless the
// incarnation that sent it has crashed.
func (h *harness) replyRV(m *sentRV, r raftapi.RequestVoteReply) {
	h.t.Helper()
	if m.inc != h.inc {
		return
	}
	h.must(m.cb != nil, "contract (raftapi.Env): SendRequestVote was given a nil onReply")
	rc := copyRVReply(&r)
	h.turn(fmt.Sprintf("the reply {Term %d, VoteGranted %v} from %d to RequestVote(%s)", r.Term, r.VoteGranted, m.to, fmtRV(m.args)), func() { m.cb(&rc) })
}

func (h *harness) replyAE(m *sentAE, r raftapi.AppendEntriesReply) {
	h.t.Helper()
	if m.inc != h.inc {
		return
	}
	h.must(m.cb != nil, "contract (raftapi.Env): SendAppendEntries was given a nil onReply")
	rc := copyAEReply(&r)
	h.turn(fmt.Sprintf("the reply %s from %d to AppendEntries(%s)", fmtAEReply(r), m.to, fmtAE(m.args)), func() { m.cb(&rc) })
}

func (h *harness) replyIS(m *sentIS, r raftapi.InstallSnapshotReply) {
	h.t.Helper()
	if m.inc != h.inc {
		return
	}
	h.must(m.cb != nil, "contract (raftapi.Env): SendInstallSnapshot was given a nil onReply")
	rc := copyISReply(&r)
	h.turn(fmt.Sprintf("the reply {Term %d} from %d to InstallSnapshot(%s)", r.Term, m.to, fmtIS(m.args)), func() { m.cb(&rc) })
}

// ---- queries ----

func (h *harness) getState() (term int, leader bool) {
	h.t.Helper()
	h.query("GetState", func() { term, leader = h.node.GetState() })
	return term, leader
}

func (h *harness) inspect() raftapi.NodeState {
	h.t.Helper()
	return h.inspectNode(h.node)
}

func (h *harness) inspectNode(n raftapi.Node) (s raftapi.NodeState) {
	h.t.Helper()
	h.query("Inspect", func() { s = n.Inspect() })
	s.NextIndex = slices.Clone(s.NextIndex)
	s.MatchIndex = slices.Clone(s.MatchIndex)
	return s
}

func (h *harness) logView() raftapi.LogView {
	h.t.Helper()
	return h.logViewOf(h.node)
}

func (h *harness) logViewOf(n raftapi.Node) (v raftapi.LogView) {
	h.t.Helper()
	h.query("InspectLog", func() { v = n.InspectLog() })
	v.Terms = slices.Clone(v.Terms)
	cmds := make([][]byte, len(v.Commands))
	for i, c := range v.Commands {
		cmds[i] = bytes.Clone(c)
	}
	v.Commands = cmds
	return v
}

// logTerms returns the terms of the log after the snapshot.
func (h *harness) logTerms() []int {
	h.t.Helper()
	return h.logView().Terms
}

// matchIndex returns the leader's matchIndex for peer p (-1 if Inspect
// reports none).
func (h *harness) matchIndex(p int) int {
	h.t.Helper()
	s := h.inspect()
	if p >= len(s.MatchIndex) {
		return -1
	}
	return s.MatchIndex[p]
}

// appliedNow returns what the current incarnation applied, in order.
func (h *harness) appliedNow() []raftapi.ApplyMsg {
	var out []raftapi.ApplyMsg
	for _, a := range h.applied {
		if a.inc == h.inc {
			out = append(out, a.msg)
		}
	}
	return out
}

// lastAppliedIndex returns the index of the last command the current
// incarnation applied, counting an applied snapshot as applying its index.
func (h *harness) lastAppliedIndex() int {
	last := 0
	for _, m := range h.appliedNow() {
		switch {
		case m.CommandValid:
			last = m.CommandIndex
		case m.SnapshotValid:
			last = m.SnapshotIndex
		}
	}
	return last
}

// waitApplied ticks until the node has applied through index.
func (h *harness) waitApplied(index int, why string) {
	h.t.Helper()
	h.tickUntil(fmt.Sprintf("applying every entry through index %d (%s; Figure 2, All Servers: if commitIndex > lastApplied, apply log[lastApplied])", index, why),
		func() bool { return h.lastAppliedIndex() >= index }, maxTicks)
}

// ---- what was sent ----

// mark returns a position in the sequence of sent messages; the *Since
// functions return what was sent after it.
func (h *harness) mark() int { return h.seq }

func (h *harness) rvsSince(m int) []*sentRV {
	var out []*sentRV
	for _, x := range h.rvs {
		if x.seq > m && x.inc == h.inc {
			out = append(out, x)
		}
	}
	return out
}

func (h *harness) aesSince(m, to int) []*sentAE {
	var out []*sentAE
	for _, x := range h.aes {
		if x.seq > m && x.inc == h.inc && (to < 0 || x.to == to) {
			out = append(out, x)
		}
	}
	return out
}

func (h *harness) issSince(m, to int) []*sentIS {
	var out []*sentIS
	for _, x := range h.iss {
		if x.seq > m && x.inc == h.inc && (to < 0 || x.to == to) {
			out = append(out, x)
		}
	}
	return out
}

// waitAE ticks until the node has sent, after mark m, an AppendEntries to
// peer to that satisfies pred (nil: any), and returns the first such.
func (h *harness) waitAE(m, to int, what string, pred func(*sentAE) bool) *sentAE {
	h.t.Helper()
	var found *sentAE
	h.tickUntil(what, func() bool {
		for _, x := range h.aesSince(m, to) {
			if pred == nil || pred(x) {
				found = x
				return true
			}
		}
		return false
	}, maxTicks)
	return found
}

// nextAE ticks until the node sends, after mark m, any AppendEntries to
// peer to, and returns the first one.
func (h *harness) nextAE(m, to int, what string) *sentAE {
	h.t.Helper()
	return h.waitAE(m, to, what, nil)
}

// waitElection ticks until the node sends RequestVotes, and returns those
// of the newest term that the first election turn sent.
func (h *harness) waitElection(what string) []*sentRV {
	h.t.Helper()
	m := h.mark()
	h.tickUntil(what, func() bool { return len(h.rvsSince(m)) > 0 }, maxTicks)
	return h.rvsSince(m)
}

// becomeLeader ticks until the node starts an election and grants it the
// votes of a majority, and returns the leader's term.
func (h *harness) becomeLeader() int {
	h.t.Helper()
	defer h.inSetup("winning an election", props.ElectionTimeout, props.StartElection, props.MajorityElects)()
	return h.winElection(h.waitElection("setup: the node starting an election (sending RequestVote) on its election timeout (Figure 2, Followers)"))
}

// winElection grants the newest-term requests among rvs from a majority
// and checks that the node became leader; it returns the term.
func (h *harness) winElection(rvs []*sentRV) int {
	h.t.Helper()
	defer h.inSetup("winning an election", props.StartElection, props.MajorityElects)()
	term := 0
	for _, rv := range rvs {
		term = max(term, rv.args.Term)
	}
	granted := map[int]bool{}
	for _, rv := range rvs {
		if rv.args.Term == term && !granted[rv.to] && len(granted) < h.peers/2 {
			granted[rv.to] = true
			h.replyRV(rv, raftapi.RequestVoteReply{Term: term, VoteGranted: true})
		}
	}
	h.must(len(granted) >= h.peers/2, "setup: in its election for term %d the node sent RequestVote to only %d peers (%v), but it needs the votes of %d others (Figure 2, Candidates: send RequestVote RPCs to all other servers)",
		term, len(granted), keys(granted), h.peers/2)
	got, leader := h.getState()
	h.must(leader && got == term, "setup: after votes from a majority (itself and %v) in term %d, GetState() = (%d, %v), want (%d, true) (Figure 2, Candidates: if votes received from majority of servers, become leader)",
		keys(granted), term, got, leader, term)
	return term
}

// follow makes the node a follower of leader in term with the given log
// (entries 1..len(terms)) and leader commit index.
func (h *harness) follow(leader, term int, terms []int, commit int) {
	h.t.Helper()
	defer h.inSetup("following a leader's log", props.AppendEntriesConsistencyCheck, props.AppendNewEntries)()
	a := raftapi.AppendEntriesArgs{Term: term, LeaderID: leader, Entries: ents(0, terms...), LeaderCommit: commit}
	r := h.appendEntries(leader, a)
	h.must(r.Success, "setup: %s to a fresh node was refused (reply %s); a node with an empty log must accept entries after PrevLogIndex 0 (Figure 2, AppendEntries receiver rules 2-4)", fmtAE(a), fmtAEReply(r))
	h.must(slices.Equal(h.logTerms(), terms), "setup: after %s the follower's log terms are %v, want %v (Figure 2, AppendEntries receiver rule 4)", fmtAE(a), h.logTerms(), terms)
}

// ---- durability ----

// durable is what must survive a crash.
type durable struct {
	Term, VotedFor              int
	SnapshotIndex, SnapshotTerm int
	LastIndex, LastTerm         int
	Terms                       []int
	Commands                    [][]byte
}

func (h *harness) durableOf(n raftapi.Node) durable {
	h.t.Helper()
	s := h.inspectNode(n)
	v := h.logViewOf(n)
	return durable{
		Term: s.Term, VotedFor: s.VotedFor,
		SnapshotIndex: s.SnapshotIndex, SnapshotTerm: s.SnapshotTerm,
		LastIndex: s.LastIndex, LastTerm: s.LastTerm,
		Terms: v.Terms, Commands: v.Commands,
	}
}

// diff lists how after differs from before.
func (d durable) diff(after durable) []string {
	var out []string
	add := func(what string, b, a any) { out = append(out, fmt.Sprintf("%s is %v but was %v", what, a, b)) }
	if d.Term != after.Term {
		add("currentTerm", d.Term, after.Term)
	}
	if d.VotedFor != after.VotedFor {
		add("votedFor", d.VotedFor, after.VotedFor)
	}
	if d.SnapshotIndex != after.SnapshotIndex || d.SnapshotTerm != after.SnapshotTerm {
		add("snapshot index/term", fmt.Sprintf("%d/%d", d.SnapshotIndex, d.SnapshotTerm), fmt.Sprintf("%d/%d", after.SnapshotIndex, after.SnapshotTerm))
	}
	if d.LastIndex != after.LastIndex || d.LastTerm != after.LastTerm {
		add("last log index/term", fmt.Sprintf("%d/%d", d.LastIndex, d.LastTerm), fmt.Sprintf("%d/%d", after.LastIndex, after.LastTerm))
	}
	if !slices.Equal(d.Terms, after.Terms) {
		add("log terms (after the snapshot)", d.Terms, after.Terms)
	} else if !slices.EqualFunc(d.Commands, after.Commands, bytes.Equal) {
		add("log commands", fmtCmds(d.Commands), fmtCmds(after.Commands))
	}
	return out
}

// checkDurable boots a throw-away incarnation over a copy of the saved
// bytes and checks that it restores what the live node has now: a crash at
// this point would lose nothing.
func (h *harness) checkDurable() {
	h.t.Helper()
	sb := &shadowBoot{store: h.store.clone(), booting: true}
	e := &env{h: h, inc: -1, shadow: sb, rnd: rand.New(rand.NewPCG(99, 99))}
	var n raftapi.Node
	pv, stack := protect(func() { n = h.f(h.me, h.peers, e) })
	sb.booting = false
	if pv != nil {
		h.fatalf("a crash right after %s: the factory panicked restoring the saved state: %v\n%s", h.lastTurn, pv, stack)
	}
	h.must(n != nil, "the factory returned a nil Node")
	if d := h.durableOf(h.node).diff(h.durableOf(n)); len(d) > 0 {
		h.fatalf("a crash right after %s would lose state: the restarted node's %s. Persistent state (currentTerm, votedFor, log[], snapshot) must be saved before the turn that changes it ends (Figure 2, 'Persistent state on all servers'; raftapi: persistence point = end of turn)",
			h.lastTurn, strings.Join(d, "; "))
	}
}

// crashAndRestart crashes the node between turns and boots a new
// incarnation over the saved bytes: pending callbacks die. It checks that
// the durable state survived and that the new incarnation starts with
// lastApplied = commitIndex = its snapshot index.
func (h *harness) crashAndRestart() {
	h.t.Helper()
	before := h.durableOf(h.node)
	snap := bytes.Clone(h.store.snapshot)
	last := h.lastTurn
	h.node = nil
	h.boot()
	if d := before.diff(h.durableOf(h.node)); len(d) > 0 {
		h.fatalf("after a crash right after %s, the restarted node's %s. Persistent state (currentTerm, votedFor, log[], snapshot) must be saved before the turn that changes it ends (Figure 2, 'Persistent state on all servers'; raftapi: persistence point = end of turn)",
			last, strings.Join(d, "; "))
	}
	h.check(bytes.Equal(snap, h.store.snapshot), "restarting changed the saved snapshot from %q to %q; restoring must not rewrite it differently", snap, h.store.snapshot)
	s := h.inspect()
	h.check(s.CommitIndex == s.SnapshotIndex && s.LastApplied == s.SnapshotIndex,
		"after a restart, commitIndex = %d and lastApplied = %d, but a node starts with lastApplied = commitIndex = its snapshot's last included index (%d) (raftapi, 'The service': the service restores itself from the snapshot; Figure 2: commitIndex and lastApplied are volatile)",
		s.CommitIndex, s.LastApplied, s.SnapshotIndex)
	_, leader := h.getState()
	h.check(!leader, "right after a restart GetState() reports leader; a server starts up as a follower (§5.2)")
}

// ---- constructing and printing messages ----

// cmd is the command the tests put at index i in term t.
func cmd(term, index int) []byte { return fmt.Appendf(nil, "t%d-i%d", term, index) }

// ents returns entries with the given terms at indexes prev+1, prev+2, ...
func ents(prev int, terms ...int) []raftapi.Entry {
	if len(terms) == 0 {
		return nil
	}
	out := make([]raftapi.Entry, len(terms))
	for i, t := range terms {
		out[i] = raftapi.Entry{Term: t, Command: cmd(t, prev+1+i)}
	}
	return out
}

func entryTerms(es []raftapi.Entry) []int {
	out := make([]int, len(es))
	for i, e := range es {
		out[i] = e.Term
	}
	return out
}

func fmtRV(a raftapi.RequestVoteArgs) string {
	return fmt.Sprintf("term %d, candidate %d, last log %d/%d", a.Term, a.CandidateID, a.LastLogIndex, a.LastLogTerm)
}

func fmtAE(a raftapi.AppendEntriesArgs) string {
	return fmt.Sprintf("term %d, leader %d, prev %d/%d, %d entries %v, commit %d", a.Term, a.LeaderID, a.PrevLogIndex, a.PrevLogTerm, len(a.Entries), entryTerms(a.Entries), a.LeaderCommit)
}

func fmtAEReply(r raftapi.AppendEntriesReply) string {
	return fmt.Sprintf("{Term %d, Success %v, XTerm %d, XIndex %d, XLen %d}", r.Term, r.Success, r.XTerm, r.XIndex, r.XLen)
}

func fmtIS(a raftapi.InstallSnapshotArgs) string {
	return fmt.Sprintf("term %d, leader %d, last included %d/%d, %d bytes", a.Term, a.LeaderID, a.LastIncludedIndex, a.LastIncludedTerm, len(a.Data))
}

func fmtCmds(cs [][]byte) string {
	parts := make([]string, len(cs))
	for i, c := range cs {
		parts[i] = fmt.Sprintf("%q", c)
	}
	return "[" + strings.Join(parts, " ") + "]"
}

func keys(m map[int]bool) []int {
	out := make([]int, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}
