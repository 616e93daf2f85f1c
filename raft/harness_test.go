package raft

import (
	"encoding/binary"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wire"
)

// This file holds a tiny deterministic driver for the package's own tests:
// an in-memory persister, an environment that either records what a node
// sends (unit tests) or routes it through a cluster, and a cluster in which
// every message takes one step and ticks go round robin. The real
// simulator (package sim) is far richer; this one only shows the node
// working end to end.

// memPersister is a raftapi.Persister in memory.
type memPersister struct {
	state, snap []byte
	saves       int
}

func (p *memPersister) Save(state, snapshot []byte) {
	p.state = slices.Clone(state)
	p.snap = slices.Clone(snapshot)
	p.saves++
}
func (p *memPersister) ReadState() []byte    { return slices.Clone(p.state) }
func (p *memPersister) ReadSnapshot() []byte { return slices.Clone(p.snap) }
func (p *memPersister) StateSize() int       { return len(p.state) }
func (p *memPersister) SnapshotSize() int    { return len(p.snap) }

// sent is one request recorded by a testEnv without a cluster.
type sent struct {
	to   int
	rv   *raftapi.RequestVoteArgs
	ae   *raftapi.AppendEntriesArgs
	is   *raftapi.InstallSnapshotArgs
	rvOK func(*raftapi.RequestVoteReply)
	aeOK func(*raftapi.AppendEntriesReply)
	isOK func(*raftapi.InstallSnapshotReply)
}

// testEnv is the Env of one incarnation of a node.
type testEnv struct {
	c       *cluster // nil: record sends in out
	id, inc int
	rng     *rand.Rand
	p       *memPersister
	out     []sent
	applied []raftapi.ApplyMsg
}

func newTestEnv(seed uint64) *testEnv {
	return &testEnv{rng: rand.New(rand.NewPCG(seed, 1)), p: &memPersister{}}
}

func (e *testEnv) Persister() raftapi.Persister { return e.p }
func (e *testEnv) Rand() *rand.Rand             { return e.rng }

func (e *testEnv) Apply(m raftapi.ApplyMsg) {
	if e.c == nil {
		e.applied = append(e.applied, m)
		return
	}
	e.c.apply(e.id, m)
}

func (e *testEnv) SendRequestVote(to int, a *raftapi.RequestVoteArgs, f func(*raftapi.RequestVoteReply)) {
	if e.c == nil {
		e.out = append(e.out, sent{to: to, rv: a, rvOK: f})
		return
	}
	b := wire.AppendRequestVoteArgs(nil, a)
	e.c.send(e.id, to, len(b), func() []byte {
		var args raftapi.RequestVoteArgs
		var r raftapi.RequestVoteReply
		must(wire.DecodeRequestVoteArgs(b, &args))
		e.c.nodes[to].RequestVote(e.id, &args, &r)
		return wire.AppendRequestVoteReply(nil, &r)
	}, func(rb []byte) {
		var r raftapi.RequestVoteReply
		must(wire.DecodeRequestVoteReply(rb, &r))
		f(&r)
	})
}

func (e *testEnv) SendAppendEntries(to int, a *raftapi.AppendEntriesArgs, f func(*raftapi.AppendEntriesReply)) {
	if e.c == nil {
		e.out = append(e.out, sent{to: to, ae: a, aeOK: f})
		return
	}
	b := wire.AppendAppendEntriesArgs(nil, a)
	e.c.send(e.id, to, len(b), func() []byte {
		var args raftapi.AppendEntriesArgs
		var r raftapi.AppendEntriesReply
		must(wire.DecodeAppendEntriesArgs(b, &args))
		e.c.nodes[to].AppendEntries(e.id, &args, &r)
		return wire.AppendAppendEntriesReply(nil, &r)
	}, func(rb []byte) {
		var r raftapi.AppendEntriesReply
		must(wire.DecodeAppendEntriesReply(rb, &r))
		f(&r)
	})
	e.c.aes++
	e.c.payload += len(a.Entries)
}

