package labs

import (
	"bytes"
	"fmt"
	"time"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/sim"
)

// Iteration counts of the long persistence scenarios. Figure 8 runs
// MIT 6.5840's 1000 iterations: in simulated time most of them are a few
// milliseconds without a leader, so they are cheap (about 10 ms of wall
// time per seed on the reliable network, 40 ms on the unreliable one).
const (
	figure8Iters           = 1000
	figure8UnreliableIters = 1000
	churnIters             = 20 // MIT's 20 rounds of 0.7 s
	unreliableAgreeIters   = 50 // MIT's 49 rounds of five commands
)

// persistenceSuite is the persistence stage (MIT 6.5840 parity, and more).
func persistenceSuite() []Scenario {
	return []Scenario{
		{Name: "Persist1", Paper: "§5.1", Nodes: 3, Seeds: 20, Run: persPersist1},
		{Name: "Persist2", Paper: "§5.1", Nodes: 5, Seeds: 20, Run: persPersist2},
		{Name: "Persist3", Paper: "§5.1", Nodes: 3, Seeds: 20, Run: persPersist3},
		{
			Name: "Figure8", Paper: "§5.4.2", Nodes: 5, Seeds: 20, Run: persFigure8,
			Configure: func(cfg *sim.Config, _ uint64) { cfg.Network = figure8Network() },
		},
		{
			Name: "UnreliableAgree", Paper: "§5.3", Nodes: 5, Seeds: 10, Run: persUnreliableAgree,
			Configure: func(cfg *sim.Config, _ uint64) { cfg.Network = sim.Unreliable() },
		},
		{
			Name: "Figure8Unreliable", Paper: "§5.4.2", Nodes: 5, Seeds: 5, Run: persFigure8Unreliable,
			Configure: func(cfg *sim.Config, _ uint64) { cfg.Network = sim.Unreliable() },
		},
		{Name: "ReliableChurn", Paper: "§5.4.3", Nodes: 5, Seeds: 4, Run: persReliableChurn},
		{
			Name: "UnreliableChurn", Paper: "§5.4.3", Nodes: 5, Seeds: 10, Run: persUnreliableChurn,
			Configure: func(cfg *sim.Config, _ uint64) { cfg.Network = sim.Unreliable() },
		},
	}
}

// persPersist1 is TestPersist13C: the cluster keeps its log across a
// crash of every node, of the leader, and of a follower.
func persPersist1(c *sim.Cluster) {
	net := newMITNet(c)
	one(c, cmdf("11"), 3)
	c.Note("every node crashes and restarts")
	for i := range 3 {
		net.start(i)
	}
	for i := range 3 {
		net.connect(i)
	}
	one(c, cmdf("12"), 3)

	l1 := c.WaitLeader(electionBound)
	c.Note("leader %d crashes and restarts", l1)
	net.start(l1)
	net.connect(l1)
	one(c, cmdf("13"), 3)

	l2 := c.WaitLeader(electionBound)
	c.Note("leader %d leaves; it crashes and restarts after the others agree on a command", l2)
	net.disconnect(l2)
	index := one(c, cmdf("14"), 2)
	net.start(l2)
	net.connect(l2)
	waitApplied(c, index, cmdf("14"), 3, agreeBound,
		fmt.Sprintf("node %d restarted from its saved state and reconnected; it must learn index %d from the leader", l2, index))

	i3 := (c.WaitLeader(electionBound) + 1) % 3
	c.Note("follower %d leaves; it crashes and restarts after the others agree on a command", i3)
	net.disconnect(i3)
	one(c, cmdf("15"), 2)
	net.start(i3)
	net.connect(i3)
	one(c, cmdf("16"), 3)
}

