package rules

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"

	"github.com/raftlab/raftlab/nodehost"
	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wire"
)

// maxTicks bounds every wait: the tests assume an election timeout (and so
// a heartbeat interval) of at most this many ticks.
const maxTicks = 1000

// sentRV, sentAE and sentIS are RPCs the node sent, decoded from the
// envelopes its turn's outbox held; the host keeps their callbacks, and a
// reply reaches them by call id.
type sentRV struct {
	seq, inc, to int
	call         uint64
	args         raftapi.RequestVoteArgs
}

type sentAE struct {
	seq, inc, to int
	call         uint64
	args         raftapi.AppendEntriesArgs
}

type sentIS struct {
	seq, inc, to int
	call         uint64
	args         raftapi.InstallSnapshotArgs
}

// lastIndex is the index of the last entry the request carries (its
// PrevLogIndex for a heartbeat).
func (m *sentAE) lastIndex() int { return m.args.PrevLogIndex + len(m.args.Entries) }

type appliedMsg struct {
	inc int
	msg raftapi.ApplyMsg
}

// harness drives one node of a cluster of peers; the other peers exist
// only as the messages the test constructs. Each incarnation of the node
// runs in a nodehost.Host, as it does in the simulator.
type harness struct {
	t         TB
	paper     string
	f         raftapi.Factory
	me, peers int

	store *nodehost.Disk // the stable storage that survives crashes
	host  *nodehost.Host // the current incarnation
	inc   int            // incarnation, 1 after the first boot
	ticks int            // ticks in this incarnation

	lastTurn  string
	everyTurn bool // check after every turn that a crash would lose nothing

	seq      int
	requests uint64 // call ids of the requests the test sends the node
	rvs      []*sentRV
	aes      []*sentAE
	iss      []*sentIS
	applied  []appliedMsg
}

