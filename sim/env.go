package sim

import (
	"fmt"
	"math/rand/v2"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wire"
)

// nodeEnv is the Env (and Persister) of one incarnation of one node. Every
// method first checks that it is called during a turn of that incarnation.
type nodeEnv struct {
	c       *Cluster
	sn      *simNode
	id, inc int
	rand    *rand.Rand
	factory bool // the factory is running: only Persister and Rand are allowed
}

var (
	_ raftapi.Env       = (*nodeEnv)(nil)
	_ raftapi.Persister = (*nodeEnv)(nil)
)

// allowed reports whether the env may be used now. Off the scenario's
// goroutine (a node that started its own goroutine) it records the
// violation for the scenario to pick up and the call does nothing.
func (e *nodeEnv) allowed(method string, inFactory bool) bool {
	if e.c.turnOwner.Load() == owner(e.id, e.inc) && (inFactory || !e.factory) {
		return true
	}
	var msg string
	switch {
	case e.c.turnOwner.Load() == owner(e.id, e.inc):
		msg = fmt.Sprintf("node %d called Env.%s from its Factory; the factory may use only Persister() and Rand(): sending and applying start with the first turn (send from Tick)", e.id, method)
	case e.sn.inc != e.inc || !e.sn.up:
		msg = fmt.Sprintf("node %d called Env.%s after it crashed (a stale incarnation is still running: a goroutine or a timer left over from before the crash?). Nodes must not start goroutines", e.id, method)
	default:
		msg = fmt.Sprintf("node %d called Env.%s outside its turn (from a goroutine?). A node runs only inside the calls the driver makes (Tick, handlers, reply callbacks, Start, Snapshot) and must not start goroutines", e.id, method)
	}
	f := &Failure{Kind: KindContract, Rule: "turns", Nodes: []int{e.id}, Message: msg}
	if e.c.turnOwner.Load() == owner(e.id, e.inc) {
		e.c.fail(f) // on the scenario's goroutine: stop now
	}
	e.c.async.CompareAndSwap(nil, f)
	return false
}

func (e *nodeEnv) checkPeer(method string, to int) {
	if to < 0 || to >= e.c.n || to == e.id {
		e.c.fail(&Failure{Kind: KindContract, Rule: "peers", Nodes: []int{e.id},
			Message: fmt.Sprintf("node %d called Env.%s(to=%d); peers are numbered 0..%d and a node does not send to itself", e.id, method, to, e.c.n-1)})
	}
}

// SendRequestVote sends a RequestVote; see raftapi.Env.
func (e *nodeEnv) SendRequestVote(to int, args *raftapi.RequestVoteArgs, onReply func(*raftapi.RequestVoteReply)) {
	if !e.allowed("SendRequestVote", false) {
		return
	}
	e.checkPeer("SendRequestVote", to)
	cl := &call{node: e.id, inc: e.inc, onRV: onReply, preVote: args.PreVote}
	e.c.send(&message{kind: MsgRequestVote, from: e.id, to: to, call: cl,
		data: wire.AppendRequestVoteArgs(nil, args), sum: sumRV(args)})
}

// SendAppendEntries sends an AppendEntries; see raftapi.Env.
func (e *nodeEnv) SendAppendEntries(to int, args *raftapi.AppendEntriesArgs, onReply func(*raftapi.AppendEntriesReply)) {
	if !e.allowed("SendAppendEntries", false) {
		return
	}
	e.checkPeer("SendAppendEntries", to)
	e.c.check.leaderOnWire(e.id, args.Term, "AppendEntries")
	cl := &call{node: e.id, inc: e.inc, onAE: onReply}
	e.c.send(&message{kind: MsgAppendEntries, from: e.id, to: to, call: cl,
		data: wire.AppendAppendEntriesArgs(nil, args), sum: sumAE(args)})
}

// SendInstallSnapshot sends an InstallSnapshot; see raftapi.Env.
func (e *nodeEnv) SendInstallSnapshot(to int, args *raftapi.InstallSnapshotArgs, onReply func(*raftapi.InstallSnapshotReply)) {
	if !e.allowed("SendInstallSnapshot", false) {
		return
	}
	e.checkPeer("SendInstallSnapshot", to)
	e.c.check.leaderOnWire(e.id, args.Term, "InstallSnapshot")
	cl := &call{node: e.id, inc: e.inc, onIS: onReply}
	e.c.send(&message{kind: MsgInstallSnapshot, from: e.id, to: to, call: cl,
		data: wire.AppendInstallSnapshotArgs(nil, args), sum: sumIS(args)})
}

// Apply hands msg to the node's service; see raftapi.Env.
func (e *nodeEnv) Apply(msg raftapi.ApplyMsg) {
	if !e.allowed("Apply", false) {
		return
	}
	e.c.apply(e.sn, msg)
}

// Persister returns the node's stable storage.
func (e *nodeEnv) Persister() raftapi.Persister { return e }

// Rand returns the node's random stream.
func (e *nodeEnv) Rand() *rand.Rand {
	e.allowed("Rand", true) // from a goroutine it would make the run nondeterministic
	return e.rand
}

// Save replaces state and snapshot atomically, copying both.
func (e *nodeEnv) Save(state, snapshot []byte) {
	if !e.allowed("Persister().Save", true) {
		return
	}
	d := &e.sn.disk
	d.state = append(d.state[:0:0], state...)
	if len(snapshot) == 0 { // an empty snapshot is no snapshot, as ReadSnapshot reports it
		d.snapshot = nil
	} else {
		d.snapshot = append(make([]byte, 0, len(snapshot)), snapshot...)
	}
	e.c.stats.persisted(e.id, len(state), len(snapshot))
}

// ReadState returns a copy of the saved Raft state.
func (e *nodeEnv) ReadState() []byte {
	if !e.allowed("Persister().ReadState", true) || e.sn.disk.state == nil {
		return nil
	}
	return append([]byte(nil), e.sn.disk.state...)
}

// ReadSnapshot returns a copy of the saved snapshot.
func (e *nodeEnv) ReadSnapshot() []byte {
	if !e.allowed("Persister().ReadSnapshot", true) || e.sn.disk.snapshot == nil {
		return nil
	}
	return append([]byte(nil), e.sn.disk.snapshot...)
}

// StateSize is the saved Raft state's size in bytes.
func (e *nodeEnv) StateSize() int { return len(e.sn.disk.state) }

// SnapshotSize is the saved snapshot's size in bytes.
func (e *nodeEnv) SnapshotSize() int { return len(e.sn.disk.snapshot) }