// persPersist2 is TestPersist23C: five rounds in which different nodes
// crash, restart and must rebuild a majority from what they saved.
func persPersist2(c *sim.Cluster) {
	net := newMITNet(c)
	index := 1
	for range 5 {
		one(c, cmdf("%d", 10+index), 5)
		index++
		l := c.WaitLeader(electionBound)
		c.Note("followers %d and %d leave", (l+1)%5, (l+2)%5)
		net.disconnect((l + 1) % 5)
		net.disconnect((l + 2) % 5)
		one(c, cmdf("%d", 10+index), 3)
		index++

		c.Note("the three others leave; %d and %d restart and come back, then %d restarts and joins them", (l+1)%5, (l+2)%5, (l+3)%5)
		net.disconnect(l)
		net.disconnect((l + 3) % 5)
		net.disconnect((l + 4) % 5)
		net.start((l + 1) % 5)
		net.start((l + 2) % 5)
		net.connect((l + 1) % 5)
		net.connect((l + 2) % 5)
		c.RunFor(electionTimeout)
		net.start((l + 3) % 5)
		net.connect((l + 3) % 5)
		one(c, cmdf("%d", 10+index), 3)
		index++

		net.connect((l + 4) % 5)
		net.connect(l)
	}
	one(c, cmdf("1000"), 5)
}

// persPersist3 is TestPersist33C: a leader and a follower crash right
// after committing an entry the third node missed; the restarted leader
// must still hold it.
func persPersist3(c *sim.Cluster) {
	net := newMITNet(c)
	one(c, cmdf("101"), 3)
	l := c.WaitLeader(electionBound)
	c.Note("follower %d leaves; the others commit a command, then both crash", (l+2)%3)
	net.disconnect((l + 2) % 3)
	one(c, cmdf("102"), 2)
	net.crash(l)
	net.crash((l + 1) % 3)
	net.connect((l + 2) % 3)
	c.Note("leader %d restarts and joins node %d, which missed the last command", l, (l+2)%3)
	net.start(l)
	net.connect(l)
	one(c, cmdf("103"), 2)
	net.start((l + 1) % 3)
	net.connect((l + 1) % 3)
	one(c, cmdf("104"), 3)
}

// figure8Network is Figure 8's network: reliable (nothing lost or
// duplicated) but with the delay spread of MIT's unreliable network, 1 to
// 27 ms, rather than the default 1 to 5. MIT's test runs in wall time,
// where RPC latency jitters; with tight delays a new leader's first
// AppendEntries carries its own term's entry along with the older ones,
// and a leader that wrongly commits older terms' entries by counting
// replicas (§5.4.2) is caught on about 5% of seeds; with this spread, on
// about 70%.
func figure8Network() sim.Network {
	return sim.Network{DelayMin: time.Millisecond, DelayMax: 27 * time.Millisecond}
}

// figure8Sleep is MIT's sleep between Figure 8 steps: one time in ten up
// to half an election timeout, otherwise up to 12 ms.
func figure8Sleep(c *sim.Cluster) time.Duration {
	r := c.Rand()
	if r.IntN(1000) < 100 {
		return time.Duration(r.Int64N(int64(electionTimeout/time.Millisecond)/2)) * time.Millisecond
	}
	return time.Duration(r.Int64N(13)) * time.Millisecond
}

// persFigure8 is TestFigure83C: leaders crash right after accepting a
// command, so that logs hold uncommitted entries of many terms — the
// situation of Figure 8, where a leader that commits an older term's entry
// by counting replicas loses committed data (§5.4.2). Finally every node
// restarts and the cluster must agree on a new command. The network is
// figure8Network.
func persFigure8(c *sim.Cluster) {
	net := newMITNet(c)
	r := c.Rand()
	one(c, cmdf("f8-%d", r.Uint32()), 1)
	up := 5
	for it := range figure8Iters {
		leader := -1
		for i := range 5 {
			if _, _, ok := c.Start(i, cmdf("f8-%d-%d", it, r.Uint32())); ok {
				leader = i
			}
		}
		c.RunFor(figure8Sleep(c))
		if leader >= 0 {
			net.crash(leader)
			up--
		}
		if up < 3 {
			if s := r.IntN(5); !c.Up(s) {
				net.start(s)
				net.connect(s)
				up++
			}
		}
	}
	c.Note("every node restarts")
	for i := range 5 {
		if !c.Up(i) {
			net.start(i)
			net.connect(i)
		}
	}
	one(c, cmdf("f8-last-%d", r.Uint32()), 5)
}

