package labs

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/sim"
)

// electionTimeout is MIT 6.5840's RaftElectionTimeout: the one second its
// tests sleep to let a cluster notice a change and elect. Scenarios that
// mirror MIT's sleeps use it so that the two read alike.
const electionTimeout = time.Second

// noCommitWait is how long a leader without a majority is watched to make
// sure it commits nothing: MIT's 2 × RaftElectionTimeout.
const noCommitWait = 2 * electionTimeout

// Budgets of the Count scenario (MIT 6.5840's TestCount3B, and the
// issue's heartbeat rate).
const (
	countElectionBudget = 30 // requests to elect the first leader of 3 nodes
	countIters          = 10 // commands whose agreement is counted
	// countAgreeBudget is MIT's (iters+1+3) × 3: about three requests per
	// entry for a 3-node cluster, and a few to spare.
	countAgreeBudget = (countIters + 1 + 3) * 3
	// countIdleWindow is how long an idle leader's heartbeats are counted.
	// Ten seconds rather than MIT's one, so that the rate is measured, not
	// the phase of the leader's heartbeat timer.
	countIdleWindow = 10 * time.Second
	// countIdleBudget is the most requests one follower may receive in
	// countIdleWindow: 10 heartbeats per second, plus half a second's worth
	// so that a heartbeat on each edge of the window is not held against
	// the implementation.
	countIdleBudget = 105
)

// replicationSuite is the replication stage (MIT 6.5840 parity, and more).
func replicationSuite() []Scenario {
	return []Scenario{
		{Name: "BasicAgreement", Paper: "§5.3", Nodes: 3, Seeds: 20, Run: replBasicAgreement},
		{Name: "RPCBytes", Paper: "§5.3", Nodes: 3, Seeds: 10, Run: replRPCBytes},
		{Name: "FollowerFailure", Paper: "§5.3", Nodes: 3, Seeds: 20, Run: replFollowerFailure},
		{Name: "LeaderFailure", Paper: "§5.3", Nodes: 3, Seeds: 20, Run: replLeaderFailure},
		{Name: "FailAgree", Paper: "§5.3", Nodes: 3, Seeds: 20, Run: replFailAgree},
		{Name: "FailNoAgree", Paper: "§5.3", Nodes: 5, Seeds: 20, Run: replFailNoAgree},
		{Name: "ConcurrentStarts", Paper: "§5.3", Nodes: 3, Seeds: 20, Run: replConcurrentStarts},
		{Name: "Rejoin", Paper: "§5.3", Nodes: 3, Seeds: 20, Run: replRejoin},
		{Name: "Backup", Paper: "§5.3", Nodes: 5, Seeds: 10, Run: replBackup},
		{Name: "Count", Paper: "§5.2", Nodes: 3, Seeds: 10, Run: replCount},
	}
}

// ---- helpers shared by the replication and persistence suites ----

// mitNet mirrors the network of MIT 6.5840's test harness, in which a node
// is either connected, and then talks with every other connected node, or
// disconnected from everyone. Its connect differs from Cluster.Connect,
// which links a node to every node: MIT's scenarios rely on two
// disconnected nodes staying apart.
type mitNet struct {
	c  *sim.Cluster
	on []bool
}

// newMITNet starts with every node connected.
func newMITNet(c *sim.Cluster) *mitNet {
	on := make([]bool, c.N())
	for i := range on {
		on[i] = true
	}
	return &mitNet{c: c, on: on}
}

// disconnect cuts node i off from every node (MIT's cfg.disconnect).
func (m *mitNet) disconnect(i int) {
	if m.on[i] {
		m.on[i] = false
		m.c.Isolate(i)
	}
}

