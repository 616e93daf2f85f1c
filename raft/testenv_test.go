package raft

import (
	"math/rand/v2"
	"slices"

	"github.com/raftlab/raftlab/raftapi"
)

// The unit tests drive one node by hand, calling its methods (and its
// internal functions) directly: testEnv records what the node sends and
// applies, and the test answers requests by calling their callbacks. It
// is a stub, not a driver — it checks no turns. Everything that runs
// nodes as a cluster runs them in the simulator (scenarios_test.go).

// memPersister is a raftapi.Persister in memory, with the contract's
// semantics (an empty blob reads back as nil).
type memPersister struct {
	state, snap []byte
	saves       int
}

func clip(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return slices.Clone(b)
}

func (p *memPersister) Save(state, snapshot []byte) {
	p.state = clip(state)
	p.snap = clip(snapshot)
	p.saves++
}
func (p *memPersister) ReadState() []byte    { return clip(p.state) }
func (p *memPersister) ReadSnapshot() []byte { return clip(p.snap) }
func (p *memPersister) StateSize() int       { return len(p.state) }
func (p *memPersister) SnapshotSize() int    { return len(p.snap) }

// sent is one request the node sent.
type sent struct {
	to   int
	rv   *raftapi.RequestVoteArgs
	ae   *raftapi.AppendEntriesArgs
	is   *raftapi.InstallSnapshotArgs
	rvOK func(*raftapi.RequestVoteReply)
	aeOK func(*raftapi.AppendEntriesReply)
	isOK func(*raftapi.InstallSnapshotReply)
}

// testEnv is the Env of a node under a unit test.
type testEnv struct {
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
func (e *testEnv) Apply(m raftapi.ApplyMsg)     { e.applied = append(e.applied, m) }

func (e *testEnv) SendRequestVote(to int, a *raftapi.RequestVoteArgs, f func(*raftapi.RequestVoteReply)) {
	e.out = append(e.out, sent{to: to, rv: a, rvOK: f})
}

func (e *testEnv) SendAppendEntries(to int, a *raftapi.AppendEntriesArgs, f func(*raftapi.AppendEntriesReply)) {
	e.out = append(e.out, sent{to: to, ae: a, aeOK: f})
}

func (e *testEnv) SendInstallSnapshot(to int, a *raftapi.InstallSnapshotArgs, f func(*raftapi.InstallSnapshotReply)) {
	e.out = append(e.out, sent{to: to, is: a, isOK: f})
}