// persFigure8Unreliable is TestFigure8Unreliable3C: Figure 8 with
// disconnections instead of crashes, on an unreliable network that from a
// fifth of the way on holds one message in ten back for up to two
// seconds, so that stale AppendEntries and replies arrive long after
// newer ones. The final agreement runs on that network too, as in MIT.
func persFigure8Unreliable(c *sim.Cluster) {
	net := newMITNet(c)
	r := c.Rand()
	one(c, cmdf("f8u-%d", r.IntN(10000)), 1)
	up := 5
	for it := range figure8UnreliableIters {
		if it == figure8UnreliableIters/5 {
			c.SetNetwork(sim.LongReordering())
		}
		leader := -1
		for i := range 5 {
			if _, _, ok := c.Start(i, cmdf("f8u-%d-%d", it, r.IntN(10000))); ok && net.connected(i) {
				leader = i
			}
		}
		c.RunFor(figure8Sleep(c))
		if leader >= 0 && r.IntN(1000) < int(electionTimeout/time.Millisecond)/2 {
			net.disconnect(leader)
			up--
		}
		if up < 3 {
			if s := r.IntN(5); !net.connected(s) {
				net.connect(s)
				up++
			}
		}
	}
	c.Note("every node reconnects")
	for i := range 5 {
		net.connect(i)
	}
	one(c, cmdf("f8u-last-%d", r.IntN(10000)), 5)
}

// agreeClients mirrors concurrent calls of MIT's one(cmd, want): each
// pending command is offered to a node that reaches a majority and takes
// it as leader, offered again if it is not applied within two seconds,
// and fails the run if it is not applied within agreeBound of its first
// offer. The simulator runs one turn at a time, so the clients' steps
// interleave between short runs of the cluster.
type agreeClients struct {
	c       *sim.Cluster
	pending []*agreeReq
	next    int // the node asked first at the next offer, as MIT's one rotates
}

// agreeReq is one client's command.
type agreeReq struct {
	cmd     []byte
	want    int
	index   int           // where the last leader that accepted it put it; 0 until then
	offers  []int         // the indexes of every offer a leader accepted
	from    int           // the highest index applied anywhere at the first offer
	offered time.Duration // when it was last offered
	since   time.Duration // when the client first offered it
}

// agreeRetry is how long a client waits for its command before offering
// it again (MIT's one waits 2 s).
const agreeRetry = 2 * time.Second

// agreePoll is how often waiting clients look at what was applied (MIT's
// one polls every 20 ms).
const agreePoll = 20 * time.Millisecond

// add starts a client for cmd, which must end up applied by want nodes.
func (a *agreeClients) add(cmd []byte, want int) *agreeReq {
	q := &agreeReq{cmd: cmd, want: want, since: a.c.Now(), from: a.c.MaxApplied()}
	a.pending = append(a.pending, q)
	a.offer(q)
	return q
}

// done reports whether q's command is applied by enough nodes.
func (a *agreeClients) done(q *agreeReq) bool {
	if q.index == 0 {
		return false
	}
	n, got := a.c.Applied(q.index)
	return n >= q.want && bytes.Equal(got, q.cmd)
}

// offer gives q to the first node, from a.next on, that reaches a majority
// and accepts it.
func (a *agreeClients) offer(q *agreeReq) {
	c := a.c
	for k := range c.N() {
		i := (a.next + k) % c.N()
		if !c.Up(i) || len(reachable(c, i)) <= c.N()/2 {
			continue
		}
		if index, _, ok := c.Start(i, q.cmd); ok {
			q.index, q.offered = index, c.Now()
			q.offers = append(q.offers, index)
			a.next = i + 1
			return
		}
	}
}