// connect links node i with every connected node (MIT's cfg.connect).
func (m *mitNet) connect(i int) {
	if m.on[i] {
		return
	}
	m.on[i] = true
	if !slices.Contains(m.on, false) {
		m.c.Heal()
		return
	}
	var group []int
	for j, on := range m.on {
		if on {
			group = append(group, j)
		}
	}
	// Partition puts the nodes it is not given together in one more
	// group; MIT's disconnected nodes are each alone.
	m.c.Partition(group)
	for j, on := range m.on {
		if !on {
			m.c.Isolate(j)
		}
	}
}

// connected reports whether node i is connected (MIT's cfg.connected[i]).
func (m *mitNet) connected(i int) bool { return m.on[i] }

// crash is MIT's cfg.crash1: the node is disconnected, then crashed.
func (m *mitNet) crash(i int) {
	m.disconnect(i)
	m.c.Crash(i)
}

// start is MIT's cfg.start1: a running node is crashed first, then the
// node boots from what it saved. It stays disconnected until connect.
func (m *mitNet) start(i int) {
	m.crash(i)
	m.c.Restart(i)
}

// cmdf builds a command from a format, so that traces show which step of
// a scenario offered it.
func cmdf(format string, args ...any) []byte { return fmt.Appendf(nil, format, args...) }

