package sim

import (
	"fmt"
	"math/rand/v2"
	"runtime"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/raftlab/raftlab/nodehost"
	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/trace"
)

// Cluster is a simulated world of N nodes. A Scenario drives it through its
// methods; every method runs on the scenario's goroutine, one at a time.
// When a checker fires, the method that was running ends the scenario (as
// t.FailNow ends a test), so scenario code needs no error handling.
type Cluster struct {
	cfg   Config
	n     int
	now   time.Duration
	q     agenda
	nodes []*simNode

	links     [][]bool // links[from][to]: false means the link is cut
	intercept func(Msg) Verdict
	net       Network
	netR      *rand.Rand
	scenR     *rand.Rand

	check checker
	// applied[i] is the entry first applied at index i anywhere ([0] is
	// unused): what the services agree on, and what Submit waits for.
	applied  []appliedEntry
	firstNew int // len(applied) before the apply being checked

	msgPool []*message // messages no event holds, for newMessage

	clientSeq int // the nemesis client's command counter
	stats     Stats
	flood     flood
	rec       recorder
	failed    *Failure

	// Watchdog state, read by the goroutine that waits for Run. A turn is
	// seen through the host that runs it (each node's watched host: its
	// phase, kind and call count); the factory and the checkers' Inspect
	// calls, which run outside any host's turn, are marked here.
	// query is calls<<32 | busy<<31 | kind<<16 | node: how many factory
	// and Inspect calls have started, and the one in progress (busy set),
	// in one word so that such a call costs two atomic stores (which under
	// js/wasm are function calls, once per turn for the checkers' Inspect).
	query   atomic.Uint64
	queries uint64       // calls counted in query (scenario's goroutine only)
	turnAt  atomic.Int64 // simulated time at the start of the latest call
	// turnAtSet is the value last stored in turnAt (scenario's goroutine
	// only): most calls start at the time of the one before, and skip
	// the store.
	turnAtSet time.Duration
	async     atomic.Pointer[Failure] // a failure seen off the scenario's goroutine
}

const queryBusy = 1 << 31

// noteTurnAt records the simulated time at the start of a call, for a
// hang's report.
func (c *Cluster) noteTurnAt() {
	if c.now != c.turnAtSet {
		c.turnAtSet = c.now
		c.turnAt.Store(int64(c.now))
	}
}

// turnKind says what a turn is, for reports.
type turnKind int32

const (
	turnFactory turnKind = iota
	turnTick
	turnStart
	turnSnapshot
	turnGetState
	turnRequestVote
	turnAppendEntries
	turnInstallSnapshot
	turnRequestVoteReply
	turnAppendEntriesReply
	turnInstallSnapshotReply
	turnInspect
	turnInspectLog
)

var turnNames = [...]string{"Factory (boot)", "Tick", "Start", "Snapshot", "GetState", "RequestVote handler", "AppendEntries handler", "InstallSnapshot handler", "RequestVote reply callback", "AppendEntries reply callback", "InstallSnapshot reply callback", "Inspect", "InspectLog"}

func (k turnKind) describe(peer int) string {
	s := turnNames[k]
	if peer >= 0 {
		s += " (message from node " + strconv.Itoa(peer) + ")"
	}
	return s
}

// simNode is one server slot: the host of its current incarnation (with
// the node object), its disk (which survives crashes) and its service.
type simNode struct {
	id     int
	inc    int // incarnation: bumped at every restart
	up     bool
	paused bool
	host   *nodehost.Host // nil while crashed
	node   raftapi.Node   // host.Node(), for the checkers' Inspect calls
	// watched is the latest host, for the watchdog's goroutine: stored
	// once per incarnation, so that turns cost the watchdog nothing.
	watched atomic.Pointer[nodehost.Host]
	disk    nodehost.Disk
	svc     service

	tickEvery time.Duration
	phase     time.Duration
	held      []event // deliveries and service turns held while paused

	last raftapi.NodeState // Inspect after the node's last turn
}

