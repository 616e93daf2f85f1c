package labs

import (
	"fmt"
	"slices"
	"time"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/sim"
)

// snapInterval is MIT 6.5840's SnapShotInterval: the service asks for a
// snapshot every 10 applied commands.
const snapInterval = 10

// snapMaxState is MIT 6.5840's MAXLOGSIZE: in the snapshot scenarios
// modelled on its snapcommon, no node's saved Raft state may exceed 2000
// bytes. A trimmed log holds at most a couple of dozen of those
// scenarios' 12-byte commands, which fit even in a verbose encoding (JSON
// with base64 commands); a log kept whole holds hundreds.
const snapMaxState = 2000

// snapRounds is how many rounds snapCommon plays, as MIT's snapcommon.
const snapRounds = 30

// snapHow is what happens to the victim of each snapCommon round.
type snapHow int

const (
	snapNothing    snapHow = iota // every node stays up and connected
	snapDisconnect                // the victim is cut off, then rejoins
	snapCrash                     // the victim crashes, then restarts
)

// snapshotSuite is the snapshots stage (MIT 6.5840 3D parity, and more).
func snapshotSuite() []Scenario {
	reliable := snapConfigure(sim.Reliable())
	unreliable := snapConfigure(sim.Unreliable())
	return []Scenario{
		{
			Name: "SnapshotBasic", Paper: "§7", Nodes: 3, Seeds: 20,
			Configure: reliable,
			Run:       func(c *sim.Cluster) { snapCommon(c, snapNothing) },
		},
		{
			Name: "InstallSnapshotDisconnect", Paper: "§7, Figure 13", Nodes: 3, Seeds: 20,
			Configure: reliable,
			Run:       func(c *sim.Cluster) { snapCommon(c, snapDisconnect) },
		},
		{
			Name: "InstallSnapshotCrash", Paper: "§7, Figure 13", Nodes: 3, Seeds: 20,
			Configure: reliable,
			Run:       func(c *sim.Cluster) { snapCommon(c, snapCrash) },
		},
		{
			Name: "InstallSnapshotUnreliable", Paper: "§7, Figure 13", Nodes: 3, Seeds: 15,
			Configure: unreliable,
			Run:       func(c *sim.Cluster) { snapCommon(c, snapDisconnect) },
		},
		{
			Name: "InstallSnapshotUnreliableCrash", Paper: "§7, Figure 13", Nodes: 3, Seeds: 15,
			Configure: unreliable,
			Run:       func(c *sim.Cluster) { snapCommon(c, snapCrash) },
		},
		{
			Name: "AllCrash", Paper: "§7, Figure 2 (persistent state)", Nodes: 3, Seeds: 20,
			Configure: reliable,
			Run:       snapAllCrash,
		},
		{
			Name: "Init", Paper: "§7, Figure 2 (persistent state)", Nodes: 3, Seeds: 20,
			Configure: reliable,
			Run:       snapInit,
		},
		{
			Name: "SizeBound", Paper: "§7, Figure 13", Nodes: 3, Seeds: 10,
			Configure: reliable,
			Run:       snapSizeBound,
		},
	}
}

// snapConfigure takes snapshots every snapInterval commands, as MIT's
// applierSnap does, on the given network.
func snapConfigure(net sim.Network) func(*sim.Config, uint64) {
	return func(cfg *sim.Config, _ uint64) {
		cfg.Network = net
		cfg.SnapshotEvery = snapInterval
	}
}

// snapCmds returns a source of unique 12-byte commands: about the size of
// the random integers of MIT's tests once encoded, so that a log kept
// whole outgrows snapMaxState within a run, but readable in a trace.
func snapCmds(prefix string) func() []byte {
	n := 0
	return func() []byte {
		n++
		return fmt.Appendf(nil, "%s%0*d", prefix, 12-len(prefix), n)
	}
}