// step retires the commands that are applied, offers again those that
// waited too long, and fails the run if one waited longer than agreeBound.
func (a *agreeClients) step() {
	c := a.c
	keep := a.pending[:0]
	for _, q := range a.pending {
		switch {
		case a.done(q):
			continue
		case c.Now()-q.since > agreeBound:
			if len(q.offers) > 0 {
				checkStartIndex(c, q.cmd, q.from, q.offers, "a leader")
			}
			n, _ := c.Applied(q.index)
			c.FailLiveness(props.Agreement,
				"a client offered command %q at %s and kept offering it to the leader every %s, but by %s it was not applied by %d node(s) (last offer: index %d, applied by %d): a leader must replicate each new entry promptly and commit it once a majority stores it (§5.3), also when the network loses, duplicates and delays messages (retry from Tick)",
				clipCmd(q.cmd), q.since, agreeRetry, c.Now(), q.want, q.index, n)
		case q.index == 0 || c.Now()-q.offered >= agreeRetry:
			a.offer(q)
		}
		keep = append(keep, q)
	}
	a.pending = keep
}

// wait runs the cluster, serving every client, until q's command is
// applied by enough nodes.
func (a *agreeClients) wait(q *agreeReq) {
	for !a.done(q) {
		a.c.RunFor(agreePoll)
		a.step()
	}
	a.step()
}

// drain runs the cluster, serving every client, until every command is
// applied by enough nodes.
func (a *agreeClients) drain() {
	for len(a.pending) > 0 {
		a.c.RunFor(agreePoll)
		a.step()
	}
}

// persUnreliableAgree is TestUnreliableAgree3C: on an unreliable network,
// rounds of four commands offered at once by concurrent clients and one
// more that the round waits for; then the network becomes reliable, every
// client finishes, and all nodes agree on a last command.
func persUnreliableAgree(c *sim.Cluster) {
	a := &agreeClients{c: c}
	for it := 1; it < unreliableAgreeIters; it++ {
		for j := range 4 {
			a.add(cmdf("%d", 100*it+j), 1)
		}
		a.wait(a.add(cmdf("%d", it), 1))
	}
	c.Note("the network becomes reliable")
	c.SetNetwork(sim.Reliable())
	a.drain()
	one(c, cmdf("100"), 5)
}

// churnClient is one of the three clients of MIT's churn tests: it offers
// a fresh command to every node (one of them may lead), then looks for it
// at the index a leader gave, after 0, 10, 30, 80 and 180 ms, and gives
// up at 380 ms to offer the next; when no node accepts, it waits
// 79 + 17 × its number milliseconds. After seeing its command applied it
// pauses churnThink.
type churnClient struct {
	me    int
	seq   int
	wake  time.Duration // when it acts next
	cmd   []byte        // the command it waits for; nil when it has none
	index int           // where a leader put cmd
	polls int           // how many times it has looked for cmd
	// committed are the commands it saw applied at the index a leader
	// gave them.
	committed []churnCommit
}

// churnThink is how long a client pauses after seeing its command
// applied. MIT's clients offer the next command at once; against a
// simulated network of 1–5 ms delays that makes 3000 commands per run on a
// reliable network, and since every Save rewrites the whole log, a second
// of wall time per seed. With this pause a run commits about a thousand,
// as many as MIT's runs report, and costs a tenth of that.
const churnThink = 30 * time.Millisecond

// churnCommit is a command a client saw applied, and where.
type churnCommit struct {
	cmd   []byte
	index int
}

