package nodehost

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"runtime/debug"
	"sync/atomic"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wire"
)

// ErrDead is returned by every call into a dead incarnation: one that was
// killed (crashed), or whose turn panicked or called runtime.Goexit.
var ErrDead = errors.New("nodehost: the incarnation is dead (crashed, or a turn of it panicked)")

// DefaultMaxPending is how many calls an incarnation remembers for their
// replies when Config.MaxPending is 0.
const DefaultMaxPending = 1 << 16

// Config describes one incarnation.
type Config struct {
	ID, Peers   int    // the node's id, 0..Peers-1
	Incarnation uint64 // the driver's number for this incarnation (≥ 1); replies carry it back
	Disk        *Disk  // the node's stable storage, kept by the driver across incarnations
	Rand        *rand.Rand

	// OnApply receives Env.Apply's messages during the turn that applies
	// them (the service). The slices in msg are the node's: copy what you
	// keep. Nil: applied messages are discarded.
	OnApply func(msg raftapi.ApplyMsg)
	// OnSave is called after every Save with the saved sizes (statistics).
	OnSave func(stateBytes, snapshotBytes int)
	// OnViolation receives violations that no turn can return: the Env
	// used between turns, during a query or after the crash. It may be
	// called from any goroutine (a node's stray goroutine), so it must be
	// safe for that.
	OnViolation func(*Violation)
	// MaxPending bounds how many of its calls an incarnation remembers for
	// their replies (to within 64: the table forgets 64 calls at a time);
	// a reply to an older call is dropped as if the network had lost it.
	// 0 means DefaultMaxPending.
	MaxPending int
}

// phase is where an incarnation is: it decides what the Env allows.
type phase uint32

const (
	phaseIdle    phase = iota // between calls
	phaseFactory              // in the Factory: Persister and Rand only
	phaseTurn                 // in a turn: the whole Env
	phaseQuery                // in GetState, Inspect or InspectLog: the Env is closed
	phaseDead                 // crashed or failed: the Env is closed for good
)

// pendingCall is a request the node sent, waiting for its reply: 24 bytes,
// since an incarnation keeps thousands.
type pendingCall struct {
	to   int32
	kind wire.Kind // the request's
	// onReply is the callback, a func(*raftapi.RequestVoteReply) (or the
	// AppendEntries or InstallSnapshot one, by kind); a nil func is nil.
	onReply any
}

// Host is one incarnation of one node; see the package documentation.
type Host struct {
	id, peers int
	inc       uint64
	disk      *Disk
	rand      *rand.Rand
	node      raftapi.Node

	onApply     func(raftapi.ApplyMsg)
	onSave      func(int, int)
	onViolation func(*Violation)

	// state is seq<<32 | (peer+1)<<16 | kind<<8 | phase: the phase the
	// Env's guard reads from any goroutine, and the call in progress and
	// the number of calls for watchdogs, in one word so that a call costs
	// two atomic stores. Only the driver's goroutine writes it.
	state atomic.Uint64
	// cur is the value last stored in state: the driver's goroutine, its
	// only writer, reads it without an atomic load (which under js/wasm
	// is a function call, on every call into the node).
	cur uint64
	seq uint64 // calls started
	err atomic.Pointer[Violation]

	kind    TurnKind // the call in progress (driver's goroutine only)
	peer    int
	turnErr *Violation // the first violation of the call in progress
	outbox  []Message

	calls      []*[callChunk]pendingCall // the call with id base+i is calls[i/callChunk][i%callChunk]
	base, next uint64                    // the oldest id remembered, and the next id
	maxPending int
}