// snapCommon is MIT's snapcommon: rounds in which a victim (a follower,
// or every third round the leader) is disconnected or crashed, a burst of
// commands sometimes long enough to make everyone else snapshot goes in,
// and the victim comes back and must catch up — through InstallSnapshot
// whenever the others have compacted past its log.
func snapCommon(c *sim.Cluster, how snapHow) {
	n := c.N()
	next := snapCmds("s")
	c.Submit(next(), n, agreeBound)
	leader := c.WaitLeader(electionBound)
	var behind []*snapBehind
	for round := 1; round <= snapRounds; round++ {
		victim, sender := (leader+1)%n, leader
		if round%3 == 2 { // MIT's i%3 == 1, counting rounds from 0
			victim, sender = leader, (leader+1)%n
		}
		want := n
		switch how {
		case snapDisconnect:
			c.Note("round %d: node %d is disconnected; the others go on and may compact past its log", round, victim)
			c.Isolate(victim)
			want = n - 1
			c.Submit(next(), want, agreeBound)
		case snapCrash:
			c.Note("round %d: node %d crashes; the others go on and may compact past its log", round, victim)
			c.Crash(victim)
			want = n - 1
			c.Submit(next(), want, agreeBound)
		case snapNothing:
		}
		// Perhaps enough commands for a snapshot, started at once without
		// waiting (on a node that may not lead: then they go nowhere).
		for range snapInterval/2 + c.Rand().IntN(snapInterval) {
			c.Start(sender, next())
		}
		c.Submit(next(), want, agreeBound)
		snapCheckStateSize(c, snapMaxState, fmt.Sprintf("after round %d of %d (index %d applied)", round, snapRounds, c.MaxApplied()))
		switch how {
		case snapDisconnect:
			c.Connect(victim)
		case snapCrash:
			c.Restart(victim)
		case snapNothing:
			continue
		}
		if b := snapCatchUp(c, round, victim, next); b != nil {
			behind = append(behind, b)
		}
		leader = c.WaitLeader(electionBound)
	}
	if how != snapNothing {
		snapCheckInstalls(c, behind)
	}
}

// snapBehind records a round whose victim came back with its log ending
// before every other node's snapshot.
type snapBehind struct {
	round, node, last int
	snaps             []int // the other nodes' snapshot indexes
}

