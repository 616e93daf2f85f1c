package sandbox

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

// idle is a node that does nothing but, if lie is set, claim to lead term
// 1 after ten ticks: enough to test the sandbox's mechanics without a working Raft (the
// handout has none; tests with the reference are in
// sandbox_reference_test.go).
type idle struct {
	me    int
	lie   bool
	ticks int
}

func (n *idle) Tick()                                                                      { n.ticks++ }
func (n *idle) RequestVote(int, *raftapi.RequestVoteArgs, *raftapi.RequestVoteReply)       {}
func (n *idle) AppendEntries(int, *raftapi.AppendEntriesArgs, *raftapi.AppendEntriesReply) {}
func (n *idle) InstallSnapshot(int, *raftapi.InstallSnapshotArgs, *raftapi.InstallSnapshotReply) {
}
func (n *idle) Start([]byte) (int, int, bool) { return 0, 0, false }
func (n *idle) GetState() (int, bool)         { return 0, false }
func (n *idle) Snapshot(int, []byte)          {}
func (n *idle) Inspect() raftapi.NodeState {
	st := raftapi.NodeState{VotedFor: raftapi.None}
	if n.lie && n.ticks > 10 {
		st.Role, st.Term = raftapi.Leader, 1
	}
	return st
}
func (n *idle) InspectLog() raftapi.LogView { return raftapi.LogView{FirstIndex: 1} }

func idleImpl(lie bool) Impl {
	return Impl{Name: "idle", Factory: func(me, _ int, _ raftapi.Env) raftapi.Node { return &idle{me: me, lie: lie} }}
}

// call runs an API function and decodes its result into a map, failing
// the test on an error result unless wantErr.
func call(t *testing.T, api *API, name, arg string) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal([]byte(api.Call(name, arg)), &m), "%s(%s) returned invalid JSON", name, arg)
	return m
}

func TestAPIRefusesBadInput(t *testing.T) {
	api := NewAPI(idleImpl(false))
	tests := []struct {
		name, fn, arg, want string
	}{
		{"no world yet", "advance", `{"events":1}`, "no world yet"},
		{"too few nodes", "newWorld", `{"nodes":2}`, "nodes must be 3 to 7"},
		{"too many nodes", "newWorld", `{"nodes":8}`, "nodes must be 3 to 7"},
		{"drop above 1", "newWorld", `{"nodes":3,"drop":1.5}`, "drop must be in [0, 1]"},
		{"delays reversed", "newWorld", `{"nodes":3,"delay_min_ms":9,"delay_max_ms":2}`, "delays must satisfy"},
		{"misspelt field", "newWorld", `{"nodes":3,"sed":4}`, `unknown field "sed"`},
		{"not JSON", "newWorld", `{nodes:3`, "bad argument"},
		{"options the impl lacks", "newWorld", `{"nodes":3,"prevote":true}`, "no PreVote or CheckQuorum option"},
		{"unknown function", "nope", ``, `no function "nope"`},
		{"scenario unknown", "runScenario", `{"stage":"election","name":"Nope","seed":1}`, `no scenario named "Nope"`},
		{"trace not JSON", "loadTrace", `hello`, "loadTrace"},
		{"trace v1", "loadTrace", `{"format":"raftlab-trace","version":1}`, "version"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := call(t, api, tt.fn, tt.arg)
			require.Contains(t, m, "error")
			assert.Contains(t, m["error"], tt.want)
		})
	}
}

func TestActRefusesBadActions(t *testing.T) {
	api := NewAPI(idleImpl(false))
	require.NotContains(t, call(t, api, "newWorld", `{"nodes":3,"seed":1}`), "error")
	tests := []struct{ arg, want string }{
		{`{"type":"crash"}`, "crash needs node"},
		{`{"type":"crash","node":3}`, "not a node of this 3-node cluster"},
		{`{"type":"cut","from":1,"to":1}`, "same node"},
		{`{"type":"partition","groups":[[0,1],[1,2]]}`, "node 1 is in two groups"},
		{`{"type":"partition"}`, "partition needs groups"},
		{`{"type":"network","drop":0.1}`, "network needs drop, dup"},
		{`{"type":"explode"}`, `unknown action type "explode"`},
		{`{"type":"restart","node":0}`, "node 0 is up"},
		{`{"type":"resume","node":0}`, "not paused"},
		{`{"type":"propose"}`, "propose needs a command"},
	}
	for _, tt := range tests {
		t.Run(tt.arg, func(t *testing.T) {
			m := call(t, api, "act", tt.arg)
			require.Contains(t, m, "error")
			assert.Contains(t, m["error"], tt.want)
		})
	}
	st := call(t, api, "state", "")
	assert.Empty(t, st["actions"], "a refused action is not recorded")
}

