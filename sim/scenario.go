package sim

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/trace"
)

// Scenario is a script that drives a cluster: the unit that Run runs and
// that a seed replays.
type Scenario func(c *Cluster)

// N is the number of nodes.
func (c *Cluster) N() int { return c.n }

// Now is the simulated time.
func (c *Cluster) Now() time.Duration { return c.now }

// Rand is the scenario's own random stream, independent of the nodes' and
// the network's: a scenario that draws from it does not change what they
// draw.
func (c *Cluster) Rand() *rand.Rand { return c.scenR }

// Stats returns the run's counters so far.
func (c *Cluster) Stats() *Stats {
	c.stats.Peaks = c.flood.currentPeaks()
	return &c.stats
}

// Events is Stats().Events, the events run so far, without building the
// rest of Stats: cheap enough for a stop condition checked after every
// event.
func (c *Cluster) Events() int64 { return c.stats.Events }

// Config returns the cluster's configuration.
func (c *Cluster) Config() Config { return c.cfg }

// RunFor advances simulated time by d.
func (c *Cluster) RunFor(d time.Duration) { c.runUntil(c.now+d, nil) }

// RunUntil advances time until cond holds (checked after every event) or
// within has passed, and reports whether cond held. cond should read only
// cached state (State, Leader, Applied...).
func (c *Cluster) RunUntil(within time.Duration, cond func() bool) bool {
	if cond() {
		return true
	}
	return c.runUntil(c.now+within, cond)
}

// Note records an annotation in the trace and timeline.
func (c *Cluster) Note(format string, args ...any) {
	c.rec.add(record{at: c.now, kind: trace.KindNote, node: -1, peer: -1, text: fmt.Sprintf(format, args...)})
}

// Failf fails the run with a scenario's own finding (a wrong index from
// Start, an RPC budget exceeded, ...) against property p, which gives the
// report its rule name and section.
func (c *Cluster) Failf(p props.ID, format string, args ...any) {
	c.fail(&Failure{Kind: KindScenario, Rule: p.Name(), Paper: p.Section(), Message: fmt.Sprintf(format, args...)})
}

// FailHang fails the run because a call into node's code, made by the
// scenario outside the cluster's own hosts (a rule test's node, say), did
// not return: a hang, as the simulator's own watch reports one, so that a
// driver stops running more of that code (its goroutine cannot be
// stopped).
func (c *Cluster) FailHang(node int, format string, args ...any) {
	c.fail(&Failure{Kind: KindHang, Rule: props.TurnsReturn.Name(), Paper: props.TurnsReturn.Section(), Nodes: []int{node}, Message: fmt.Sprintf(format, args...)})
}

// FailLiveness fails the run because something property p promises did
// not happen in time.
func (c *Cluster) FailLiveness(p props.ID, format string, args ...any) {
	c.fail(&Failure{Kind: KindLiveness, Rule: p.Name(), Paper: p.Section(), Message: fmt.Sprintf(format, args...)})
}

func (c *Cluster) node(i int) *simNode {
	if i < 0 || i >= c.n {
		c.fail(&Failure{Kind: KindInternal, Rule: props.ScenarioError.Name(), Message: fmt.Sprintf("the scenario named node %d of a %d-node cluster", i, c.n)})
	}
	return c.nodes[i]
}

// ---- the network ----

// Partition cuts every link between nodes of different groups. Nodes not
// named in any group form one more group.
func (c *Cluster) Partition(groups ...[]int) {
	group := make([]int, c.n)
	for i := range group {
		group[i] = -1
	}
	for g, members := range groups {
		for _, i := range members {
			c.node(i)
			group[i] = g
		}
	}
	for i := range c.n {
		for j := range c.n {
			c.links[i][j] = group[i] == group[j]
		}
	}
	c.rec.add(record{at: c.now, kind: trace.KindPartition, node: -1, peer: -1, data: partitionGroups(c.n, groups)})
}

// Isolate cuts node i off from every other node, both ways.
func (c *Cluster) Isolate(i int) {
	c.node(i)
	for j := range c.n {
		if j != i {
			c.links[i][j], c.links[j][i] = false, false
		}
	}
	c.rec.add(record{at: c.now, kind: trace.KindPartition, node: i, peer: -1, text: "isolated"})
}

// Cut cuts the one-way link from → to (an asymmetric fault).
func (c *Cluster) Cut(from, to int) {
	c.node(from)
	c.node(to)
	c.links[from][to] = false
	c.rec.add(record{at: c.now, kind: trace.KindPartition, node: from, peer: to, text: "link cut"})
}