// snapCatchUp checks that victim, just back, catches up with a fresh
// command. It reports whether every other node had already compacted its
// log past the victim's last entry, so that only InstallSnapshot could
// bring it up to date (unless an AppendEntries sent before the crash was
// still in flight), and the failure message says so.
func snapCatchUp(c *sim.Cluster, round, victim int, next func() []byte) (behind *snapBehind) {
	n := c.N()
	back := c.State(victim)
	var snaps []int
	for i := range n {
		if i != victim {
			snaps = append(snaps, c.State(i).SnapshotIndex)
		}
	}
	if slices.Min(snaps) > back.LastIndex {
		behind = &snapBehind{round: round, node: victim, last: back.LastIndex, snaps: snaps}
		c.Note("node %d is back with its log ending at index %d; the others have compacted through %v: it needs InstallSnapshot", victim, back.LastIndex, snaps)
	} else {
		c.Note("node %d is back with its log ending at index %d; the others' snapshots end at %v", victim, back.LastIndex, snaps)
	}
	installs := c.Stats().RPCs[sim.MsgInstallSnapshot]
	deadline := c.Now() + agreeBound
	index := c.Submit(next(), n-1, agreeBound)
	for {
		if c.RunUntil(min(2*time.Second, deadline-c.Now()), func() bool { return c.LastApplied(victim) >= index }) {
			return behind
		}
		if deadline-c.Now() < 100*time.Millisecond {
			break
		}
		// The victim may have been elected since: without no-op
		// entries a new leader commits entries of older terms only
		// with one of its own (§5.4.2), so offer another command, as
		// MIT's one() does when it retries.
		c.Submit(next(), n-1, deadline-c.Now())
	}
	st := c.State(victim)
	sent := c.Stats().RPCs[sim.MsgInstallSnapshot] - installs
	// Who holds the entries the victim lacks now: the leader, if there
	// is one, else any other node.
	holder, compacted := "every other node", c.State((victim+1)%n).SnapshotIndex
	for i := range n {
		if i != victim {
			compacted = min(compacted, c.State(i).SnapshotIndex)
		}
	}
	if l, ok := c.Leader(); ok && l != victim {
		holder, compacted = fmt.Sprintf("leader %d", l), c.State(l).SnapshotIndex
	}
	if compacted > st.LastIndex {
		c.FailLiveness(props.InstallSnapshotWhenBehind,
			"node %d came back with its log ending at index %d. Expected it to apply index %d within %s of simulated time, but by %s its service has applied only through index %d and its log ends at %d, while %s has compacted its log through index %d: the entries it lacks exist only in snapshots, so only InstallSnapshot can bring it up to date (§7, Figure 13). %d InstallSnapshot RPCs were sent since it came back. A leader whose nextIndex for a follower is at or below its own snapshot's last included index must send InstallSnapshot; the follower must install it, save it with Persister().Save and hand it to the service (ApplyMsg with SnapshotValid)",
			victim, back.LastIndex, index, agreeBound, c.Now(), c.LastApplied(victim), st.LastIndex, holder, compacted, sent)
	}
	c.FailLiveness(props.Agreement,
		"node %d came back with its log ending at index %d. Expected it to apply index %d within %s of simulated time, but by %s its service has applied only through index %d (its log ends at %d, commit %d), although %s still holds the entries after index %d (snapshot through %d). The leader must back nextIndex up until the logs match and resend what the follower lacks (§5.3), and send InstallSnapshot once nextIndex falls inside its snapshot (§7)",
		victim, back.LastIndex, index, agreeBound, c.Now(), c.LastApplied(victim), st.LastIndex, st.CommitIndex, holder, st.LastIndex, compacted)
	return nil
}

// snapCheckInstalls fails the run if victims came back behind every
// other node's snapshot and caught up, yet no InstallSnapshot was ever
// sent: the logs cannot have held the entries they lacked.
func snapCheckInstalls(c *sim.Cluster, behind []*snapBehind) {
	if len(behind) == 0 {
		c.Note("no victim came back behind every other node's snapshot in this run")
		return
	}
	if c.Stats().RPCs[sim.MsgInstallSnapshot] > 0 {
		return
	}
	b := behind[0]
	c.Failf(props.InstallSnapshotWhenBehind,
		"in %d of %d rounds a node came back with its log ending before every other node's snapshot (first in round %d: node %d's log ended at index %d, the others reported snapshots through %v), so the entries it lacked were gone from every log; it caught up each time, yet no InstallSnapshot was ever sent: the leader must send InstallSnapshot when a follower's nextIndex is at or below its snapshot, and Inspect's SnapshotIndex must be the last index actually discarded from the log",
		len(behind), snapRounds, b.round, b.node, b.last, b.snaps)
}

// snapCheckStateSize fails the run if any node's saved Raft state exceeds
// bound: with snapshots on, the log must be trimmed through each snapshot.
func snapCheckStateSize(c *sim.Cluster, bound int, when string) {
	for i, ns := range c.Stats().Nodes {
		if ns.State > bound {
			c.Failf(props.LogCompaction,
				"node %d's saved Raft state is %s %s with a snapshot every %d; the bound is %s: after Snapshot(index, ...) discard log entries through index and save only what follows (Figure 13, §7)",
				i, snapBytes(ns.State), when, c.Config().SnapshotEvery, snapBytes(bound))
		}
	}
}

// snapBytes renders a size as a student reads it.
func snapBytes(n int) string {
	switch {
	case n < 1<<10:
		return fmt.Sprintf("%d bytes", n)
	case n%(1<<10) == 0:
		return fmt.Sprintf("%d KB", n>>10)
	}
	return fmt.Sprintf("%.1f KB", float64(n)/(1<<10))
}