func TestAdvanceIsBoundedAndTimed(t *testing.T) {
	w, err := NewWorld(idleImpl(false), Config{Nodes: 3, Seed: 1})
	require.NoError(t, err)
	defer w.Close()

	n := int64(MaxEventsPerAdvance + 5)
	require.NoError(t, w.Advance(Advance{Events: &n}))
	st := w.State()
	assert.True(t, st.Truncated, "an advance past the bound says so")
	assert.Equal(t, int64(MaxEventsPerAdvance), st.Events)

	one := int64(1)
	require.NoError(t, w.Advance(Advance{Events: &one}))
	st = w.State()
	assert.False(t, st.Truncated)
	assert.Equal(t, int64(MaxEventsPerAdvance+1), st.Events)

	until := st.NowUs + 1_000_000
	require.NoError(t, w.Advance(Advance{UntilUs: &until}))
	assert.Equal(t, until, w.State().NowUs)
	d := int64(250_000)
	require.NoError(t, w.Advance(Advance{ForUs: &d}))
	assert.Equal(t, until+d, w.State().NowUs)

	require.Error(t, w.Advance(Advance{}), "advance needs one of its fields")
	require.Error(t, w.Advance(Advance{Events: &one, ForUs: &d}))
}

func TestAViolationStopsTheWorld(t *testing.T) {
	api := NewAPI(idleImpl(true)) // every node claims to lead term 1
	st := call(t, api, "newWorld", `{"nodes":3,"seed":1}`)
	require.NotContains(t, st, "error")
	st = call(t, api, "advance", `{"for_us":1000000}`)
	require.NotContains(t, st, "error")
	f, ok := st["failure"].(map[string]any)
	require.True(t, ok, "two leaders of term 1 must fail the run: %v", st["failure"])
	assert.Equal(t, "Election Safety", f["rule"])
	assert.Equal(t, "§5.2", f["paper"])
	assert.Equal(t, true, st["stopped"])

	again := call(t, api, "advance", `{"for_us":1000000}`)
	assert.Equal(t, st["now_us"], again["now_us"], "a stopped world does not move")
	assert.Equal(t, st["hash"], again["hash"])
	m := call(t, api, "act", `{"type":"crash","node":0}`)
	assert.Contains(t, m["error"], "stopped at a failure")
}

func TestErrorsAreJSONNeverPanics(t *testing.T) {
	api := NewAPI(Impl{Name: "broken", Factory: func(int, int, raftapi.Env) raftapi.Node { panic("boom") }})
	st := call(t, api, "newWorld", `{"nodes":3,"seed":1}`)
	require.NotContains(t, st, "error", "a node that panics fails the world, not the call")
	f, ok := st["failure"].(map[string]any)
	require.True(t, ok)
	assert.True(t, strings.Contains(f["message"].(string), "boom"), "the failure names the panic: %v", f["message"])
}

func bytesReader(b []byte) *strings.Reader { return strings.NewReader(string(b)) }

// TestStateJSONMatchesEncodingJSON: the hand-written encoder of the state
// writes what encoding/json writes, on a state with every part filled.
func TestStateJSONMatchesEncodingJSON(t *testing.T) {
	w, err := NewWorld(idleImpl(false), Config{Nodes: 3, Seed: 1, Drop: 0.1})
	require.NoError(t, err)
	defer w.Close()
	require.NoError(t, w.Advance(Advance{ForUs: ptrTo(int64(100_000))}))
	_, err = w.Act(Action{Type: "partition", Groups: [][]int{{0}, {1, 2}}})
	require.NoError(t, err)
	st := w.State()
	st.Nodes[0].Log = [][2]int{{1, 1}, {2, 3}}
	st.Nodes[0].Next, st.Nodes[0].Match = []int{3, 3, 2}, []int{2, 2, 1}
	st.InFlight = append(st.InFlight, Flight{Kind: "AppendEntries", From: 0, To: 1, SentUs: -1, ArriveUs: 7, Summary: `a "quoted" summary`})
	st.Outcome = &Outcome{Type: "propose", Node: -1, Message: "none"}
	st.Failure = &FailureView{Kind: "safety", Rule: "Log Matching", Nodes: []int{0, 1}, Terms: []int{}, Indexes: []int{4}}
	require.NotEmpty(t, st.Recent)

	want, err := json.Marshal(st)
	require.NoError(t, err)
	got, err := st.appendJSON(nil)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(got))
	assert.Equal(t, string(want), string(got), "even the key order")
}

func ptrTo[T any](v T) *T { return &v }