// Mend restores the one-way link from → to.
func (c *Cluster) Mend(from, to int) {
	c.node(from)
	c.node(to)
	c.links[from][to] = true
	c.rec.add(record{at: c.now, kind: trace.KindHeal, node: from, peer: to, text: "link mended"})
}

// Connect rejoins node i to every other node, both ways.
func (c *Cluster) Connect(i int) {
	c.node(i)
	for j := range c.n {
		c.links[i][j], c.links[j][i] = true, true
	}
	c.rec.add(record{at: c.now, kind: trace.KindHeal, node: i, peer: -1, text: "reconnected"})
}

// Heal restores every link.
func (c *Cluster) Heal() {
	for i := range c.n {
		for j := range c.n {
			c.links[i][j] = true
		}
	}
	c.rec.add(record{at: c.now, kind: trace.KindHeal, node: -1, peer: -1})
}

// Linked reports whether the one-way link from → to is intact.
func (c *Cluster) Linked(from, to int) bool { return c.links[from][to] }

// SetNetwork changes the network's fault rates from now on.
func (c *Cluster) SetNetwork(n Network) {
	if n.DelayMin == 0 && n.DelayMax == 0 {
		n.DelayMin, n.DelayMax = Reliable().DelayMin, Reliable().DelayMax
	}
	c.net = n
	c.rec.add(record{at: c.now, kind: trace.KindNetwork, node: -1, peer: -1, data: n})
}

// Intercept makes f decide the fate of every message sent from now on
// (first: before partitions and the network's random faults): the tool for
// targeted schedules, such as holding back one AppendEntries until a newer
// one has been acknowledged. nil removes the interceptor. f must be a
// pure function of its argument and the scenario's own state.
func (c *Cluster) Intercept(f func(Msg) Verdict) { c.intercept = f }

// Network returns the network's current fault rates.
func (c *Cluster) Network() Network { return c.net }

// ---- nodes ----

// Up reports whether node i is running (not crashed).
func (c *Cluster) Up(i int) bool { return c.node(i).up }

// Paused reports whether node i is paused.
func (c *Cluster) Paused(i int) bool { return c.node(i).paused }

// State is node i's state as Inspect reported it after its last turn (or
// at its crash).
func (c *Cluster) State(i int) raftapi.NodeState { return c.node(i).last }

// Crash crashes node i between turns: the node object is dropped, only
// what its last Save wrote survives, its pending callbacks and queued
// Snapshot turns die.
func (c *Cluster) Crash(i int) {
	sn := c.node(i)
	if !sn.up {
		return
	}
	c.check.crashed(sn)
	sn.up = false
	sn.host.Kill() // its Env refuses every later call: a stale goroutine is reported
	sn.node, sn.host, sn.held = nil, nil, nil
	sn.last.Role = raftapi.Follower
	c.rec.add(record{at: c.now, kind: trace.KindCrash, node: i, peer: -1})
	c.rec.state(sn, c.now)
}

// Restart boots a crashed node from its saved state (the service first
// restores from the saved snapshot).
func (c *Cluster) Restart(i int) {
	sn := c.node(i)
	if sn.up {
		return
	}
	c.rec.add(record{at: c.now, kind: trace.KindRestart, node: i, peer: -1})
	c.startNode(sn, sn.tickEvery)
}

// CrashAll crashes every node at once.
func (c *Cluster) CrashAll() {
	for i := range c.n {
		c.Crash(i)
	}
}

// RestartAll restarts every crashed node.
func (c *Cluster) RestartAll() {
	for i := range c.n {
		c.Restart(i)
	}
}

// Pause stops node i's ticks and holds its incoming messages until Resume:
// a node frozen in time (the zombie-leader case).
func (c *Cluster) Pause(i int) {
	sn := c.node(i)
	if !sn.up || sn.paused {
		return
	}
	sn.paused = true
	c.rec.add(record{at: c.now, kind: trace.KindPause, node: i, peer: -1})
}

// Resume unpauses node i; the messages it missed arrive now, in order.
func (c *Cluster) Resume(i int) {
	sn := c.node(i)
	if !sn.up || !sn.paused {
		return
	}
	sn.paused = false
	c.rec.add(record{at: c.now, kind: trace.KindResume, node: i, peer: -1})
	for _, ev := range sn.held {
		ev.at = c.now
		ev.uncounted, ev.released = true, true
		c.q.push(ev)
	}
	sn.held = nil
}