// snapAllCrash is MIT's TestSnapshotAllCrash3D: crash and restart every
// node, again and again, with snapshots taken in between; after every
// restart a new command must commit, at an index past the old ones.
func snapAllCrash(c *sim.Cluster) {
	n := c.N()
	next := snapCmds("a")
	c.Submit(next(), n, agreeBound)
	for round := 1; round <= 5; round++ {
		for range snapInterval/2 + c.Rand().IntN(snapInterval) {
			c.Submit(next(), n, agreeBound)
		}
		before := c.Submit(next(), n, agreeBound)
		c.Note("round %d: every node crashes after index %d committed, and restarts", round, before)
		snapRestartAll(c)
		after := c.Submit(next(), n, agreeBound)
		if after <= before {
			c.Failf(props.SnapshotPersistence,
				"after every node crashed and restarted (round %d), a new command committed at index %d, but index %d had committed before the crash: indexes must move forward, so a restarted node must restore its snapshot's last included index and the log after it from Persister().ReadState",
				round, after, before)
		}
	}
}

// snapInit is MIT's TestSnapshotInit3D: snapshots exist, every node
// crashes and restarts, one command commits (so each node saves again),
// then every node crashes and restarts once more and one more command
// must commit. A node that restarts without initialising from its
// snapshot, or saves again without passing the snapshot along, fails here.
func snapInit(c *sim.Cluster) {
	n := c.N()
	next := snapCmds("i")
	c.Submit(next(), n, agreeBound)
	for range snapInterval + 1 {
		c.Submit(next(), n, agreeBound)
	}
	c.Note("every node has a snapshot; all crash and restart")
	snapRestartAll(c)
	c.Submit(next(), n, agreeBound)
	c.Note("one command since the restart, saved again; all crash and restart once more")
	snapRestartAll(c)
	c.Submit(next(), n, agreeBound)
}

// snapRestartAll crashes every node and restarts it, then checks that each
// node's service came back from the snapshot the node had before: the
// node must have saved the snapshot's bytes with Persister().Save.
func snapRestartAll(c *sim.Cluster) {
	n := c.N()
	had := make([]int, n)
	for i := range n {
		had[i] = c.State(i).SnapshotIndex
	}
	c.CrashAll()
	c.RestartAll()
	for i := range n {
		if got := c.LastApplied(i); got < had[i] {
			c.Failf(props.SnapshotPersistence,
				"node %d had compacted its log through index %d before the crash, but the snapshot it saved brings its service back only to index %d: save the snapshot given to Snapshot (or received in InstallSnapshot) with Persister().Save(state, snapshot) in the same turn, and pass it again to every later Save (a nil snapshot erases it)",
				i, had[i], got)
		}
	}
}

// snapSizeBound is MIT's size check (TestSnapshotSize): after many
// commands with a snapshot every snapInterval, each node's saved Raft
// state stays small. Commands are large enough that a log kept whole
// would break the bound several times over.
func snapSizeBound(c *sim.Cluster) {
	const (
		commands = 300
		cmdBytes = 100
		bound    = 8 << 10
	)
	n := c.N()
	for k := 1; k <= commands; k++ {
		cmd := fmt.Appendf(nil, "z%d-", k)
		for len(cmd) < cmdBytes {
			cmd = append(cmd, byte('a'+len(cmd)%26))
		}
		c.Submit(cmd, n, agreeBound)
		snapCheckStateSize(c, bound, fmt.Sprintf("after %d commands of %d bytes", k, cmdBytes))
	}
	// The largest state ever saved, which may have been between checks.
	if s := c.Stats().MaxState; s > bound {
		c.Failf(props.LogCompaction,
			"a node saved a Raft state of %s during %d commands of %d bytes with a snapshot every %d; the bound is %s: after Snapshot(index, ...) discard log entries through index and save only what follows (Figure 13, §7)",
			snapBytes(s), commands, cmdBytes, c.Config().SnapshotEvery, snapBytes(bound))
	}
}