func (e *testEnv) SendInstallSnapshot(to int, a *raftapi.InstallSnapshotArgs, f func(*raftapi.InstallSnapshotReply)) {
	if e.c == nil {
		e.out = append(e.out, sent{to: to, is: a, isOK: f})
		return
	}
	b := wire.AppendInstallSnapshotArgs(nil, a)
	e.c.send(e.id, to, len(b), func() []byte {
		var args raftapi.InstallSnapshotArgs
		var r raftapi.InstallSnapshotReply
		must(wire.DecodeInstallSnapshotArgs(b, &args))
		e.c.nodes[to].InstallSnapshot(e.id, &args, &r)
		return wire.AppendInstallSnapshotReply(nil, &r)
	}, func(rb []byte) {
		var r raftapi.InstallSnapshotReply
		must(wire.DecodeInstallSnapshotReply(rb, &r))
		f(&r)
	})
	e.c.snapshots++
}

func must(err error) {
	if err != nil {
		panic(err)
	}
}

// cluster is a deterministic in-memory world: step ticks every live node
// in id order, then delivers the messages sent during the previous step.
type cluster struct {
	t       testing.TB
	n       int
	factory raftapi.Factory
	seed    uint64
	nodes   []raftapi.Node // nil while crashed
	envs    []*testEnv
	pers    []*memPersister
	cut     [][]bool // cut[a][b]: a's messages to b are lost
	queue   []func()
	turns   []func() // Snapshot turns the service queued

	// The service: per node, the last applied index; across nodes, the
	// command applied at each index.
	applied   []int
	committed [][]byte
	snapEvery int // the service snapshots every snapEvery applied commands
	leaders   map[int]int

	// A faulty network, if net is set: each message is lost with
	// probability drop, duplicated with probability dup, and held back a
	// step with probability delay; each step delivers in random order.
	net              *rand.Rand
	drop, dup, delay float64

	// Counters, of requests (replies are not counted) and of bytes both ways.
	rpcs, aes, snapshots, bytes, payload int
}

func newCluster(t testing.TB, n int, f raftapi.Factory, seed uint64) *cluster {
	c := &cluster{t: t, n: n, factory: f, seed: seed, leaders: map[int]int{},
		nodes: make([]raftapi.Node, n), envs: make([]*testEnv, n),
		pers: make([]*memPersister, n), applied: make([]int, n), cut: make([][]bool, n),
		committed: [][]byte{nil}}
	for i := range n {
		c.pers[i] = &memPersister{}
		c.cut[i] = make([]bool, n)
		c.restart(i)
	}
	return c
}

// restart boots node i (again) over its persister; the service restores
// itself from the snapshot first.
func (c *cluster) restart(i int) {
	inc := 0
	if c.envs[i] != nil {
		inc = c.envs[i].inc + 1
	}
	c.envs[i] = &testEnv{c: c, id: i, inc: inc, p: c.pers[i],
		rng: rand.New(rand.NewPCG(c.seed, uint64(i*1000+inc)))}
	c.applied[i] = 0
	if s := c.pers[i].snap; s != nil {
		v, _ := binary.Uvarint(s)
		c.applied[i] = int(v)
	}
	c.nodes[i] = c.factory(i, c.n, c.envs[i])
}

// crash drops node i; its pending callbacks and queued turns die with it.
func (c *cluster) crash(i int) { c.nodes[i] = nil }

func (c *cluster) alive(i, inc int) bool { return c.nodes[i] != nil && c.envs[i].inc == inc }

// send queues a request from a to b; the reply comes back one step later.
func (c *cluster) send(a, b, size int, handle func() []byte, onReply func([]byte)) {
	c.rpcs++
	c.bytes += size
	inc := c.envs[a].inc
	c.enqueue(func() {
		if c.nodes[b] == nil || c.cut[a][b] {
			return
		}
		rb := handle()
		c.runTurns()
		c.bytes += len(rb)
		c.enqueue(func() {
			if !c.alive(a, inc) || c.cut[b][a] {
				return
			}
			onReply(rb)
			c.runTurns()
		})
	})
}

// enqueue puts a message on the network.
func (c *cluster) enqueue(f func()) {
	if c.net != nil && c.net.Float64() < c.drop {
		return
	}
	c.queue = append(c.queue, f)
	if c.net != nil && c.net.Float64() < c.dup {
		c.queue = append(c.queue, f)
	}
}