// Start calls Start(cmd) on node i as a turn and returns its answer. A
// crashed or paused node answers (0, 0, false).
func (c *Cluster) Start(i int, cmd []byte) (index, term int, isLeader bool) {
	sn := c.node(i)
	if !sn.up || sn.paused {
		return 0, 0, false
	}
	c.turn(sn, turnStart, -1, func() { index, term, isLeader = sn.node.Start(cmd) })
	if isLeader {
		c.stats.started(index, c.now)
		c.rec.add(record{at: c.now, kind: trace.KindStart, node: i, peer: -1, n: index, m: term})
	}
	c.afterTurn(sn, false, true)
	return index, term, isLeader
}

// GetState calls GetState on node i as a turn. A crashed or paused node
// answers (0, false).
func (c *Cluster) GetState(i int) (term int, isLeader bool) {
	sn := c.node(i)
	if !sn.up || sn.paused {
		return 0, false
	}
	c.turn(sn, turnGetState, -1, func() { term, isLeader = sn.node.GetState() })
	return term, isLeader
}

// ---- what the cluster has agreed on ----

// Applied returns how many nodes' services have applied index (directly or
// through a snapshot), and the command first applied there.
func (c *Cluster) Applied(index int) (count int, cmd []byte) {
	if index <= 0 || index >= len(c.applied) {
		return 0, nil
	}
	for _, sn := range c.nodes {
		if sn.svc.lastApplied >= index {
			count++
		}
	}
	return count, c.applied[index].cmd
}

// LastApplied is node i's service's last applied index.
func (c *Cluster) LastApplied(i int) int { return c.node(i).svc.lastApplied }

// MaxApplied is the highest index applied anywhere.
func (c *Cluster) MaxApplied() int { return len(c.applied) - 1 }

// connected reports whether i and j can talk both ways.
func (c *Cluster) connected(i, j int) bool { return i == j || (c.links[i][j] && c.links[j][i]) }

func (c *Cluster) live(i int) bool { return c.nodes[i].up && !c.nodes[i].paused }

// reachesMajority reports whether live node i can talk, both ways, with a
// majority of the cluster's live nodes (itself included).
func (c *Cluster) reachesMajority(i int) bool {
	reach := 0
	for j := range c.n {
		if c.live(j) && c.connected(i, j) {
			reach++
		}
	}
	return reach > c.n/2
}

// Leader returns a working leader: a live node that believes it leads, is
// connected to a majority of live nodes, and whose term is at least that
// of every live node connected to it.
func (c *Cluster) Leader() (int, bool) {
	best, bestTerm := -1, -1
	for _, sn := range c.nodes {
		if !c.live(sn.id) || sn.last.Role != raftapi.Leader || sn.last.Term <= bestTerm {
			continue
		}
		ok := c.reachesMajority(sn.id)
		for _, o := range c.nodes {
			if c.live(o.id) && c.connected(sn.id, o.id) && o.last.Term > sn.last.Term {
				ok = false
			}
		}
		if ok {
			best, bestTerm = sn.id, sn.last.Term
		}
	}
	return best, best >= 0
}

// Leaders returns every live node that believes it is a leader.
func (c *Cluster) Leaders() []int {
	var ls []int
	for _, sn := range c.nodes {
		if c.live(sn.id) && sn.last.Role == raftapi.Leader {
			ls = append(ls, sn.id)
		}
	}
	return ls
}

// WaitLeader runs until a working leader exists and returns it. If none
// appears within the bound, the run fails (liveness).
func (c *Cluster) WaitLeader(within time.Duration) int {
	deadline := c.now + within
	before := c.activity()
	var l int
	if c.RunUntil(within, func() bool { var ok bool; l, ok = c.Leader(); return ok }) {
		return l
	}
	c.FailLiveness(props.LeaderElection, "expected a leader within %s of simulated time (by %s), but none was elected. Meanwhile %s. A leader is a live node that believes it leads, in a term no lower than any node it can reach, with a majority of nodes reachable. Check that followers time out (randomized, §5.2), that candidates win with a majority of votes, and that a new leader sends heartbeats at once",
		within, fmtTime(deadline), c.activity().since(before))
	return -1
}

// activity is a snapshot of what the cluster has done, for liveness
// reports: what happened between two snapshots says what the cluster was
// doing instead of what was expected.
type activity struct {
	rv, ae, is, applied int64
	maxTerm             int
}