// randomCmd is a command of n random bytes from the scenario's stream.
func randomCmd(c *sim.Cluster, n int) []byte {
	b := make([]byte, n)
	r := c.Rand()
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// startOnLeader offers cmd to node l, which the scenario knows to be the
// leader, and fails the run unless l accepts it at index want (0: any
// index). It returns the index and term Start returned.
func startOnLeader(c *sim.Cluster, l int, cmd []byte, want int, why string) (index, term int) {
	index, term, ok := c.Start(l, cmd)
	if !ok {
		c.Failf(props.StartOnLeader,
			"node %d is leader of term %d (%s), but Start(%q) returned isLeader = false: a leader appends every command it is given to its log and returns true",
			l, c.State(l).Term, why, clipCmd(cmd))
	}
	if want > 0 && index != want {
		c.Failf(props.StartIndex,
			"Start(%q) on leader %d returned index %d, expected %d (%s): Start appends the command at the end of the leader's log and returns that index, counting from 1. Every log entry comes from Start (there is no no-op entry at the start of a term), so the index follows the last entry the leader holds",
			clipCmd(cmd), l, index, want, why)
	}
	return index, term
}

// waitApplied runs until index holds cmd on at least want nodes, or fails
// the run (liveness), saying what the scenario was waiting for.
func waitApplied(c *sim.Cluster, index int, cmd []byte, want int, within time.Duration, why string) {
	deadline := c.Now() + within
	if c.RunUntil(within, func() bool {
		n, got := c.Applied(index)
		return n >= want && bytes.Equal(got, cmd)
	}) {
		return
	}
	checkStartIndex(c, cmd, 0, []int{index}, "the leader")
	n, got := c.Applied(index)
	if n > 0 && !bytes.Equal(got, cmd) {
		c.Failf(props.Agreement,
			"index %d was applied as %q, but the leader accepted %q there (%s) and no failure has happened since: the leader's entry at that index is the one that must commit",
			index, clipCmd(got), clipCmd(cmd), why)
	}
	c.FailLiveness(props.Agreement,
		"expected command %q at index %d to be applied by %d nodes within %s of simulated time (by %s), but %d node(s) applied it (%s). A leader must send new entries to its followers promptly, advance commitIndex once a majority store them (§5.3), and every node must apply committed entries in order",
		clipCmd(cmd), index, want, within, deadline, n, why)
}

// agreeAt is MIT's one(cmd, want) for a cluster without failures, where
// the index is known in advance: the leader must accept cmd at index, and
// want nodes must apply it there.
func agreeAt(c *sim.Cluster, cmd []byte, want, index int, why string) {
	l := c.WaitLeader(electionBound)
	startOnLeader(c, l, cmd, index, why)
	waitApplied(c, index, cmd, want, agreeBound, why)
}

// one is MIT's one(cmd, want, retry=true): c.Submit, with a diagnosis.
// If the first offer a leader accepts is not applied within two seconds at
// the index its Start returned, but the command is applied at another
// index, Start returned the wrong index, and the run fails saying so
// rather than timing out. Otherwise c.Submit goes on offering, as MIT's
// one does.
func one(c *sim.Cluster, cmd []byte, want int) int {
	start := c.Now()
	deadline := start + agreeBound
	from := c.MaxApplied()
	for c.Now() < deadline {
		l, index, term := -1, 0, 0
		for k := range c.N() {
			if !c.Up(k) || c.Paused(k) || len(reachable(c, k)) <= c.N()/2 {
				continue
			}
			var ok bool
			if index, term, ok = c.Start(k, cmd); ok {
				l = k
				break
			}
		}
		if l < 0 {
			c.RunFor(50 * time.Millisecond) // no leader yet: wait, as c.Submit does
			continue
		}
		if c.RunUntil(min(agreeRetry, deadline-c.Now()), func() bool {
			n, got := c.Applied(index)
			return n >= want && bytes.Equal(got, cmd)
		}) {
			return index
		}
		checkStartIndex(c, cmd, from, []int{index}, fmt.Sprintf("leader %d of term %d", l, term))
		return c.Submit(cmd, want, deadline-c.Now()) // goes on offering with the rest of the time
	}
	// No leader to offer to: the election failed, not the agreement.
	c.FailLiveness(props.LeaderElection,
		"command %q could not even be offered within %s of simulated time (from %s): no live node that reaches a majority accepted it as leader (Start returned isLeader = false everywhere), so no leader was elected (§5.2)",
		clipCmd(cmd), agreeBound, start)
	return -1
}

// checkStartIndex fails the run if cmd, offered when from was the highest
// index applied anywhere, has been applied at an index above from that
// none of the Starts that accepted it returned.
func checkStartIndex(c *sim.Cluster, cmd []byte, from int, returned []int, who string) {
	for j := from + 1; j <= c.MaxApplied(); j++ {
		if _, got := c.Applied(j); bytes.Equal(got, cmd) && !slices.Contains(returned, j) {
			c.Failf(props.StartIndex,
				"Start(%q) on %s returned index %d, but the command was applied at index %d: Start appends the command at the end of the leader's log and returns that index, counting from 1. Every log entry comes from Start (there is no no-op entry at the start of a term), so the index follows the last entry the leader holds",
				clipCmd(cmd), who, returned[len(returned)-1], j)
		}
	}
}

// checkNotCommitted fails the run if index has been applied anywhere:
// the leader could not reach a majority when the entry was offered.
func checkNotCommitted(c *sim.Cluster, index int, why string) {
	if n, cmd := c.Applied(index); n > 0 {
		c.Failf(props.CommitNeedsMajority,
			"index %d (%q) was applied by %d node(s), but %s: a leader commits an entry only once a majority of the cluster (%d of %d) stores it, and nodes apply only committed entries",
			index, clipCmd(cmd), n, why, c.N()/2+1, c.N())
	}
}

// clipCmd shortens a command for a message: the RPCBytes commands are
// 5000 bytes long.
func clipCmd(cmd []byte) []byte {
	if len(cmd) > 24 {
		return append(cmd[:20:20], "..."...)
	}
	return cmd
}

// ---- the replication scenarios (MIT 6.5840 3B) ----

// replBasicAgreement is TestBasicAgree3B: three commands agreed in turn,
// each at the index that follows the last.
func replBasicAgreement(c *sim.Cluster) {
	for index := 1; index <= 3; index++ {
		if n, cmd := c.Applied(index); n > 0 {
			c.Failf(props.EveryEntryFromStart,
				"%d node(s) applied index %d (%q) before any client offered a command for it: log entries come only from Start — no no-op entry at the start of a term — and a node applies only committed entries",
				n, index, clipCmd(cmd))
		}
		agreeAt(c, cmdf("%d", index*100), 3, index, fmt.Sprintf("the cluster had agreed on %d command(s) before", index-1))
	}
}

// replRPCBytes is TestRPCBytes3B: ten 5000-byte commands may cost at most
// 3 × their size in RPC bytes, plus 50 KB for everything else.
func replRPCBytes(c *sim.Cluster) {
	agreeAt(c, cmdf("99"), 3, 1, "the first command")
	bytes0 := c.Stats().TotalBytes()
	var sent int64
	for index := 2; index < 12; index++ {
		cmd := randomCmd(c, 5000)
		agreeAt(c, cmd, 3, index, fmt.Sprintf("command %d of 10 of 5000 bytes", index-1))
		sent += int64(len(cmd))
	}
	got := c.Stats().TotalBytes() - bytes0
	if budget := int64(c.N())*sent + 50000; got > budget {
		c.Failf(props.SendEachEntryOnce,
			"agreeing on 10 commands of 5000 bytes (%d bytes of commands) cost %d bytes of RPCs, requests and replies; the budget is %d × %d + 50000 = %d: a leader sends each follower the entries from its nextIndex on, once, and advances nextIndex when the follower acknowledges them — resending entries the follower already holds (for example the whole log with every heartbeat) blows the budget",
			sent, got, c.N(), sent, budget)
	}
}

// replFollowerFailure is TestFollowerFailure3B: agreement continues with
// one follower gone, and stops with both gone.
func replFollowerFailure(c *sim.Cluster) {
	net := newMITNet(c)
	one(c, cmdf("101"), 3)
	l1 := c.WaitLeader(electionBound)
	f := (l1 + 1) % 3
	c.Note("follower %d leaves: the leader and the other follower are a majority", f)
	net.disconnect(f)
	one(c, cmdf("102"), 2)
	c.RunFor(electionTimeout)
	last := one(c, cmdf("103"), 2)

	l2 := c.WaitLeader(electionBound)
	c.Note("both followers of leader %d leave: it alone must commit nothing", l2)
	net.disconnect((l2 + 1) % 3)
	net.disconnect((l2 + 2) % 3)
	index, _ := startOnLeader(c, l2, cmdf("104"), last+1, fmt.Sprintf("index %d was the last committed entry", last))
	c.RunFor(noCommitWait)
	checkNotCommitted(c, index, fmt.Sprintf("leader %d was cut off from both followers when it accepted it, and stayed cut off", l2))
}

// replLeaderFailure is TestLeaderFailure3B: agreement continues after the
// leader leaves, and nothing commits once the second leader leaves too.
func replLeaderFailure(c *sim.Cluster) {
	net := newMITNet(c)
	one(c, cmdf("101"), 3)
	l1 := c.WaitLeader(electionBound)
	c.Note("leader %d leaves: the two followers must elect a new leader and go on", l1)
	net.disconnect(l1)
	one(c, cmdf("102"), 2)
	c.RunFor(electionTimeout)
	last := one(c, cmdf("103"), 2)

	l2 := c.WaitLeader(electionBound)
	c.Note("leader %d leaves too: no two nodes can talk, nothing may commit", l2)
	net.disconnect(l2)
	for i := range c.N() {
		c.Start(i, cmdf("104"))
	}
	c.RunFor(noCommitWait)
	checkNotCommitted(c, last+1, "every node was cut off from every other when it was offered, and stayed cut off")
}

// replFailAgree is TestFailAgree3B: a follower that missed entries while
// disconnected catches up when it comes back.
func replFailAgree(c *sim.Cluster) {
	net := newMITNet(c)
	one(c, cmdf("101"), 3)
	l := c.WaitLeader(electionBound)
	f := (l + 1) % 3
	c.Note("follower %d leaves and misses four commands", f)
	net.disconnect(f)
	one(c, cmdf("102"), 2)
	one(c, cmdf("103"), 2)
	c.RunFor(electionTimeout)
	one(c, cmdf("104"), 2)
	last := one(c, cmdf("105"), 2)
	c.Note("follower %d comes back: the leader must bring its log up to date", f)
	net.connect(f)
	waitApplied(c, last, cmdf("105"), 3, agreeBound,
		fmt.Sprintf("node %d reconnected after missing indexes up to %d; the leader must back nextIndex up until the logs match, then send the missing entries", f, last))
	one(c, cmdf("106"), 3)
	c.RunFor(electionTimeout)
	one(c, cmdf("107"), 3)
}

// replFailNoAgree is TestFailNoAgree3B: with three of five followers
// gone, the leader accepts a command but must not commit it; once they
// are back, agreement resumes at the right index.
func replFailNoAgree(c *sim.Cluster) {
	net := newMITNet(c)
	one(c, cmdf("10"), 5)
	l := c.WaitLeader(electionBound)
	c.Note("three followers of leader %d leave: it and one follower are a minority", l)
	for k := 1; k <= 3; k++ {
		net.disconnect((l + k) % 5)
	}
	index, _ := startOnLeader(c, l, cmdf("20"), 2, "one command was committed before")
	c.RunFor(noCommitWait)
	checkNotCommitted(c, index, fmt.Sprintf("leader %d could reach only one follower, 2 of 5 nodes", l))

	c.Note("the three come back")
	for k := 1; k <= 3; k++ {
		net.connect((l + k) % 5)
	}
	// The three may have elected a leader among themselves, which does
	// not hold index 2: the next index is 2 or 3.
	l2 := c.WaitLeader(electionBound)
	index2, _, ok := c.Start(l2, cmdf("30"))
	if !ok {
		c.Failf(props.StartOnLeader,
			"node %d is leader of term %d, but Start(\"30\") returned isLeader = false: a leader appends every command it is given and returns true",
			l2, c.State(l2).Term)
	}
	if index2 < 2 || index2 > 3 {
		c.Failf(props.StartIndex,
			"after the partition healed, Start(\"30\") on leader %d returned index %d, expected 2 or 3: one command was committed at index 1 and the old leader accepted one more at index 2 that never committed, so the new leader's log ends at index 1 or 2, and Start returns the index after it (every entry comes from Start, no no-op entries)",
			l2, index2)
	}
	one(c, cmdf("1000"), 5)
}

// replConcurrentStarts is TestConcurrentStarts3B. The simulator runs one
// turn at a time, so MIT's five goroutines become five Starts on the
// leader in the same simulated instant: they must get five distinct
// indexes, and all five commands must commit there. If the term changes
// meanwhile (which needs a failure the scenario does not inject) the
// attempt is retried, as MIT does.
func replConcurrentStarts(c *sim.Cluster) {
	const iters = 5
	for try := range 5 {
		if try > 0 {
			c.RunFor(3 * time.Second)
		}
		l := c.WaitLeader(electionBound)
		_, term, ok := c.Start(l, cmdf("1"))
		if !ok {
			continue
		}
		indexes := make([]int, 0, iters)
		cmds := make([][]byte, 0, iters)
		for i := range iters {
			cmd := cmdf("%d", 100+i)
			index, term1, ok := c.Start(l, cmd)
			if !ok || term1 != term {
				break
			}
			if slices.Contains(indexes, index) {
				c.Failf(props.StartIndex,
					"five Starts in a row on leader %d, in term %d and at the same instant: Start(%q) returned index %d, already returned for an earlier command (indexes so far %v); each Start appends a new entry at the end of the log",
					l, term, cmd, index, indexes)
			}
			indexes = append(indexes, index)
			cmds = append(cmds, cmd)
		}
		if len(indexes) < iters {
			continue
		}
		last := slices.Max(indexes)
		c.RunUntil(agreeBound, func() bool {
			n, _ := c.Applied(last)
			return n >= c.N() || termMoved(c, term)
		})
		if termMoved(c, term) {
			continue
		}
		for k, index := range indexes {
			waitApplied(c, index, cmds[k], c.N(), 0,
				fmt.Sprintf("leader %d of term %d accepted five commands at indexes %v in one instant, and the term has not changed", l, term, indexes))
		}
		return
	}
	c.Failf(props.HeartbeatsPreventElections,
		"five attempts to agree on five commands started at once all saw the term change, with no failure injected: a healthy leader's heartbeats must keep followers from starting elections")
}

// replRejoin is TestRejoin3B: a partitioned leader accepts entries that
// never commit; when it rejoins, its log must be overwritten.
func replRejoin(c *sim.Cluster) {
	net := newMITNet(c)
	one(c, cmdf("101"), 3)
	l1 := c.WaitLeader(electionBound)
	c.Note("leader %d leaves and accepts three commands that cannot commit", l1)
	net.disconnect(l1)
	c.Start(l1, cmdf("102"))
	c.Start(l1, cmdf("103"))
	c.Start(l1, cmdf("104"))
	one(c, cmdf("103"), 2)

	l2 := c.WaitLeader(electionBound)
	c.Note("the new leader %d leaves; the old leader %d comes back with its uncommitted entries", l2, l1)
	net.disconnect(l2)
	net.connect(l1)
	one(c, cmdf("104"), 2)
	c.Note("all together now")
	net.connect(l2)
	one(c, cmdf("105"), 3)
}

// replBackup is TestBackup3B: leaders repair 50-entry divergent logs; a
// leader that backs nextIndex up one entry per round trip is slow but
// passes, the term-wise back-up of §5.3 is fast.
func replBackup(c *sim.Cluster) {
	net := newMITNet(c)
	r := c.Rand()
	cmd := func(phase string) []byte { return cmdf("%s-%d", phase, r.Uint32()) }
	one(c, cmd("first"), 5)

	l1 := c.WaitLeader(electionBound)
	c.Note("leader %d and follower %d are cut off from the others and accept 50 commands that cannot commit", l1, (l1+1)%5)
	for k := 2; k <= 4; k++ {
		net.disconnect((l1 + k) % 5)
	}
	for range 50 {
		c.Start(l1, cmd("lost1"))
	}
	c.RunFor(electionTimeout / 2)
	net.disconnect(l1)
	net.disconnect((l1 + 1) % 5)
	c.Note("the other three agree on 50 commands")
	for k := 2; k <= 4; k++ {
		net.connect((l1 + k) % 5)
	}
	for range 50 {
		one(c, cmd("kept1"), 3)
	}

	l2 := c.WaitLeader(electionBound)
	other := (l1 + 2) % 5
	if l2 == other {
		other = (l2 + 1) % 5
	}
	c.Note("leader %d loses follower %d and accepts 50 commands that cannot commit", l2, other)
	net.disconnect(other)
	for range 50 {
		c.Start(l2, cmd("lost2"))
	}
	c.RunFor(electionTimeout / 2)
	c.Note("nodes %d and %d, with the first lost entries, come back with %d", l1, (l1+1)%5, other)
	for i := range 5 {
		net.disconnect(i)
	}
	net.connect(l1)
	net.connect((l1 + 1) % 5)
	net.connect(other)
	for range 50 {
		one(c, cmd("kept2"), 3)
	}
	c.Note("everyone together")
	for i := range 5 {
		net.connect(i)
	}
	one(c, cmd("last"), 5)
}

// replCount is TestCount3B: RPC budgets for an election, for agreement,
// and for an idle leader's heartbeats. Requests are counted, not replies
// (MIT counts calls).
func replCount(c *sim.Cluster) {
	c.WaitLeader(electionBound)
	if got := c.Stats().Requests(); got > countElectionBudget {
		c.Failf(props.ElectionsCostFewRPCs,
			"the cluster sent %d RPC requests to elect the first leader of 3 nodes; the budget is %d: a candidate sends one RequestVote per peer per election (not one per tick), and followers wait out a randomized election timeout before campaigning so that elections rarely split",
			got, countElectionBudget)
	}

	agreed := false
	var l2, last int
	for try := range 5 {
		if try > 0 {
			c.RunFor(3 * time.Second)
		}
		l2 = c.WaitLeader(electionBound)
		before := c.Stats().Requests()
		starti, term, ok := c.Start(l2, cmdf("count-0"))
		if !ok {
			continue
		}
		cmds := make([][]byte, 0, countIters+1)
		moved := false
		for i := 1; i <= countIters+1; i++ {
			cmd := cmdf("count-%d", i)
			index, term1, ok := c.Start(l2, cmd)
			if !ok || term1 != term {
				moved = true
				break
			}
			if index != starti+i {
				c.Failf(props.StartIndex,
					"Start(%q) on leader %d returned index %d, expected %d: leader %d accepted %q at %d and %d more commands since, in term %d, and every entry comes from Start",
					cmd, l2, index, starti+i, l2, "count-0", starti, i-1, term)
			}
			cmds = append(cmds, cmd)
		}
		if moved {
			continue
		}
		c.RunUntil(agreeBound, func() bool {
			n, _ := c.Applied(starti + countIters)
			return n >= c.N() || termMoved(c, term)
		})
		if termMoved(c, term) {
			continue
		}
		for i := 1; i <= countIters; i++ {
			waitApplied(c, starti+i, cmds[i-1], c.N(), 0,
				fmt.Sprintf("leader %d of term %d accepted it, and the term has not changed", l2, term))
		}
		if got := c.Stats().Requests() - before; got > countAgreeBudget {
			c.Failf(props.ReplicationCostsFewRPCs,
				"the cluster sent %d RPC requests to agree on %d commands offered back to back to leader %d of 3 nodes; the budget is (%d+1+3) × 3 = %d, about three per entry: a leader sends new entries in the AppendEntries that Start (or the next heartbeat) triggers, one per follower, carrying every entry from nextIndex on — not one request per entry per tick, nor retries of requests that are still in flight",
				got, countIters, l2, countIters, countAgreeBudget)
		}
		agreed = true
		last = starti + countIters + 1
		break
	}
	if !agreed {
		c.Failf(props.HeartbeatsPreventElections,
			"five attempts to agree on %d commands all saw the term change, with no failure injected: a healthy leader's heartbeats must keep followers from starting elections", countIters)
	}

	// Let the last command settle, so that the window below sees only
	// what an idle leader sends.
	waitApplied(c, last, cmdf("count-%d", countIters+1), c.N(), agreeBound,
		fmt.Sprintf("the last of %d commands offered back to back to leader %d", countIters+2, l2))
	received := make([]int, c.N())
	c.Intercept(func(m sim.Msg) sim.Verdict {
		if m.Kind == sim.MsgAppendEntries || m.Kind == sim.MsgRequestVote || m.Kind == sim.MsgInstallSnapshot {
			received[m.To]++
		}
		return sim.Verdict{}
	})
	CheckTermStable(c, l2, countIdleWindow)
	c.Intercept(nil)
	for f, got := range received {
		if f != l2 && got > countIdleBudget {
			c.Failf(props.HeartbeatRate,
				"idle leader %d of term %d sent follower %d %d RPC requests in %s with nothing to replicate; the budget is %d (at most 10 heartbeats per second, raftapi's heartbeat every 10 ticks): send a heartbeat only when a follower has heard nothing for a heartbeat interval, not on every tick",
				l2, c.State(l2).Term, f, got, countIdleWindow, countIdleBudget)
		}
	}
}