func (c *cluster) apply(i int, m raftapi.ApplyMsg) {
	t := c.t
	switch {
	case m.SnapshotValid:
		require.Greater(t, m.SnapshotIndex, c.applied[i], "node %d: snapshot would move the service back", i)
		v, _ := binary.Uvarint(m.Snapshot)
		require.Equal(t, m.SnapshotIndex, int(v), "snapshot data")
		c.applied[i] = m.SnapshotIndex
	case m.CommandValid:
		require.Equal(t, c.applied[i]+1, m.CommandIndex, "node %d: apply out of order", i)
		c.applied[i] = m.CommandIndex
		if m.CommandIndex < len(c.committed) {
			require.Equal(t, c.committed[m.CommandIndex], m.Command, "node %d: index %d applied differently", i, m.CommandIndex)
		} else {
			c.committed = append(c.committed, m.Command)
		}
		if c.snapEvery > 0 && m.CommandIndex%c.snapEvery == 0 {
			idx, inc := m.CommandIndex, c.envs[i].inc
			c.turns = append(c.turns, func() {
				if c.alive(i, inc) {
					c.nodes[i].Snapshot(idx, binary.AppendUvarint(nil, uint64(idx)))
				}
			})
		}
	}
}

// runTurns runs the Snapshot turns that the service queued while a node
// was applying.
func (c *cluster) runTurns() {
	for len(c.turns) > 0 {
		f := c.turns[0]
		c.turns = c.turns[1:]
		f()
	}
}

// step is one tick of simulated time.
func (c *cluster) step() {
	for _, nd := range c.nodes {
		if nd != nil {
			nd.Tick()
			c.runTurns()
		}
	}
	q := c.queue
	c.queue = nil
	if c.net != nil {
		c.net.Shuffle(len(q), func(i, j int) { q[i], q[j] = q[j], q[i] })
	}
	for _, f := range q {
		if c.net != nil && c.net.Float64() < c.delay {
			c.queue = append(c.queue, f)
			continue
		}
		f()
	}
	c.checkLeaders()
}

// checkLeaders checks Election Safety (§5.2): one leader per term.
func (c *cluster) checkLeaders() {
	for i, nd := range c.nodes {
		if nd == nil {
			continue
		}
		if term, ok := nd.GetState(); ok {
			if l, seen := c.leaders[term]; seen {
				require.Equal(c.t, l, i, "two leaders in term %d", term)
			}
			c.leaders[term] = i
		}
	}
}

// run steps until cond holds, at most max steps, and reports whether it did.
func (c *cluster) run(max int, cond func() bool) bool {
	for range max {
		if cond() {
			return true
		}
		c.step()
	}
	return cond()
}

func (c *cluster) steps(k int) {
	for range k {
		c.step()
	}
}

// leader returns the live leader of the highest term, or -1.
func (c *cluster) leader() int {
	best, bestTerm := -1, -1
	for i, nd := range c.nodes {
		if nd == nil {
			continue
		}
		if term, ok := nd.GetState(); ok && term > bestTerm {
			best, bestTerm = i, term
		}
	}
	return best
}

// waitLeader steps until some node leads, and returns it.
func (c *cluster) waitLeader() int {
	require.True(c.t, c.run(1000, func() bool { return c.leader() >= 0 }), "no leader elected")
	return c.leader()
}

// isolate cuts node i off from every other node, both ways.
func (c *cluster) isolate(i int) {
	for j := range c.n {
		if j != i {
			c.cut[i][j], c.cut[j][i] = true, true
		}
	}
}

func (c *cluster) heal() {
	for i := range c.n {
		clear(c.cut[i])
	}
}

// one starts cmd at the leader and waits until every live node applied it
// at the index Start returned; like MIT's tester, it starts it again if a
// change of leader lost it.
func (c *cluster) one(cmd []byte) int {
	for range 10 {
		l := c.waitLeader()
		idx, _, ok := c.nodes[l].Start(cmd)
		if !ok {
			continue
		}
		if c.run(300, func() bool { return c.appliedAll(idx) }) &&
			slices.Equal(c.committed[idx], cmd) {
			return idx
		}
	}
	require.FailNow(c.t, "command not committed", "%q", cmd)
	return 0
}

// appliedAll reports whether every live node applied index idx.
func (c *cluster) appliedAll(idx int) bool {
	for i, nd := range c.nodes {
		if nd != nil && c.applied[i] < idx {
			return false
		}
	}
	return true
}