// Boot runs the factory as the incarnation's boot: the node may use only
// Persister and Rand. It returns the host and, if the factory broke the
// contract (used the Env beyond Persister and Rand, returned nil, panicked),
// the violation. After a nil node or a panic the host is dead.
func Boot(cfg Config, f raftapi.Factory) (*Host, error) {
	h := &Host{id: cfg.ID, peers: cfg.Peers, inc: cfg.Incarnation, disk: cfg.Disk, rand: cfg.Rand,
		onApply: cfg.OnApply, onSave: cfg.OnSave, onViolation: cfg.OnViolation,
		base: 1, next: 1, maxPending: cfg.MaxPending}
	if h.disk == nil {
		h.disk = &Disk{}
	}
	if h.maxPending <= 0 {
		h.maxPending = DefaultMaxPending
	}
	var n raftapi.Node
	err := h.call(TurnFactory, -1, phaseFactory, func() { n = f(h.id, h.peers, (*env)(h)) })
	if h.dead() {
		return h, err
	}
	if n == nil {
		v := h.violation(CauseNilNode, TurnFactory, -1, "", "the Factory returned a nil Node; it must return the node it built")
		h.die(v)
		return h, v
	}
	h.node = n
	return h, err
}

// ID is the node's id.
func (h *Host) ID() int { return h.id }

// Incarnation is the incarnation's number, as Config gave it.
func (h *Host) Incarnation() uint64 { return h.inc }

// Node is the node object (nil if the factory failed). Calling it directly
// bypasses the host's guard: use it only for what the host does not offer.
func (h *Host) Node() raftapi.Node { return h.node }

// Disk is the incarnation's stable storage.
func (h *Host) Disk() *Disk { return h.disk }

// Alive reports whether the incarnation can still take turns.
func (h *Host) Alive() bool { return !h.dead() }

func (h *Host) dead() bool { return h.phase() == phaseDead }

func (h *Host) phase() phase { return phase(h.state.Load() & 0xff) }

// setPhase changes the phase, keeping the rest of the state.
func (h *Host) setPhase(ph phase) { h.store(h.cur&^0xff | uint64(ph)) }

// store sets the state (driver's goroutine only).
func (h *Host) store(s uint64) {
	h.cur = s
	h.state.Store(s)
}

// Kill crashes the incarnation between turns: the node object is dropped,
// its pending callbacks die, and its Env refuses every later call (a
// contract violation, reported through OnViolation and Err).
func (h *Host) Kill() {
	h.setPhase(phaseDead)
	h.node, h.outbox, h.calls = nil, nil, nil
}

// Err returns the first violation that no call returned: one reported from
// outside a turn (OnViolation's), or the runtime.Goexit that unwound a
// turn. Safe from any goroutine.
func (h *Host) Err() *Violation { return h.err.Load() }

// Turns counts the calls into the node so far (turns, the factory and
// queries). A watchdog that sees Current busy with the same count for too
// long has found a call that does not return. Safe from any goroutine.
func (h *Host) Turns() int64 { return int64(h.state.Load() >> 32) }

// Current says which call into the node is in progress, if any: its kind
// and the sender of the message that caused it (-1 if none). Safe from any
// goroutine.
func (h *Host) Current() (kind TurnKind, peer int, busy bool) {
	s := h.state.Load()
	ph := phase(s & 0xff)
	return TurnKind(s >> 8 & 0xff), int(s>>16&0xffff) - 1, ph == phaseFactory || ph == phaseTurn || ph == phaseQuery
}

// TakeOutbox returns the messages the last turn sent, in the order it sent
// them (a request handler's reply is last), and empties the outbox, so
// that a driver that flushes after every call never sends a message
// twice. Every turn starts with an empty outbox; queries and dropped
// deliveries add nothing. The slice is valid until the next turn; the
// envelopes' bodies are the driver's to keep.
func (h *Host) TakeOutbox() []Message {
	out := h.outbox
	h.outbox = h.outbox[:0]
	return out
}

// record keeps v as the violation the current call returns (the first one).
func (h *Host) record(v *Violation) {
	if h.turnErr == nil {
		h.turnErr = v
	}
}