func (c *Cluster) activity() activity {
	a := activity{rv: c.stats.RPCs[MsgRequestVote], ae: c.stats.RPCs[MsgAppendEntries], is: c.stats.RPCs[MsgInstallSnapshot], applied: int64(len(c.applied) - 1)}
	for _, sn := range c.nodes {
		a.maxTerm = max(a.maxTerm, sn.last.Term)
	}
	return a
}

func (a activity) since(b activity) string {
	s := fmt.Sprintf("the nodes sent %d RequestVote, %d AppendEntries and %d InstallSnapshot requests, ", a.rv-b.rv, a.ae-b.ae, a.is-b.is)
	if a.maxTerm == b.maxTerm {
		s += fmt.Sprintf("the highest term stayed %d", a.maxTerm)
	} else {
		s += fmt.Sprintf("the highest term went from %d to %d", b.maxTerm, a.maxTerm)
	}
	return s + fmt.Sprintf(", and %d new indexes were applied", a.applied-b.applied)
}

// Submit is the client of MIT's tests (cfg.one): it offers cmd to the
// leader, retrying with other nodes as leaders come and go, until the
// index holding cmd has been applied by at least want nodes. It returns
// that index, or fails the run (liveness) if that takes longer than within.
func (c *Cluster) Submit(cmd []byte, want int, within time.Duration) int {
	deadline := c.now + within
	before := c.activity()
	offered := 0
	start := 0
	for c.now < deadline {
		index := -1
		for k := range c.n {
			i := (start + k) % c.n
			if !c.live(i) || !c.reachesMajority(i) {
				continue
			}
			if idx, _, ok := c.Start(i, cmd); ok {
				index = idx
				offered++
				start = i + 1 // if this leader fails to commit, ask another node first next time
				break
			}
		}
		if index < 0 {
			c.RunFor(50 * time.Millisecond)
			continue
		}
		wait := min(2*time.Second, deadline-c.now)
		done := c.RunUntil(wait, func() bool {
			n, got := c.Applied(index)
			return n >= want && bytes.Equal(got, cmd)
		})
		if done {
			return index
		}
	}
	if offered == 0 { // no leader to offer to: the election failed, not the agreement
		c.FailLiveness(props.LeaderElection, "command %q could not even be offered within %s of simulated time (by %s): no live node that reaches a majority accepted it as leader (Start returned isLeader = false everywhere), so no leader was elected (§5.2). Meanwhile %s",
			clip(cmd), within, fmtTime(deadline), c.activity().since(before))
	}
	how := fmt.Sprintf("it was offered to a leader %d times", offered)
	c.FailLiveness(props.Agreement, "command %q was not applied by %d nodes within %s of simulated time (by %s): %s. Meanwhile %s. A leader must replicate each new entry to its followers promptly, commit it once a majority store it (§5.3, §5.4.2), and every node must apply committed entries in order",
		clip(cmd), want, within, fmtTime(deadline), how, c.activity().since(before))
	return -1
}

// WaitApplied runs until index has been applied by at least want nodes,
// or fails the run (liveness) after within.
func (c *Cluster) WaitApplied(index, want int, within time.Duration) {
	if c.RunUntil(within, func() bool { n, _ := c.Applied(index); return n >= want }) {
		return
	}
	n, _ := c.Applied(index)
	c.FailLiveness(props.Agreement, "index %d was applied by %d nodes, expected at least %d within %s of simulated time", index, n, want, within)
}

// describeNodes renders every node's state for a failure report.
func (c *Cluster) describeNodes() []string {
	out := make([]string, 0, c.n)
	for _, sn := range c.nodes {
		var b strings.Builder
		s := &sn.last
		status := "up"
		switch {
		case !sn.up:
			status = "CRASHED"
		case sn.paused:
			status = "PAUSED"
		}
		vote := "none"
		if s.VotedFor != raftapi.None {
			vote = fmt.Sprint(s.VotedFor)
		}
		fmt.Fprintf(&b, "n%d %-7s %-9s term %-3d voted %-4s last %d/%d  commit %d  applied %d", sn.id, status, s.Role, s.Term, vote, s.LastIndex, s.LastTerm, s.CommitIndex, sn.svc.lastApplied)
		if s.SnapshotIndex > 0 {
			fmt.Fprintf(&b, "  snapshot %d/%d", s.SnapshotIndex, s.SnapshotTerm)
		}
		var cut []int
		for j := range c.n {
			if j != sn.id && !c.connected(sn.id, j) {
				cut = append(cut, j)
			}
		}
		if len(cut) > 0 {
			fmt.Fprintf(&b, "  cut off from %v", slices.Clip(cut))
		}
		out = append(out, b.String())
	}
	return out
}
