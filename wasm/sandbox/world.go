// Package sandbox is the browser sandbox's logic: an interactive simulated
// world of Raft nodes that JavaScript creates, advances, breaks and reads,
// the lab's scenarios run for a seed, and traces loaded for replay. It is
// plain Go (no syscall/js), so it is tested natively and under js/wasm;
// wasm/bridge only exposes API.Call to JavaScript.
//
// The implementation is a parameter (Impl): the reference in the
// sandbox's own build, a student's package in the build that
// cmd/sandbox -impl makes.
package sandbox

import (
	"errors"
	"fmt"
	"time"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// Impl is the Raft implementation the sandbox runs.
type Impl struct {
	Name    string          // as the page and traces name it: "reference", "example.com/me/raft"
	Factory raftapi.Factory // its nodes, without options
	// WithOptions builds nodes with PreVote and CheckQuorum as asked. Nil
	// means the implementation has no such options: a world that asks for
	// them is refused rather than silently run without them.
	WithOptions func(preVote, checkQuorum bool) raftapi.Factory
}

// MaxEventsPerAdvance bounds the events one Advance runs, so that a call
// from the page returns within a frame or so; a bounded call says so
// (State.Truncated) and the page calls again.
const MaxEventsPerAdvance = 200_000

// recentLen is how many recent events the world keeps and shows.
const recentLen = 200

// Config is a world's settings and the user's recorded actions: all that
// is needed to re-create the same world (time travel, shared links).
type Config struct {
	Nodes         int      `json:"nodes"` // 3..7
	Seed          uint64   `json:"seed"`
	PreVote       bool     `json:"prevote"`
	CheckQuorum   bool     `json:"checkquorum"`
	Drop          float64  `json:"drop"`         // 0..1
	Dup           float64  `json:"dup"`          // 0..1
	DelayMinMs    float64  `json:"delay_min_ms"` // both 0: 1..5 ms
	DelayMaxMs    float64  `json:"delay_max_ms"`
	SnapshotEvery int      `json:"snapshot_every"` // 0: no snapshots
	Actions       []Action `json:"actions,omitempty"`
}

// Action is one user action, recorded with the point of the run where it
// happened so that replaying the config acts at exactly the same point.
type Action struct {
	// AtUs is the simulated time of the action in microseconds.
	AtUs int64 `json:"at_us"`
	// AtEvents is how many events had run: two actions at the same
	// simulated time can fall between different events of that time.
	// Absent (a hand-written link), the action runs after every event
	// up to AtUs.
	AtEvents *int64 `json:"at_events,omitempty"`
	// Type is crash, restart, pause, resume (Node); partition (Groups);
	// heal; cut, mend (From, To); network (Drop, Dup, DelayMinMs,
	// DelayMaxMs); propose (Command).
	Type       string   `json:"type"`
	Node       *int     `json:"node,omitempty"`
	Groups     [][]int  `json:"groups,omitempty"`
	From       *int     `json:"from,omitempty"`
	To         *int     `json:"to,omitempty"`
	Drop       *float64 `json:"drop,omitempty"`
	Dup        *float64 `json:"dup,omitempty"`
	DelayMinMs *float64 `json:"delay_min_ms,omitempty"`
	DelayMaxMs *float64 `json:"delay_max_ms,omitempty"`
	Command    *string  `json:"command,omitempty"`
}

// Outcome is what an action did: for propose, which node accepted the
// command, at which index and term, or that none did.
type Outcome struct {
	Type     string `json:"type"`
	Accepted bool   `json:"accepted"`
	Node     int    `json:"node"` // -1 if none
	Index    int    `json:"index,omitempty"`
	Term     int    `json:"term,omitempty"`
	Message  string `json:"message,omitempty"`
}

// Advance says how far to run: exactly one of Events, UntilUs, ForUs.
type Advance struct {
	Events  *int64 `json:"events,omitempty"`
	UntilUs *int64 `json:"until_us,omitempty"`
	ForUs   *int64 `json:"for_us,omitempty"`
}

// World is a running simulated cluster driven step by step. The
// simulator runs a scenario on a goroutine of its own (sim.Run); the
// world's scenario waits for commands on a channel and runs each on the
// cluster, so all of the cluster's state stays on that goroutine. A
// safety violation ends the scenario: the world is then stopped, and
// reads what the simulator left.
type World struct {
	impl    Impl
	cfg     Config
	actions []Action

	cmds chan func(*sim.Cluster)
	ack  chan struct{}
	done chan struct{}
	c    *sim.Cluster
	res  *sim.Result // once done is closed
	last *State      // the last state read while running (for a hung world)

	truncated bool
	closed    bool
}

// ErrStopped is the error of an action on a world that a failure stopped.
var ErrStopped = errors.New("the world stopped at a failure; re-create it (or go back in time) to act again")

// NewWorld builds a world from cfg and replays cfg.Actions.
func NewWorld(impl Impl, cfg Config) (*World, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	if impl.Factory == nil {
		return nil, errors.New("the sandbox was built without an implementation")
	}
	factory := impl.Factory
	if cfg.PreVote || cfg.CheckQuorum {
		if impl.WithOptions == nil {
			return nil, fmt.Errorf("implementation %s has no PreVote or CheckQuorum option", impl.Name)
		}
		factory = impl.WithOptions(cfg.PreVote, cfg.CheckQuorum)
	}
	net := sim.Network{DropRate: cfg.Drop, DupRate: cfg.Dup, DelayMin: ms(cfg.DelayMinMs), DelayMax: ms(cfg.DelayMaxMs)}
	scfg := sim.Config{
		Nodes: cfg.Nodes, Factory: factory, Seed: cfg.Seed,
		Implementation: impl.Name, Scenario: "sandbox",
		Network: net, SnapshotEvery: cfg.SnapshotEvery,
		TimelineLen: recentLen,
		MaxEvents:   1 << 62, // a user may play for hours: the bound per Advance keeps each call short
	}
	w := &World{impl: impl, cfg: cfg, cmds: make(chan func(*sim.Cluster)), ack: make(chan struct{}), done: make(chan struct{})}
	w.cfg.Actions = nil
	go func() {
		defer close(w.done)
		w.res = sim.Run(scfg, func(c *sim.Cluster) {
			w.c = c
			w.ack <- struct{}{}
			for f := range w.cmds {
				f(c)
				w.ack <- struct{}{}
			}
		})
	}()
	select { // booted, or failed while booting
	case <-w.ack:
	case <-w.done:
	}
	for i, a := range cfg.Actions {
		if err := w.replay(a); err != nil {
			w.Close()
			return nil, fmt.Errorf("action %d (%s at %dus): %w", i, a.Type, a.AtUs, err)
		}
		if w.stopped() {
			break // a failure on the way: the state shows it
		}
	}
	return w, nil
}

func ms(v float64) time.Duration { return time.Duration(v * float64(time.Millisecond)) }

func (cfg *Config) validate() error {
	switch {
	case cfg.Nodes < 3 || cfg.Nodes > 7:
		return fmt.Errorf("nodes must be 3 to 7, not %d", cfg.Nodes)
	case cfg.SnapshotEvery < 0:
		return fmt.Errorf("snapshot_every must be 0 (off) or positive, not %d", cfg.SnapshotEvery)
	}
	return validNetwork(cfg.Drop, cfg.Dup, cfg.DelayMinMs, cfg.DelayMaxMs)
}

func validNetwork(drop, dup, lo, hi float64) error {
	switch {
	case !(drop >= 0 && drop <= 1): // also refuses NaN
		return fmt.Errorf("drop must be in [0, 1], not %g", drop)
	case !(dup >= 0 && dup <= 1):
		return fmt.Errorf("dup must be in [0, 1], not %g", dup)
	case !(lo >= 0 && hi >= lo && hi <= 60_000):
		return fmt.Errorf("delays must satisfy 0 ≤ delay_min_ms ≤ delay_max_ms ≤ 60000, not %g and %g", lo, hi)
	}
	return nil
}

// do runs f on the cluster's goroutine and waits for it. It reports false
// if the world has stopped (before or during f).
func (w *World) do(f func(*sim.Cluster)) bool {
	if w.closed {
		return false
	}
	select {
	case <-w.done:
		return false
	case w.cmds <- f:
	}
	select {
	case <-w.ack:
		return true
	case <-w.done:
		return false
	}
}

func (w *World) stopped() bool {
	select {
	case <-w.done:
		return true
	default:
		return false
	}
}

// Close ends the world's goroutine. A closed world keeps its last state.
func (w *World) Close() {
	if w.closed {
		return
	}
	if !w.stopped() {
		w.last = w.State()
	}
	w.closed = true
	close(w.cmds)
}

// Actions returns the actions recorded so far, for a link that
// reproduces the run.
func (w *World) Actions() []Action { return append([]Action(nil), w.actions...) }

// Config returns the world's config with its recorded actions.
func (w *World) Config() Config {
	cfg := w.cfg
	cfg.Actions = w.Actions()
	return cfg
}

// Advance runs the world as req asks, at most MaxEventsPerAdvance events.
func (w *World) Advance(req Advance) error {
	set := 0
	for _, p := range []*int64{req.Events, req.UntilUs, req.ForUs} {
		if p != nil {
			set++
		}
	}
	if set != 1 {
		return errors.New("advance needs exactly one of events, until_us, for_us")
	}
	if w.stopped() || w.closed {
		return nil // a stopped world stays where it stopped
	}
	w.truncated = false
	switch {
	case req.Events != nil:
		n := *req.Events
		if n < 0 {
			return fmt.Errorf("events must be ≥ 0, not %d", n)
		}
		w.truncated = n > MaxEventsPerAdvance
		w.do(func(c *sim.Cluster) { runEvents(c, c.Events()+min(n, MaxEventsPerAdvance)) })
	default:
		var until time.Duration
		if req.UntilUs != nil {
			until = time.Duration(*req.UntilUs) * time.Microsecond
		}
		w.do(func(c *sim.Cluster) {
			if req.ForUs != nil {
				if *req.ForUs < 0 {
					return
				}
				// A whole microsecond, so that a recorded action's AtUs
				// is exact (see replay).
				until = time.Duration(c.Now().Microseconds()+*req.ForUs) * time.Microsecond
			}
			if until <= c.Now() {
				return
			}
			limit := c.Events() + MaxEventsPerAdvance
			w.truncated = c.RunUntil(until-c.Now(), func() bool { return c.Events() >= limit })
		})
	}
	return nil
}

// runEvents runs until the world has run target events in all, or its
// agenda is empty. It never moves the clock past the last event it runs.
func runEvents(c *sim.Cluster, target int64) {
	for c.Events() < target {
		n, last := c.Pending()
		if n == 0 {
			return
		}
		c.RunUntil(last-c.Now(), func() bool { return c.Events() >= target })
	}
}

// Act applies a user action now and records it.
func (w *World) Act(a Action) (*Outcome, error) {
	if w.closed {
		return nil, errors.New("the world is closed")
	}
	if w.stopped() {
		return nil, ErrStopped
	}
	if err := a.validate(w.cfg.Nodes); err != nil {
		return nil, err
	}
	var out *Outcome
	var err error
	ok := w.do(func(c *sim.Cluster) {
		a.AtUs = c.Now().Microseconds()
		events := c.Events()
		a.AtEvents = &events
		out, err = apply(c, &a)
	})
	if err != nil {
		return nil, err
	}
	w.actions = append(w.actions, a) // a failure the action caused is part of the run too
	if !ok && out == nil {
		out = &Outcome{Type: a.Type, Node: -1, Message: "the world stopped at a failure"}
	}
	return out, nil
}

// replay runs the world to a recorded action's point, then applies it.
func (w *World) replay(a Action) error {
	if err := a.validate(w.cfg.Nodes); err != nil {
		return err
	}
	at := time.Duration(a.AtUs) * time.Microsecond
	var err error
	w.do(func(c *sim.Cluster) {
		if a.AtEvents != nil {
			if *a.AtEvents < c.Events() {
				err = fmt.Errorf("recorded after %d events, but the world has run %d: actions out of order", *a.AtEvents, c.Events())
				return
			}
			runEvents(c, *a.AtEvents)
		}
		// The clock stands either at an event's time (any nanosecond:
		// AtUs truncates it, and AtEvents got there exactly) or where an
		// Advance left it (always a whole microsecond).
		if a.AtUs < c.Now().Microseconds() {
			err = fmt.Errorf("recorded at %dus, but the world is at %dus: actions out of order", a.AtUs, c.Now().Microseconds())
			return
		}
		if at > c.Now() {
			c.RunFor(at - c.Now())
		}
		_, err = apply(c, &a)
	})
	if err != nil {
		return err
	}
	w.actions = append(w.actions, a)
	return nil
}

func (a *Action) validate(n int) error {
	node := func(name string, p *int) error {
		if p == nil {
			return fmt.Errorf("%s needs %s", a.Type, name)
		}
		if *p < 0 || *p >= n {
			return fmt.Errorf("%s: %s %d is not a node of this %d-node cluster", a.Type, name, *p, n)
		}
		return nil
	}
	switch a.Type {
	case "crash", "restart", "pause", "resume":
		return node("node", a.Node)
	case "cut", "mend":
		if err := node("from", a.From); err != nil {
			return err
		}
		if err := node("to", a.To); err != nil {
			return err
		}
		if *a.From == *a.To {
			return fmt.Errorf("%s: from and to are the same node", a.Type)
		}
	case "partition":
		if len(a.Groups) == 0 {
			return errors.New("partition needs groups, e.g. [[0,1],[2]]")
		}
		seen := make([]bool, n)
		for _, g := range a.Groups {
			for _, i := range g {
				if i < 0 || i >= n {
					return fmt.Errorf("partition: %d is not a node of this %d-node cluster", i, n)
				}
				if seen[i] {
					return fmt.Errorf("partition: node %d is in two groups", i)
				}
				seen[i] = true
			}
		}
	case "heal":
	case "network":
		if a.Drop == nil || a.Dup == nil || a.DelayMinMs == nil || a.DelayMaxMs == nil {
			return errors.New("network needs drop, dup, delay_min_ms and delay_max_ms")
		}
		return validNetwork(*a.Drop, *a.Dup, *a.DelayMinMs, *a.DelayMaxMs)
	case "propose":
		if a.Command == nil {
			return errors.New("propose needs a command")
		}
	case "":
		return errors.New("an action needs a type")
	default:
		return fmt.Errorf("unknown action type %q (crash, restart, pause, resume, partition, heal, cut, mend, network, propose)", a.Type)
	}
	return nil
}

// apply carries out a validated action on the cluster's goroutine.
func apply(c *sim.Cluster, a *Action) (*Outcome, error) {
	out := &Outcome{Type: a.Type, Accepted: true, Node: -1}
	switch a.Type {
	case "crash":
		if !c.Up(*a.Node) {
			return nil, fmt.Errorf("crash: node %d is already down", *a.Node)
		}
		c.Crash(*a.Node)
	case "restart":
		if c.Up(*a.Node) {
			return nil, fmt.Errorf("restart: node %d is up", *a.Node)
		}
		c.Restart(*a.Node)
	case "pause":
		if !c.Up(*a.Node) || c.Paused(*a.Node) {
			return nil, fmt.Errorf("pause: node %d is down or paused already", *a.Node)
		}
		c.Pause(*a.Node)
	case "resume":
		if !c.Paused(*a.Node) {
			return nil, fmt.Errorf("resume: node %d is not paused", *a.Node)
		}
		c.Resume(*a.Node)
	case "partition":
		c.Partition(a.Groups...)
	case "heal":
		c.Heal()
	case "cut":
		c.Cut(*a.From, *a.To)
	case "mend":
		c.Mend(*a.From, *a.To)
	case "network":
		n := sim.Network{DropRate: *a.Drop, DupRate: *a.Dup, DelayMin: ms(*a.DelayMinMs), DelayMax: ms(*a.DelayMaxMs)}
		c.SetNetwork(n)
	case "propose":
		propose(c, []byte(*a.Command), out)
	}
	return out, nil
}

// propose offers cmd to the working leader if there is one, else to each
// node that believes it leads, in order, until one accepts. Followers are
// not asked: the page's client talks to leaders.
func propose(c *sim.Cluster, cmd []byte, out *Outcome) {
	var try []int
	if l, ok := c.Leader(); ok {
		try = append(try, l)
	}
	for _, l := range c.Leaders() {
		if len(try) == 0 || l != try[0] {
			try = append(try, l)
		}
	}
	out.Accepted = false
	for _, i := range try {
		if index, term, ok := c.Start(i, cmd); ok {
			out.Accepted, out.Node, out.Index, out.Term = true, i, index, term
			return
		}
	}
	out.Message = "no node accepted the command: there is no leader"
}