// report hands a violation that no call can return to the driver.
func (h *Host) report(v *Violation) {
	h.err.CompareAndSwap(nil, v)
	if h.onViolation != nil {
		h.onViolation(v)
	}
}

func (h *Host) die(v *Violation) {
	if v != nil {
		h.err.CompareAndSwap(nil, v)
	}
	h.Kill()
}

// call runs body as one call into the node in phase ph. A panic in body is
// returned as a violation and kills the incarnation, as does a
// runtime.Goexit (which the host cannot stop: it records it in Err and lets
// it unwind).
func (h *Host) call(kind TurnKind, peer int, ph phase, body func()) (err error) {
	if phase(h.cur&0xff) == phaseDead {
		return ErrDead
	}
	if ph != phaseQuery {
		h.outbox = h.outbox[:0]
	}
	h.kind, h.peer, h.turnErr = kind, peer, nil
	h.seq++
	start := h.seq<<32 | uint64(peer+1)&0xffff<<16 | uint64(kind)<<8 | uint64(ph)
	h.store(start)
	ok := false
	defer func() {
		if ok {
			return
		}
		var v *Violation
		if r := recover(); r != nil {
			v = h.violation(CausePanic, kind, peer, "", "node %d panicked in %s: %v", h.id, kind.Describe(peer), r)
			v.Value, v.Stack = r, nodeStack(string(debug.Stack()))
		} else {
			v = h.violation(CauseGoexit, kind, peer, "",
				"node %d's %s called runtime.Goexit (t.FailNow, t.Fatal or runtime.Goexit in node code?): a turn must return normally", h.id, kind.Describe(peer))
		}
		h.die(v)
		err = v
	}()
	body()
	ok = true
	// Back to idle, unless a hook killed the incarnation (the state is
	// then no longer the one stored above).
	if h.cur == start {
		h.store(start&^0xff | uint64(phaseIdle))
	}
	if h.turnErr != nil {
		return h.turnErr
	}
	return nil
}

// Run runs body, which calls into the node (h.Node()), as a call of the
// given kind: a turn, or a query if kind.IsQuery(). It is for drivers that
// make a call the host has no method for, or that want the node's results
// in their own variables; the host's methods below are Run with the body
// written out. peer is the sender of the message that caused the call, -1
// if none. Run must not be used for the Factory: that is Boot.
func (h *Host) Run(kind TurnKind, peer int, body func()) error {
	if kind == TurnFactory {
		return errors.New("nodehost: Run(TurnFactory): boot with Boot")
	}
	ph := phaseTurn
	if kind.IsQuery() {
		ph = phaseQuery
	}
	return h.call(kind, peer, ph, body)
}

// Tick runs a Tick turn.
func (h *Host) Tick() error {
	return h.call(TurnTick, -1, phaseTurn, h.tick) // call refuses a dead host
}

// tick is the body of a Tick turn: a method, so that Tick needs no
// h.node (nil once dead) before call has checked the host is alive.
func (h *Host) tick() { h.node.Tick() }

// Start runs a Start turn and returns the node's answer.
func (h *Host) Start(command []byte) (index, term int, isLeader bool, err error) {
	if h.dead() {
		return 0, 0, false, ErrDead
	}
	err = h.call(TurnStart, -1, phaseTurn, func() { index, term, isLeader = h.node.Start(command) })
	return index, term, isLeader, err
}

// Snapshot runs a Snapshot turn: the service captured its state through
// index.
func (h *Host) Snapshot(index int, snapshot []byte) error {
	if h.dead() {
		return ErrDead
	}
	return h.call(TurnSnapshot, -1, phaseTurn, func() { h.node.Snapshot(index, snapshot) })
}

// GetState asks the node for its term and whether it leads. It is a query,
// not a turn: the Env is closed.
func (h *Host) GetState() (term int, isLeader bool, err error) {
	if h.dead() {
		return 0, false, ErrDead
	}
	err = h.call(TurnGetState, -1, phaseQuery, func() { term, isLeader = h.node.GetState() })
	return term, isLeader, err
}

