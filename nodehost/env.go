package nodehost

import (
	"math/rand/v2"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wire"
)

// env is the Env a host gives its node, and persister its Persister: the
// host itself under other method sets, so that neither costs an allocation
// and the Host's own API is not cluttered with the node's.
type (
	env       Host
	persister Host
)

var (
	_ raftapi.Env       = (*env)(nil)
	_ raftapi.Persister = (*persister)(nil)
)

// allow reports whether the Env may be used now; inFactory says whether the
// Factory may call method. A refused call is a violation: during the
// factory it is returned when the factory ends; otherwise (between turns,
// during a query, after the crash: most likely a goroutine the node
// started) it is reported through OnViolation and Err.
func (h *Host) allow(method string, inFactory bool) bool {
	ph := h.phase()
	if ph == phaseTurn || ph == phaseFactory && inFactory {
		return true
	}
	v := h.envViolation(ph, method)
	if ph == phaseFactory {
		h.record(v)
	} else {
		h.report(v)
	}
	return false
}

// peerOK checks that to is a peer; a bad id is returned when the turn ends
// and the message is not sent.
func (h *Host) peerOK(method string, to int) bool {
	if to >= 0 && to < h.peers && to != h.id {
		return true
	}
	h.record(h.violation(CauseBadPeer, h.kind, h.peer, method,
		"node %d called Env.%s(to=%d); peers are numbered 0..%d and a node does not send to itself", h.id, method, to, h.peers-1))
	return false
}

// post adds a message to the outbox. It fills the new slot in place: a
// Message holds a pointer, and copying one whole costs a bulk write
// barrier while the garbage collector runs.
func (h *Host) post(kind wire.Kind, to int, call uint64, inc uint64, body []byte, f Fields) {
	if len(h.outbox) < cap(h.outbox) {
		h.outbox = h.outbox[:len(h.outbox)+1]
	} else {
		h.outbox = append(h.outbox, Message{})
	}
	m := &h.outbox[len(h.outbox)-1]
	m.Kind, m.From, m.To, m.Call, m.Incarnation, m.Body = kind, h.id, to, call, inc, body
	m.Fields = f
}

// SendRequestVote sends a RequestVote; see raftapi.Env.
func (e *env) SendRequestVote(to int, args *raftapi.RequestVoteArgs, onReply func(*raftapi.RequestVoteReply)) {
	h := (*Host)(e)
	if !h.allow("SendRequestVote", false) || !h.peerOK("SendRequestVote", to) {
		return
	}
	call := h.register(pendingCall{kind: wire.KindRequestVote, to: int32(to), onReply: onReply})
	h.post(wire.KindRequestVote, to, call, h.inc, wire.AppendRequestVoteArgs(nil, args), FieldsOfRequestVote(args))
}

// SendAppendEntries sends an AppendEntries; see raftapi.Env.
func (e *env) SendAppendEntries(to int, args *raftapi.AppendEntriesArgs, onReply func(*raftapi.AppendEntriesReply)) {
	h := (*Host)(e)
	if !h.allow("SendAppendEntries", false) || !h.peerOK("SendAppendEntries", to) {
		return
	}
	call := h.register(pendingCall{kind: wire.KindAppendEntries, to: int32(to), onReply: onReply})
	h.post(wire.KindAppendEntries, to, call, h.inc, wire.AppendAppendEntriesArgs(nil, args), FieldsOfAppendEntries(args))
}

// SendInstallSnapshot sends an InstallSnapshot; see raftapi.Env.
func (e *env) SendInstallSnapshot(to int, args *raftapi.InstallSnapshotArgs, onReply func(*raftapi.InstallSnapshotReply)) {
	h := (*Host)(e)
	if !h.allow("SendInstallSnapshot", false) || !h.peerOK("SendInstallSnapshot", to) {
		return
	}
	call := h.register(pendingCall{kind: wire.KindInstallSnapshot, to: int32(to), onReply: onReply})
	h.post(wire.KindInstallSnapshot, to, call, h.inc, wire.AppendInstallSnapshotArgs(nil, args), FieldsOfInstallSnapshot(args))
}

// Apply hands msg to the driver's service (Config.OnApply), during the turn.
func (e *env) Apply(msg raftapi.ApplyMsg) {
	h := (*Host)(e)
	if !h.allow("Apply", false) || h.onApply == nil {
		return
	}
	h.onApply(msg)
}

// Persister returns the node's stable storage. Getting it is not checked:
// every method of the Persister is, so a misuse is reported once, at the
// method that was called.
func (e *env) Persister() raftapi.Persister { return (*persister)(e) }

// Rand returns the node's random stream. Outside a turn it is still
// returned (a nil would only turn the violation into a panic), but the
// violation is reported: from a goroutine it would make a run
// nondeterministic.
func (e *env) Rand() *rand.Rand {
	h := (*Host)(e)
	h.allow("Rand", true)
	return h.rand
}

// Save replaces state and snapshot atomically, copying both; see Disk for
// what an empty blob means.
func (p *persister) Save(state, snapshot []byte) {
	h := (*Host)(p)
	if !h.allow("Persister().Save", true) {
		return
	}
	h.disk.save(state, snapshot)
	if h.onSave != nil {
		h.onSave(len(h.disk.state), len(h.disk.snapshot))
	}
}

// ReadState returns a copy of the saved Raft state, nil if none.
func (p *persister) ReadState() []byte {
	h := (*Host)(p)
	if !h.allow("Persister().ReadState", true) {
		return nil
	}
	return clone(h.disk.state)
}

// ReadSnapshot returns a copy of the saved snapshot, nil if none.
func (p *persister) ReadSnapshot() []byte {
	h := (*Host)(p)
	if !h.allow("Persister().ReadSnapshot", true) {
		return nil
	}
	return clone(h.disk.snapshot)
}

// StateSize is the saved Raft state's size in bytes. Like every Persister
// method it belongs to the Env, so it is guarded like the rest.
func (p *persister) StateSize() int {
	h := (*Host)(p)
	if !h.allow("Persister().StateSize", true) {
		return 0
	}
	return len(h.disk.state)
}

// SnapshotSize is the saved snapshot's size in bytes, guarded like
// StateSize.
func (p *persister) SnapshotSize() int {
	h := (*Host)(p)
	if !h.allow("Persister().SnapshotSize", true) {
		return 0
	}
	return len(h.disk.snapshot)
}