// newHarness boots node me of a cluster of peers nodes with fresh storage.
func newHarness(t TB, f raftapi.Factory, me, peers int) *harness {
	t.Helper()
	h := &harness{t: t, f: f, me: me, peers: peers, store: &nodehost.Disk{}}
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

// ---- violations of the contract ----

// offTurn reports a violation no turn returned: the Env used between
// turns, during GetState, Inspect or InspectLog, or after a crash.
func (h *harness) offTurn(v *nodehost.Violation) {
	switch v.Cause {
	case nodehost.CauseStale:
		h.t.Errorf("contract (raftapi.Env): Env.%s was called by a crashed incarnation of node %d; after a crash the old node must never touch its Env again", v.Method, h.me)
	default:
		h.t.Errorf("contract (raftapi, Turns): Env.%s was called outside a turn (from a goroutine, or from GetState/Inspect/InspectLog); the Env may be used only while the driver is calling the node", v.Method)
	}
}

// offTurnShadow reports a violation by a throw-away incarnation booted to
// check the saved state.
func (h *harness) offTurnShadow(v *nodehost.Violation) {
	h.t.Errorf("contract (raftapi.Factory): a node booted only to check its saved state called Env.%s after its factory returned", v.Method)
}

// violated reports what a turn (described by what) returned.
func (h *harness) violated(what string, err error) {
	h.t.Helper()
	v, ok := nodehost.AsViolation(err)
	switch {
	case !ok:
		h.fatalf("rules: the harness could not deliver %s: %v", what, err)
	case v.Cause == nodehost.CausePanic:
		h.fatalf("the node panicked in %s: %v\n%s", what, v.Value, v.Stack)
	case v.Cause == nodehost.CauseBadPeer:
		h.t.Errorf("contract (raftapi.Env): %s", v.Message)
	case v.Cause == nodehost.CauseFactoryEnv:
		h.t.Errorf("contract (raftapi.Factory): the factory called Env.%s; it may use only Env.Persister and Env.Rand (sending and applying start with the first turn)", v.Method)
	default:
		h.t.Errorf("contract: %s", v.Message)
	}
}

// ---- the wire codec: nothing the test and the node exchange aliases ----

func mustWire(err error) {
	if err != nil {
		panic("rules: wire codec round trip failed: " + err.Error())
	}
}

// ---- turns ----

func (h *harness) nextSeq() int {
	h.seq++
	return h.seq
}

// turn runs one turn of the node through the host (run is one host call)
// and takes what it sent: the requests are recorded for the test, and the
// reply of a request handler, which is the last message, is returned.
func (h *harness) turn(what string, run func() error) (reply *nodehost.Message) {
	h.t.Helper()
	if err := run(); err != nil {
		h.violated(what, err)
	}
	h.lastTurn = what
	for _, m := range h.host.TakeOutbox() {
		if m.Kind.IsReply() {
			reply = &m
			continue
		}
		h.record(m)
	}
	if h.everyTurn {
		h.checkDurable()
	}
	return reply
}

// record keeps a request the node sent, decoded from its envelope.
func (h *harness) record(m nodehost.Message) {
	h.t.Helper()
	inc := int(m.Incarnation)
	switch m.Kind {
	case wire.KindRequestVote:
		x := &sentRV{seq: h.nextSeq(), inc: inc, to: m.To, call: m.Call}
		mustWire(wire.DecodeRequestVoteArgs(m.Body, &x.args))
		if x.args.PreVote {
			h.fatalf("node %d sent a PreVote RequestVote (%s); these rule tests grade the paper's algorithm, which has no PreVote: turn PreVote off", h.me, fmtRV(x.args))
		}
		h.rvs = append(h.rvs, x)
	case wire.KindAppendEntries:
		x := &sentAE{seq: h.nextSeq(), inc: inc, to: m.To, call: m.Call}
		mustWire(wire.DecodeAppendEntriesArgs(m.Body, &x.args))
		h.aes = append(h.aes, x)
	case wire.KindInstallSnapshot:
		x := &sentIS{seq: h.nextSeq(), inc: inc, to: m.To, call: m.Call}
		mustWire(wire.DecodeInstallSnapshotArgs(m.Body, &x.args))
		h.iss = append(h.iss, x)
	}
}

// hostConfig is the configuration of incarnation inc over disk.
func (h *harness) hostConfig(inc int, disk *nodehost.Disk, rnd *rand.Rand, onViolation func(*nodehost.Violation)) nodehost.Config {
	return nodehost.Config{ID: h.me, Peers: h.peers, Incarnation: uint64(inc), Disk: disk, Rand: rnd,
		OnApply: func(msg raftapi.ApplyMsg) {
			msg.Command = bytes.Clone(msg.Command)
			msg.Snapshot = bytes.Clone(msg.Snapshot)
			h.applied = append(h.applied, appliedMsg{inc: inc, msg: msg})
		},
		OnViolation: onViolation}
}

// boot starts a new incarnation over the stored bytes.
func (h *harness) boot() {
	h.t.Helper()
	h.inc++
	rnd := rand.New(rand.NewPCG(uint64(h.me)+1, uint64(h.inc)*0x9e3779b97f4a7c15))
	host, err := h.bootHost(h.hostConfig(h.inc, h.store, rnd, h.offTurn))
	h.host, h.ticks = host, 0
	if v, ok := nodehost.AsViolation(err); ok {
		switch v.Cause {
		case nodehost.CausePanic:
			h.fatalf("the factory panicked booting node %d of %d (incarnation %d): %v\n%s", h.me, h.peers, h.inc, v.Value, v.Stack)
		case nodehost.CauseNilNode:
			h.fatalf("the factory returned a nil Node")
		default:
			h.violated("the factory", err)
		}
	}
}

// bootHost boots an incarnation, under RunWatched's watch when the rule
// runs watched.
func (h *harness) bootHost(cfg nodehost.Config) (*nodehost.Host, error) {
	if r, ok := h.t.(*ruleT); ok {
		if w, ok := r.TB.(*watchedTB); ok {
			return w.boot(h.me, cfg, h.f)
		}
	}
	return nodehost.Boot(cfg, h.f)
}

func (h *harness) tick() {
	h.t.Helper()
	h.turn("Tick", h.host.Tick)
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

// request delivers a request the test built, from peer from, and returns
// the reply the handler filled in.
func (h *harness) request(what string, kind wire.Kind, from int, body []byte) *nodehost.Message {
	h.t.Helper()
	h.requests++
	e := wire.Envelope{Kind: kind, From: from, To: h.me, Call: h.requests, Incarnation: 1, Body: body}
	reply := h.turn(what, func() error {
		_, err := h.host.Deliver(&e)
		return err
	})
	h.must(reply != nil, "rules: the handler's turn sent no reply")
	return reply
}

func (h *harness) requestVote(from int, a raftapi.RequestVoteArgs) (r raftapi.RequestVoteReply) {
	h.t.Helper()
	m := h.request(fmt.Sprintf("RequestVote from %d (%s)", from, fmtRV(a)), wire.KindRequestVote, from, wire.AppendRequestVoteArgs(nil, &a))
	mustWire(wire.DecodeRequestVoteReply(m.Body, &r))
	return r
}

func (h *harness) appendEntries(from int, a raftapi.AppendEntriesArgs) (r raftapi.AppendEntriesReply) {
	h.t.Helper()
	m := h.request(fmt.Sprintf("AppendEntries from %d (%s)", from, fmtAE(a)), wire.KindAppendEntries, from, wire.AppendAppendEntriesArgs(nil, &a))
	mustWire(wire.DecodeAppendEntriesReply(m.Body, &r))
	return r
}

func (h *harness) installSnapshot(from int, a raftapi.InstallSnapshotArgs) (r raftapi.InstallSnapshotReply) {
	h.t.Helper()
	m := h.request(fmt.Sprintf("InstallSnapshot from %d (%s)", from, fmtIS(a)), wire.KindInstallSnapshot, from, wire.AppendInstallSnapshotArgs(nil, &a))
	mustWire(wire.DecodeInstallSnapshotReply(m.Body, &r))
	return r
}

func (h *harness) start(cmd string) (index, term int, ok bool) {
	h.t.Helper()
	h.turn(fmt.Sprintf("Start(%q)", cmd), func() (err error) {
		index, term, ok, err = h.host.Start([]byte(cmd))
		return err
	})
	return index, term, ok
}

func (h *harness) snapshot(index int, data string) {
	h.t.Helper()
	h.turn(fmt.Sprintf("Snapshot(%d, %q)", index, data), func() error { return h.host.Snapshot(index, []byte(data)) })
}

// reply delivers the reply body (of kind) to the call the node made, as
// node to, unless the incarnation that sent it has crashed.
func (h *harness) reply(what, method string, kind wire.Kind, to, inc int, call uint64, body []byte) {
	h.t.Helper()
	if inc != h.inc {
		return
	}
	e := wire.Envelope{Kind: kind, From: to, To: h.me, Call: call, Incarnation: uint64(inc), Body: body}
	var out nodehost.Outcome
	h.turn(what, func() (err error) {
		out, err = h.host.Deliver(&e)
		return err
	})
	h.must(out != nodehost.DroppedNoCallback, "contract (raftapi.Env): %s was given a nil onReply", method)
	h.must(out == nodehost.Ran, "rules: the reply to %s was dropped: %s", method, out)
}

// replyRV delivers a reply to a RequestVote the node sent, unless the
// incarnation that sent it has crashed.
func (h *harness) replyRV(m *sentRV, r raftapi.RequestVoteReply) {
	h.t.Helper()
	h.reply(fmt.Sprintf("the reply {Term %d, VoteGranted %v} from %d to RequestVote(%s)", r.Term, r.VoteGranted, m.to, fmtRV(m.args)),
		"SendRequestVote", wire.KindRequestVoteReply, m.to, m.inc, m.call, wire.AppendRequestVoteReply(nil, &r))
}

func (h *harness) replyAE(m *sentAE, r raftapi.AppendEntriesReply) {
	h.t.Helper()
	h.reply(fmt.Sprintf("the reply %s from %d to AppendEntries(%s)", fmtAEReply(r), m.to, fmtAE(m.args)),
		"SendAppendEntries", wire.KindAppendEntriesReply, m.to, m.inc, m.call, wire.AppendAppendEntriesReply(nil, &r))
}

func (h *harness) replyIS(m *sentIS, r raftapi.InstallSnapshotReply) {
	h.t.Helper()
	h.reply(fmt.Sprintf("the reply {Term %d} from %d to InstallSnapshot(%s)", r.Term, m.to, fmtIS(m.args)),
		"SendInstallSnapshot", wire.KindInstallSnapshotReply, m.to, m.inc, m.call, wire.AppendInstallSnapshotReply(nil, &r))
}

// ---- queries ----

// query reports what a query returned.
func (h *harness) query(what string, err error) {
	h.t.Helper()
	if v, ok := nodehost.AsViolation(err); ok && v.Cause == nodehost.CausePanic {
		h.fatalf("the node panicked in %s: %v\n%s", what, v.Value, v.Stack)
	} else if err != nil {
		h.fatalf("%s: %v", what, err)
	}
}

func (h *harness) getState() (term int, leader bool) {
	h.t.Helper()
	term, leader, err := h.host.GetState()
	h.query("GetState", err)
	return term, leader
}

func (h *harness) inspect() raftapi.NodeState {
	h.t.Helper()
	return h.inspectNode(h.host)
}

func (h *harness) inspectNode(n *nodehost.Host) raftapi.NodeState {
	h.t.Helper()
	s, err := n.Inspect()
	h.query("Inspect", err)
	s.NextIndex = slices.Clone(s.NextIndex)
	s.MatchIndex = slices.Clone(s.MatchIndex)
	return s
}

func (h *harness) logView() raftapi.LogView {
	h.t.Helper()
	return h.logViewOf(h.host)
}

func (h *harness) logViewOf(n *nodehost.Host) raftapi.LogView {
	h.t.Helper()
	v, err := n.InspectLog()
	h.query("InspectLog", err)
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

func (h *harness) durableOf(n *nodehost.Host) durable {
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
	shadow, err := h.bootHost(h.hostConfig(0, h.store.Clone(), rand.New(rand.NewPCG(99, 99)), h.offTurnShadow))
	defer shadow.Kill()
	if v, ok := nodehost.AsViolation(err); ok {
		switch v.Cause {
		case nodehost.CausePanic:
			h.fatalf("a crash right after %s: the factory panicked restoring the saved state: %v\n%s", h.lastTurn, v.Value, v.Stack)
		case nodehost.CauseNilNode:
			h.fatalf("the factory returned a nil Node")
		default:
			h.t.Errorf("contract (raftapi.Factory): a node booted only to check its saved state called Env.%s (the factory may use only Env.Persister and Env.Rand)", v.Method)
		}
	}
	if d := h.durableOf(h.host).diff(h.durableOf(shadow)); len(d) > 0 {
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
	before := h.durableOf(h.host)
	snap := bytes.Clone(h.store.Snapshot())
	last := h.lastTurn
	h.host.Kill()
	h.boot()
	if d := before.diff(h.durableOf(h.host)); len(d) > 0 {
		h.fatalf("after a crash right after %s, the restarted node's %s. Persistent state (currentTerm, votedFor, log[], snapshot) must be saved before the turn that changes it ends (Figure 2, 'Persistent state on all servers'; raftapi: persistence point = end of turn)",
			last, strings.Join(d, "; "))
	}
	h.check(bytes.Equal(snap, h.store.Snapshot()), "restarting changed the saved snapshot from %q to %q; restoring must not rewrite it differently", snap, h.store.Snapshot())
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