// Inspect is the node's Inspect, as a query.
func (h *Host) Inspect() (st raftapi.NodeState, err error) {
	if h.dead() {
		return st, ErrDead
	}
	err = h.call(TurnInspect, -1, phaseQuery, func() { st = h.node.Inspect() })
	return st, err
}

// InspectLog is the node's InspectLog, as a query. The view may alias the
// node's storage until its next turn.
func (h *Host) InspectLog() (v raftapi.LogView, err error) {
	if h.dead() {
		return v, ErrDead
	}
	err = h.call(TurnInspectLog, -1, phaseQuery, func() { v = h.node.InspectLog() })
	return v, err
}

// Outcome is what Deliver did with a message.
type Outcome uint8

// The outcomes of Deliver.
const (
	Ran               Outcome = iota // the handler or callback ran as a turn
	DroppedStale                     // a reply addressed to another incarnation (the contract: never delivered)
	DroppedNoCall                    // a reply to a call this incarnation does not know (or no longer remembers)
	DroppedNoCallback                // a reply to a call made with a nil onReply
)

var outcomeNames = [...]string{"ran", "reply to a crashed incarnation", "reply to an unknown call", "reply to a call without a callback"}

func (o Outcome) String() string { return outcomeNames[o] }

// Deliver hands an arrived message to the node. A request runs its handler
// as a turn, and the reply, stamped with the request's call id and
// incarnation, is the last message of the outbox. A reply runs, as a turn,
// the callback of the call it answers, if this incarnation made that call;
// a duplicated request's reply runs it again. A message the node cannot
// have been sent (wrong destination, unknown sender, malformed body) is an
// error, not a violation: it is the network's fault, not the node's.
func (h *Host) Deliver(e *wire.Envelope) (Outcome, error) {
	if h.dead() {
		return Ran, ErrDead
	}
	h.outbox = h.outbox[:0]
	if e.To != h.id || e.From < 0 || e.From >= h.peers || e.From == h.id {
		return Ran, fmt.Errorf("nodehost: node %d was handed a %s from %d to %d", h.id, e.Kind, e.From, e.To)
	}
	if e.Kind.IsReply() {
		return h.deliverReply(e)
	}
	from := e.From
	// The handler's arguments and reply escape (the node is an
	// interface): one allocation holds both.
	switch e.Kind {
	case wire.KindRequestVote:
		ar := new(struct {
			a raftapi.RequestVoteArgs
			r raftapi.RequestVoteReply
		})
		if err := wire.DecodeRequestVoteArgs(e.Body, &ar.a); err != nil {
			return Ran, fmt.Errorf("nodehost: from node %d: %w", from, err)
		}
		err := h.call(TurnRequestVote, from, phaseTurn, func() { h.node.RequestVote(from, &ar.a, &ar.r) })
		if !h.dead() {
			h.post(wire.KindRequestVoteReply, from, e.Call, e.Incarnation, wire.AppendRequestVoteReply(nil, &ar.r), FieldsOfRequestVoteReply(&ar.r))
		}
		return Ran, err
	case wire.KindAppendEntries:
		ar := new(struct {
			a raftapi.AppendEntriesArgs
			r raftapi.AppendEntriesReply
		})
		if err := wire.DecodeAppendEntriesArgs(e.Body, &ar.a); err != nil {
			return Ran, fmt.Errorf("nodehost: from node %d: %w", from, err)
		}
		err := h.call(TurnAppendEntries, from, phaseTurn, func() { h.node.AppendEntries(from, &ar.a, &ar.r) })
		if !h.dead() {
			h.post(wire.KindAppendEntriesReply, from, e.Call, e.Incarnation, wire.AppendAppendEntriesReply(nil, &ar.r), FieldsOfAppendEntriesReply(&ar.r))
		}
		return Ran, err
	case wire.KindInstallSnapshot:
		ar := new(struct {
			a raftapi.InstallSnapshotArgs
			r raftapi.InstallSnapshotReply
		})
		if err := wire.DecodeInstallSnapshotArgs(e.Body, &ar.a); err != nil {
			return Ran, fmt.Errorf("nodehost: from node %d: %w", from, err)
		}
		err := h.call(TurnInstallSnapshot, from, phaseTurn, func() { h.node.InstallSnapshot(from, &ar.a, &ar.r) })
		if !h.dead() {
			h.post(wire.KindInstallSnapshotReply, from, e.Call, e.Incarnation, wire.AppendInstallSnapshotReply(nil, &ar.r), FieldsOfInstallSnapshotReply(&ar.r))
		}
		return Ran, err
	}
	return Ran, fmt.Errorf("nodehost: node %d was handed a message of unknown kind %d", h.id, e.Kind)
}

