package sim_test

import (
	"github.com/raftlab/raftlab/raftapi"
)

// toy is a deliberately simple node whose behaviour each test scripts
// through hooks. It is not Raft: it exists to make the world's checkers
// fire on purpose and to observe the world's mechanics.
type toy struct {
	me, peers int
	env       raftapi.Env
	st        raftapi.NodeState
	terms     []int
	cmds      [][]byte
	ticks     int

	onTick  func(t *toy)
	onRV    func(t *toy, from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply)
	onAE    func(t *toy, from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply)
	onSnap  func(t *toy, index int, data []byte)
	onStart func(t *toy, cmd []byte) (int, int, bool)
}

// toyFactory builds toys; setup scripts each one (it runs inside the
// factory, so it may use only Persister and Rand).
func toyFactory(setup func(t *toy)) raftapi.Factory {
	return func(me, peers int, env raftapi.Env) raftapi.Node {
		t := &toy{me: me, peers: peers, env: env}
		t.st.VotedFor = raftapi.None
		if setup != nil {
			setup(t)
		}
		return t
	}
}

// appendEntry adds (term, cmd) to the toy's log.
func (t *toy) appendEntry(term int, cmd string) {
	t.terms = append(t.terms, term)
	t.cmds = append(t.cmds, []byte(cmd))
	t.st.LastIndex = t.st.SnapshotIndex + len(t.terms)
	t.st.LastTerm = term
	t.st.Term = max(t.st.Term, term)
}

func (t *toy) Tick() {
	t.ticks++
	if t.onTick != nil {
		t.onTick(t)
	}
}

func (t *toy) RequestVote(from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
	if t.onRV != nil {
		t.onRV(t, from, a, r)
	}
}

func (t *toy) AppendEntries(from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply) {
	if t.onAE != nil {
		t.onAE(t, from, a, r)
	}
}

func (t *toy) InstallSnapshot(int, *raftapi.InstallSnapshotArgs, *raftapi.InstallSnapshotReply) {}

func (t *toy) Start(cmd []byte) (int, int, bool) {
	if t.onStart != nil {
		return t.onStart(t, cmd)
	}
	return 0, t.st.Term, false
}

func (t *toy) GetState() (int, bool) { return t.st.Term, t.st.Role == raftapi.Leader }

func (t *toy) Snapshot(index int, data []byte) {
	if t.onSnap != nil {
		t.onSnap(t, index, data)
	}
}

func (t *toy) Inspect() raftapi.NodeState { return t.st }

func (t *toy) InspectLog() raftapi.LogView {
	return raftapi.LogView{FirstIndex: t.st.SnapshotIndex + 1, Terms: t.terms, Commands: t.cmds}
}