// act runs the client's next step; it sets cl.wake.
func (cl *churnClient) act(c *sim.Cluster) {
	// The pauses between the client's looks for its command.
	polls := [...]time.Duration{10 * time.Millisecond, 20 * time.Millisecond, 50 * time.Millisecond, 100 * time.Millisecond, 200 * time.Millisecond}
	if cl.cmd == nil {
		cl.seq++
		cmd := cmdf("churn-%d-%d", cl.me, cl.seq)
		index := -1
		for i := range c.N() {
			if idx, _, ok := c.Start(i, cmd); ok {
				index = idx
			}
		}
		if index < 0 {
			cl.wake = c.Now() + time.Duration(79+17*cl.me)*time.Millisecond
			return
		}
		cl.cmd, cl.index, cl.polls = cmd, index, 0
	}
	n, got := c.Applied(cl.index)
	if n > 0 {
		if bytes.Equal(got, cl.cmd) {
			cl.committed = append(cl.committed, churnCommit{cl.cmd, cl.index})
		}
		cl.cmd, cl.wake = nil, c.Now()+churnThink
		return
	}
	cl.wake = c.Now() + polls[cl.polls]
	cl.polls++
	if cl.polls == len(polls) {
		cl.cmd = nil // give up after the last pause
	}
}

// runChurn is MIT's internalChurn: three clients offer commands while, for
// 20 rounds of 0.7 s, nodes are disconnected, crashed and restarted at
// random. Then every node restarts and reconnects, and all must agree on a
// last command; every command a client saw applied must be in the log
// everyone applied (State Machine Safety, which the checkers also verify
// at every turn).
func runChurn(c *sim.Cluster) {
	net := newMITNet(c)
	r := c.Rand()
	clients := make([]*churnClient, 3)
	for i := range clients {
		clients[i] = &churnClient{me: i}
	}
	// serve runs the cluster until end, letting each client act when it
	// wakes, in client order at equal times.
	serve := func(end time.Duration) {
		for {
			next := end
			for _, cl := range clients {
				next = min(next, cl.wake)
			}
			if next > c.Now() {
				c.RunFor(next - c.Now())
			}
			if c.Now() >= end {
				return
			}
			for _, cl := range clients {
				if cl.wake <= c.Now() {
					cl.act(c)
				}
			}
		}
	}
	for range churnIters {
		if r.IntN(1000) < 200 {
			net.disconnect(r.IntN(5))
		}
		if r.IntN(1000) < 500 {
			i := r.IntN(5)
			if !c.Up(i) {
				net.start(i)
			}
			net.connect(i)
		}
		if r.IntN(1000) < 200 {
			if i := r.IntN(5); c.Up(i) {
				net.crash(i)
			}
		}
		serve(c.Now() + electionTimeout*7/10)
	}
	serve(c.Now() + electionTimeout)
	c.Note("the faults stop: the network becomes reliable, every node restarts and reconnects")
	c.SetNetwork(sim.Reliable())
	for i := range 5 {
		if !c.Up(i) {
			net.start(i)
		}
		net.connect(i)
	}
	// The clients stop here; what they saw applied is final.
	c.RunFor(electionTimeout)
	// Applied by all five: every node, applying in order, has applied
	// every index up to it (MIT's wait on each index).
	last := one(c, cmdf("churn-last-%d", r.Uint32()), 5)
	for _, cl := range clients {
		for _, k := range cl.committed {
			if _, got := c.Applied(k.index); k.index > last || !bytes.Equal(got, k.cmd) {
				c.Failf(props.StateMachineSafety,
					"client %d saw command %q applied at index %d, but at the end the cluster's log holds %q there (the last index is %d): once applied, an entry is never replaced",
					cl.me, k.cmd, k.index, clipCmd(got), last)
			}
		}
	}
}

// persReliableChurn is TestReliableChurn3C.
func persReliableChurn(c *sim.Cluster) { runChurn(c) }

// persUnreliableChurn is TestUnreliableChurn3C: the churn of runChurn on
// an unreliable network (the scenario's Configure sets it).
func persUnreliableChurn(c *sim.Cluster) { runChurn(c) }
