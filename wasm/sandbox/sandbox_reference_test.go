package sandbox

import (
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/trace"
)

func reference() Impl {
	return Impl{Name: "reference", Factory: raft.New, WithOptions: func(pv, cq bool) raftapi.Factory {
		return raft.NewFactory(raft.Options{PreVote: pv, CheckQuorum: cq})
	}}
}

func newWorld(t *testing.T, cfg Config) *World {
	t.Helper()
	w, err := NewWorld(reference(), cfg)
	require.NoError(t, err)
	t.Cleanup(w.Close)
	return w
}

func runFor(t *testing.T, w *World, us int64) *State {
	t.Helper()
	require.NoError(t, w.Advance(Advance{ForUs: &us}))
	return w.State()
}

func act(t *testing.T, w *World, a Action) *Outcome {
	t.Helper()
	out, err := w.Act(a)
	require.NoError(t, err)
	return out
}

func leaders(st *State) []int {
	var ls []int
	for _, n := range st.Nodes {
		if n.Up && !n.Paused && n.Role == "leader" {
			ls = append(ls, n.ID)
		}
	}
	return ls
}

// leaderOf returns the leader among nodes with the highest term, or -1.
func leaderOf(st *State, among ...int) int {
	best, bestTerm := -1, -1
	for _, i := range among {
		n := st.Nodes[i]
		if n.Up && n.Role == "leader" && n.Term > bestTerm {
			best, bestTerm = i, n.Term
		}
	}
	return best
}

func ptr[T any](v T) *T { return &v }

func TestAWorldElectsALeader(t *testing.T) {
	for _, cfg := range []Config{
		{Nodes: 3, Seed: 1},
		{Nodes: 5, Seed: 2, PreVote: true, CheckQuorum: true},
		{Nodes: 7, Seed: 3, Drop: 0.1, Dup: 0.05, DelayMinMs: 1, DelayMaxMs: 20},
	} {
		t.Run(fmt.Sprintf("%d-nodes-seed%d", cfg.Nodes, cfg.Seed), func(t *testing.T) {
			st := runFor(t, newWorld(t, cfg), 3_000_000)
			assert.Nil(t, st.Failure)
			assert.Len(t, leaders(st), 1, "one leader after 3 simulated seconds")
			assert.Equal(t, int64(3_000_000), st.NowUs)
			assert.NotEmpty(t, st.Recent)
			assert.LessOrEqual(t, len(st.Recent), 200)
			l := leaders(st)[0]
			assert.Len(t, st.Nodes[l].Next, cfg.Nodes, "a leader shows nextIndex")
			assert.Len(t, st.Nodes[l].Match, cfg.Nodes)
		})
	}
}

func TestCrashingTheLeaderElectsAnother(t *testing.T) {
	w := newWorld(t, Config{Nodes: 5, Seed: 4})
	st := runFor(t, w, 3_000_000)
	old := leaderOf(st, 0, 1, 2, 3, 4)
	require.GreaterOrEqual(t, old, 0)
	act(t, w, Action{Type: "crash", Node: &old})
	st = runFor(t, w, 3_000_000)
	assert.False(t, st.Nodes[old].Up)
	ls := leaders(st)
	require.Len(t, ls, 1)
	assert.NotEqual(t, old, ls[0])
	assert.Greater(t, st.Nodes[ls[0]].Term, 1)
}

func TestAnIsolatedMinorityHasNoLeader(t *testing.T) {
	w := newWorld(t, Config{Nodes: 5, Seed: 5, PreVote: true, CheckQuorum: true})
	st := runFor(t, w, 3_000_000)
	l := leaderOf(st, 0, 1, 2, 3, 4)
	require.GreaterOrEqual(t, l, 0)
	other := (l + 1) % 5
	var rest []int
	for i := range 5 {
		if i != l && i != other {
			rest = append(rest, i)
		}
	}
	act(t, w, Action{Type: "partition", Groups: [][]int{{l, other}, rest}})
	st = runFor(t, w, 3_000_000)
	assert.Equal(t, -1, leaderOf(st, l, other), "CheckQuorum: the old leader steps down in the minority")
	assert.GreaterOrEqual(t, leaderOf(st, rest...), 0, "the majority elects a leader")
}

func TestAProposalCommitsOnEveryLiveNode(t *testing.T) {
	w := newWorld(t, Config{Nodes: 3, Seed: 6})
	out := act(t, w, Action{Type: "propose", Command: ptr("too early")})
	assert.False(t, out.Accepted, "no leader at time 0")
	assert.Equal(t, -1, out.Node)
	runFor(t, w, 3_000_000)
	out = act(t, w, Action{Type: "propose", Command: ptr("x=1")})
	require.True(t, out.Accepted, out.Message)
	st := runFor(t, w, 1_000_000)
	for _, n := range st.Nodes {
		assert.GreaterOrEqual(t, n.Commit, out.Index, "node %d", n.ID)
		assert.GreaterOrEqual(t, n.Applied, out.Index, "node %d", n.ID)
		require.NotEmpty(t, n.Log)
		assert.Equal(t, [2]int{out.Index, out.Term}, n.Log[len(n.Log)-1])
	}
}