func newCluster(cfg Config) *Cluster {
	cfg = cfg.withDefaults()
	c := &Cluster{
		cfg:   cfg,
		n:     cfg.Nodes,
		net:   cfg.Network,
		netR:  newStream(cfg.Seed, streamNetwork, 0, 0),
		scenR: newStream(cfg.Seed, streamScenario, 0, 0),
	}
	c.applied = make([]appliedEntry, 1)
	c.links = make([][]bool, c.n)
	for i := range c.links {
		c.links[i] = make([]bool, c.n)
		for j := range c.links[i] {
			c.links[i][j] = true
		}
	}
	c.stats.init(c.n)
	c.flood.init(c.n, cfg.Flood)
	c.rec.init(cfg)
	c.check.init(c)
	clock := newStream(cfg.Seed, streamClock, 0, 0)
	for i := range c.n {
		sn := &simNode{id: i, tickEvery: raftapi.TickInterval}
		if cfg.ClockSkew > 0 {
			f := 1 + cfg.ClockSkew*(2*clock.Float64()-1)
			sn.tickEvery = time.Duration(float64(raftapi.TickInterval) * f)
		}
		// The first tick comes within the first interval: at its end for
		// every node in lockstep, at a random offset otherwise.
		sn.phase = sn.tickEvery
		if !cfg.LockstepTicks {
			sn.phase = 1 + time.Duration(clock.Int64N(int64(sn.tickEvery)))
		}
		c.nodes = append(c.nodes, sn)
	}
	return c
}

// boot starts every node for the first time.
func (c *Cluster) boot() {
	for _, sn := range c.nodes {
		c.startNode(sn, sn.phase)
	}
}

// startNode builds a new incarnation of sn over its disk: the service
// restores from the saved snapshot, then the factory runs, then the
// durability checker compares the node with what it was at its crash.
func (c *Cluster) startNode(sn *simNode, firstTick time.Duration) {
	sn.inc++
	sn.up = true
	sn.paused = false
	sn.held = nil
	c.restoreService(sn)
	c.bootHost(sn)
	c.check.restarted(sn)
	c.q.tick(c.now+firstTick, sn.id, sn.inc)
}

// turn runs body, which calls sn's node, as a call of kind what (a turn,
// or a query for GetState) and then sends what the turn sent.
func (c *Cluster) turn(sn *simNode, what turnKind, peer int, body func()) {
	c.runTurn(sn, what, peer, func() error { return sn.host.Run(hostKinds[what], peer, body) })
	c.flush(sn.host.TakeOutbox())
}

// runTurn runs call, one call of sn's host, under the watchdog. A
// violation the host returns (a panic, a bad peer id, the Env misused by
// the factory) fails the run with the node, the event and the message; a
// panic does not take the test binary down.
func (c *Cluster) runTurn(sn *simNode, what turnKind, peer int, call func() error) {
	c.noteTurnAt()
	if what == turnFactory { // no host to watch yet
		c.watchInspect(sn, turnFactory)
	}
	normal := false
	defer func() {
		if what == turnFactory {
			c.unwatchInspect()
		}
		if normal || c.failed != nil {
			return
		}
		// runtime.Goexit is unwinding and no failure of the simulator's
		// started it: the node's own code called it (t.FailNow from a
		// helper, say), which must not pass for success.
		f := &Failure{Kind: KindContract, Rule: props.TurnsReturn.Name(), Paper: props.TurnsReturn.Section(), Nodes: []int{sn.id},
			Message: fmt.Sprintf("node %d's %s called runtime.Goexit (t.FailNow, t.Fatal or runtime.Goexit in node code?): a turn must return normally", sn.id, what.describe(peer))}
		if sn.host != nil && sn.host.Err() != nil {
			f = violationFailure(sn.host.Err())
		}
		f.At = c.now
		c.failed = f
	}()
	err := call()
	normal = true
	if err == nil {
		return
	}
	if v, ok := nodehost.AsViolation(err); ok {
		c.fail(violationFailure(v))
	}
	c.fail(&Failure{Kind: KindInternal, Rule: props.Wire.Name(), Paper: props.Wire.Section(), Nodes: []int{sn.id}, Message: err.Error()})
}