// callChunk holds the pending calls of consecutive ids. The table grows by
// whole chunks and forgets its oldest chunk when full, so that remembering
// a call never copies the ones before it.
const callChunk = 64

// register remembers a call for its reply and returns its id (ids start at
// 1 in every incarnation; 0 is no call).
func (h *Host) register(c pendingCall) uint64 {
	i := h.next - h.base
	if i%callChunk == 0 { // a new chunk
		if len(h.calls)*callChunk >= h.maxPending {
			h.calls[0] = nil
			h.calls = h.calls[1:]
			h.base += callChunk
			i -= callChunk
		}
		h.calls = append(h.calls, new([callChunk]pendingCall))
	}
	h.calls[i/callChunk][i%callChunk] = c
	h.next++
	return h.next - 1
}

func (h *Host) lookup(id uint64) *pendingCall {
	if id < h.base || id >= h.next {
		return nil
	}
	i := id - h.base
	return &h.calls[i/callChunk][i%callChunk]
}

func (h *Host) deliverReply(e *wire.Envelope) (Outcome, error) {
	if e.Incarnation != h.inc {
		return DroppedStale, nil
	}
	c := h.lookup(e.Call)
	if c == nil || c.kind.Reply() != e.Kind || int(c.to) != e.From {
		return DroppedNoCall, nil
	}
	from := e.From
	switch e.Kind {
	case wire.KindRequestVoteReply:
		var r raftapi.RequestVoteReply
		if err := wire.DecodeRequestVoteReply(e.Body, &r); err != nil {
			return Ran, fmt.Errorf("nodehost: from node %d: %w", from, err)
		}
		if cb, _ := c.onReply.(func(*raftapi.RequestVoteReply)); cb != nil {
			return Ran, h.call(TurnRequestVoteReply, from, phaseTurn, func() { cb(&r) })
		}
	case wire.KindAppendEntriesReply:
		var r raftapi.AppendEntriesReply
		if err := wire.DecodeAppendEntriesReply(e.Body, &r); err != nil {
			return Ran, fmt.Errorf("nodehost: from node %d: %w", from, err)
		}
		if cb, _ := c.onReply.(func(*raftapi.AppendEntriesReply)); cb != nil {
			return Ran, h.call(TurnAppendEntriesReply, from, phaseTurn, func() { cb(&r) })
		}
	case wire.KindInstallSnapshotReply:
		var r raftapi.InstallSnapshotReply
		if err := wire.DecodeInstallSnapshotReply(e.Body, &r); err != nil {
			return Ran, fmt.Errorf("nodehost: from node %d: %w", from, err)
		}
		if cb, _ := c.onReply.(func(*raftapi.InstallSnapshotReply)); cb != nil {
			return Ran, h.call(TurnInstallSnapshotReply, from, phaseTurn, func() { cb(&r) })
		}
	}
	return DroppedNoCallback, nil
}