func TestSnapshotsShowInTheState(t *testing.T) {
	w := newWorld(t, Config{Nodes: 3, Seed: 7, SnapshotEvery: 5})
	runFor(t, w, 3_000_000)
	for i := range 12 {
		out := act(t, w, Action{Type: "propose", Command: ptr(fmt.Sprint("c", i))})
		require.True(t, out.Accepted)
		runFor(t, w, 100_000)
	}
	st := runFor(t, w, 1_000_000)
	for _, n := range st.Nodes {
		assert.GreaterOrEqual(t, n.SnapshotIndex, 10, "node %d", n.ID)
		assert.Equal(t, n.SnapshotIndex+1, n.LogFrom, "the log starts after the snapshot")
	}
}

// TestReplayingActionsReproducesTheRun is time travel and shared links: a
// world re-created from its config and recorded actions reaches the same
// state, and acting at the same point of an earlier run gives the same
// run.
func TestReplayingActionsReproducesTheRun(t *testing.T) {
	cfg := Config{Nodes: 5, Seed: 8, Drop: 0.05, DelayMinMs: 1, DelayMaxMs: 10}
	w := newWorld(t, cfg)
	runFor(t, w, 2_000_000)
	act(t, w, Action{Type: "pause", Node: ptr(1)})
	require.NoError(t, w.Advance(Advance{Events: ptr(int64(37))})) // mid-time: between events of one instant
	act(t, w, Action{Type: "crash", Node: ptr(2)})
	act(t, w, Action{Type: "cut", From: ptr(3), To: ptr(4)})
	runFor(t, w, 500_000)
	act(t, w, Action{Type: "propose", Command: ptr("hello")})
	act(t, w, Action{Type: "network", Drop: ptr(0.2), Dup: ptr(0.1), DelayMinMs: ptr(2.0), DelayMaxMs: ptr(30.0)})
	runFor(t, w, 700_000)
	act(t, w, Action{Type: "resume", Node: ptr(1)})
	act(t, w, Action{Type: "restart", Node: ptr(2)})
	act(t, w, Action{Type: "heal"})
	want := runFor(t, w, 1_000_000)
	require.Nil(t, want.Failure)
	require.Len(t, want.Actions, 8)

	// Through JSON, as a link carries it.
	b, err := json.Marshal(w.Config())
	require.NoError(t, err)
	var again Config
	require.NoError(t, json.Unmarshal(b, &again))
	w2 := newWorld(t, again)
	got := w2.State()
	assert.Less(t, got.NowUs, want.NowUs, "re-creating replays the actions, not the time after them")
	until := want.NowUs
	require.NoError(t, w2.Advance(Advance{UntilUs: &until}))
	got = w2.State()
	assert.Equal(t, want.Hash, got.Hash)
	assert.Equal(t, want.Events, got.Events)
	assert.Equal(t, want.Nodes, got.Nodes)
	assert.Equal(t, want.Actions, got.Actions)

	// A different seed gives a different run. Its events differ, so the
	// actions keep only their times.
	other := again
	other.Seed++
	other.Actions = nil
	for _, a := range again.Actions {
		a.AtEvents = nil
		other.Actions = append(other.Actions, a)
	}
	w3 := newWorld(t, other)
	require.NoError(t, w3.Advance(Advance{UntilUs: &until}))
	assert.NotEqual(t, want.Hash, w3.State().Hash)
}

func TestReplayRefusesActionsOutOfOrder(t *testing.T) {
	cfg := Config{Nodes: 3, Seed: 1, Actions: []Action{
		{AtUs: 2_000_000, Type: "crash", Node: ptr(0)},
		{AtUs: 1_000_000, Type: "restart", Node: ptr(0)},
	}}
	_, err := NewWorld(reference(), cfg)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "out of order")
}

func TestScenariosRunAndTheirTracesLoad(t *testing.T) {
	api := NewAPI(reference())
	var list []ScenarioInfo
	require.NoError(t, json.Unmarshal([]byte(api.Call("scenarios", "")), &list))
	stages := map[string]int{}
	for _, s := range list {
		stages[s.Stage]++
		assert.NotEmpty(t, s.Name)
		assert.GreaterOrEqual(t, s.Nodes, 1)
	}
	assert.Len(t, stages, 4, "every stage has scenarios: %v", stages)

	var res struct {
		OK      bool            `json:"ok"`
		Failure *FailureView    `json:"failure"`
		Trace   json.RawMessage `json:"trace"`
	}
	out := api.Call("runScenario", fmt.Sprintf(`{"stage":%q,"name":%q,"seed":3}`, list[0].Stage, list[0].Name))
	require.NoError(t, json.Unmarshal([]byte(out), &res), out)
	assert.True(t, res.OK)
	assert.Nil(t, res.Failure)
	tr, err := trace.Decode(bytesReader(res.Trace))
	require.NoError(t, err, "the trace decodes")
	assert.Equal(t, list[0].Name, tr.Header.Scenario)
	assert.Equal(t, uint64(3), tr.Header.Seed)

	var sum TraceSummary
	require.NoError(t, json.Unmarshal([]byte(api.Call("loadTrace", string(res.Trace))), &sum))
	assert.True(t, sum.OK)
	assert.Equal(t, len(tr.Events), sum.Events)
	assert.Positive(t, sum.Events)
}