// flush puts the messages a turn sent on the wire, in the order it
// sent them, after the wire checks that need their fields.
func (c *Cluster) flush(out []nodehost.Message) {
	for i := range out {
		o := &out[i]
		switch o.Kind {
		case MsgAppendEntries, MsgInstallSnapshot:
			c.check.leaderOnWire(o.From, o.Term, o.Kind.String())
		}
		m := c.newMessage()
		*m = message{kind: o.Kind, from: o.From, to: o.To, data: o.Body, call: o.Call, inc: o.Incarnation, sum: summarize(o)}
		c.send(m)
		if m.refs == 0 { // lost on the way: no delivery holds it
			c.recycle(m)
		}
	}
}

// afterTurn runs the checkers on sn's new state. logTurn says whether the
// turn was one that changes logs in a correct implementation.
func (c *Cluster) afterTurn(sn *simNode, tick, logTurn bool) {
	if f := c.async.Load(); f != nil {
		c.fail(f)
	}
	if !sn.up { // a turn cannot crash its own node, but be defensive
		return
	}
	c.check.afterTurn(sn, tick, logTurn)
}

// step runs the next event. It reports false when the agenda is empty.
func (c *Cluster) step() bool {
	if c.q.len() == 0 {
		return false
	}
	var ev event
	c.q.pop(&ev)
	c.now = ev.at
	c.stats.Events++
	if c.stats.Events > c.cfg.MaxEvents {
		c.fail(&Failure{Kind: KindContract, Rule: props.EventBudget.Name(), Paper: props.EventBudget.Section(),
			Message: "the run exceeded its budget of events: a node is flooding the network (sending many messages every turn?)"})
	}
	if !ev.uncounted {
		if ev.kind == evDeliver {
			c.flood.arrived(ev.msg)
		}
		c.countEvent()
	}
	sn := c.nodes[ev.node]
	switch ev.kind {
	case evTick:
		if !sn.up || ev.inc != sn.inc {
			return true // the incarnation this tick belonged to is gone
		}
		c.q.tick(c.now+sn.tickEvery, sn.id, sn.inc)
		if sn.paused {
			return true
		}
		c.runTurn(sn, turnTick, -1, sn.host.Tick)
		c.flush(sn.host.TakeOutbox())
		c.afterTurn(sn, true, false)
	case evDeliver:
		if !c.deliver(sn, &ev) {
			c.release(ev.msg)
		}
	case evSnapshot:
		if !sn.up || ev.inc != sn.inc {
			return true // queued Snapshot turns die with a crash
		}
		if sn.paused {
			sn.held = append(sn.held, ev)
			return true
		}
		c.rec.add(record{at: c.now, kind: trace.KindSnapshot, node: sn.id, peer: -1, n: ev.index})
		c.runTurn(sn, turnSnapshot, -1, func() error { return sn.host.Snapshot(ev.index, ev.data) })
		c.flush(sn.host.TakeOutbox())
		c.afterTurn(sn, false, true)
	}
	return true
}

// runUntil runs events until the clock would pass end or stop reports
// true (checked after every event).
func (c *Cluster) runUntil(end time.Duration, stop func() bool) bool {
	for c.q.len() > 0 && c.q.peekAt() <= end {
		c.step()
		if stop != nil && stop() {
			return true
		}
	}
	if c.now < end {
		c.now = end
	}
	return stop != nil && stop()
}

// fail records f as the run's failure and ends the scenario's goroutine.
func (c *Cluster) fail(f *Failure) {
	if c.failed == nil {
		f.At = c.now
		c.failed = f
		c.rec.add(record{at: c.now, kind: trace.KindFailure, node: -1, peer: -1, text: f.Rule})
	}
	runtime.Goexit()
}
