package simtest

import (
	"sync/atomic"

	"github.com/raftlab/raftlab/raftapi"
)

// Toy is a deliberately simple node whose behaviour each test scripts
// through hooks. It is not Raft: it exists to make the world's checkers
// fire on purpose and to observe the world's mechanics. Its fields are
// exported so that the hooks, written in other packages, can script it.
type Toy struct {
	Me, Peers int
	Env       raftapi.Env
	State     raftapi.NodeState // what Inspect and GetState report
	Terms     []int             // the log after the snapshot: a term per entry
	Cmds      [][]byte          // and a command per entry
	Ticks     int               // the Tick calls so far

	OnTick  func(t *Toy)
	OnRV    func(t *Toy, from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply)
	OnAE    func(t *Toy, from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply)
	OnSnap  func(t *Toy, index int, data []byte)
	OnStart func(t *Toy, cmd []byte) (int, int, bool)
}

// ToyFactory builds toys; setup scripts each one (it runs inside the
// factory, so it may use only Persister and Rand).
func ToyFactory(setup func(t *Toy)) raftapi.Factory {
	return func(me, peers int, env raftapi.Env) raftapi.Node {
		t := &Toy{Me: me, Peers: peers, Env: env}
		t.State.VotedFor = raftapi.None
		if setup != nil {
			setup(t)
		}
		return t
	}
}

// Pingers builds toys that each send one RequestVote to the next node
// every tick and count what arrives in received; the replies are counted
// in replies by the callbacks. It is traffic that is not Raft, to measure
// the network.
func Pingers(received, replies *atomic.Int64) raftapi.Factory {
	return ToyFactory(func(t *Toy) {
		t.OnTick = func(t *Toy) {
			t.Env.SendRequestVote((t.Me+1)%t.Peers, &raftapi.RequestVoteArgs{Term: t.Ticks}, func(*raftapi.RequestVoteReply) { replies.Add(1) })
		}
		t.OnRV = func(*Toy, int, *raftapi.RequestVoteArgs, *raftapi.RequestVoteReply) { received.Add(1) }
	})
}

// AppendLog adds (term, cmd) to the toy's log.
func (t *Toy) AppendLog(term int, cmd string) {
	t.Terms = append(t.Terms, term)
	t.Cmds = append(t.Cmds, []byte(cmd))
	t.State.LastIndex = t.State.SnapshotIndex + len(t.Terms)
	t.State.LastTerm = term
	t.State.Term = max(t.State.Term, term)
}

func (t *Toy) Tick() {
	t.Ticks++
	if t.OnTick != nil {
		t.OnTick(t)
	}
}

func (t *Toy) RequestVote(from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
	if t.OnRV != nil {
		t.OnRV(t, from, a, r)
	}
}

func (t *Toy) AppendEntries(from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply) {
	if t.OnAE != nil {
		t.OnAE(t, from, a, r)
	}
}

func (t *Toy) InstallSnapshot(int, *raftapi.InstallSnapshotArgs, *raftapi.InstallSnapshotReply) {}

func (t *Toy) Start(cmd []byte) (int, int, bool) {
	if t.OnStart != nil {
		return t.OnStart(t, cmd)
	}
	return 0, t.State.Term, false
}

func (t *Toy) GetState() (int, bool) { return t.State.Term, t.State.Role == raftapi.Leader }

func (t *Toy) Snapshot(index int, data []byte) {
	if t.OnSnap != nil {
		t.OnSnap(t, index, data)
	}
}

func (t *Toy) Inspect() raftapi.NodeState { return t.State }

func (t *Toy) InspectLog() raftapi.LogView {
	return raftapi.LogView{FirstIndex: t.State.SnapshotIndex + 1, Terms: t.Terms, Commands: t.Cmds}
}
