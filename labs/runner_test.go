package labs

import (
	"encoding/json"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/trace"
)

func TestSeedPlan(t *testing.T) {
	sc := Scenario{Name: "S", Seeds: 3}
	tests := []struct {
		name string
		plan SeedPlan
		sc   Scenario
		want []uint64
	}{
		{"the scenario's default", SeedPlan{}, sc, []uint64{1, 2, 3}},
		{"at least one seed", SeedPlan{}, Scenario{Name: "S"}, []uint64{1}},
		{"a count overrides the default", SeedPlan{Count: 5}, sc, []uint64{1, 2, 3, 4, 5}},
		{"a salt shifts every seed", SeedPlan{Salt: 1000}, sc, []uint64{1001, 1002, 1003}},
		{"a salt shifts a counted run", SeedPlan{Count: 2, Salt: 1 << 40}, sc, []uint64{1<<40 + 1, 1<<40 + 2}},
		{"one seed is exactly that seed", SeedPlan{Seed: 7}, sc, []uint64{7}},
		{"one seed ignores the count and the salt", SeedPlan{Seed: 7, Count: 9, Salt: 1000}, sc, []uint64{7}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			assert.Equal(t, tt.want, tt.plan.Seeds(tt.sc))
		})
	}
}

func TestSeedRange(t *testing.T) {
	assert.Equal(t, "7", SeedRange([]uint64{7}))
	assert.Equal(t, "1-50", SeedRange([]uint64{1, 2, 50}))
	assert.Empty(t, SeedRange(nil))
}

func TestScenariosAndFindScenario(t *testing.T) {
	hidden := Scenario{Name: "HiddenOne", Stage: Election, Hidden: true, Nodes: 3}
	other := Scenario{Name: "OtherStage", Stage: Replication, Nodes: 3}

	all := Scenarios(Election, hidden, other)
	visible := Suite(Election)
	require.Len(t, all, len(visible)+1, "the visible suite plus the stage's extra scenario, not the other stage's")
	assert.Equal(t, "HiddenOne", all[len(all)-1].Name, "extra scenarios come after the visible suite")
	for i, sc := range visible {
		assert.Equal(t, sc.Name, all[i].Name, "the visible suite keeps its order")
	}

	tests := []struct {
		name    string
		find    string
		wantErr bool
	}{
		{"a visible scenario", "InitialElection", false},
		{"an extra scenario", "HiddenOne", false},
		{"another stage's extra scenario", "OtherStage", true},
		{"no such scenario", "NoSuchScenario", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sc, err := FindScenario(Election, tt.find, hidden, other)
			if tt.wantErr {
				require.Error(t, err)
				assert.Contains(t, err.Error(), tt.find)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, tt.find, sc.Name)
			assert.Equal(t, Election, sc.Stage)
		})
	}
}

func TestReplayCommand(t *testing.T) {
	tests := []struct {
		pkg, test string
		seed      uint64
		want      string
	}{
		{"./raft", "TestElection/InitialElection", 7, `go test ./raft -run '^TestElection$/^InitialElection$' -seed=7`},
		{".", "TestX", 1, `go test . -run '^TestX$' -seed=1`},
		{"./labs", "TestA/B.c+d", 3, `go test ./labs -run '^TestA$/^B\.c\+d$' -seed=3`},
	}
	for _, tt := range tests {
		assert.Equal(t, tt.want, ReplayCommand(tt.pkg, tt.test, tt.seed))
	}
}

// twoLeaders is a node that believes it leads term 1 from its first
// tick, as every other node does: an Election Safety violation.
type twoLeaders struct {
	silent
	led bool
}

func (n *twoLeaders) Tick() { n.led = true }
func (n *twoLeaders) GetState() (int, bool) {
	if n.led {
		return 1, true
	}
	return 0, false
}

func (n *twoLeaders) Inspect() raftapi.NodeState {
	if n.led {
		return raftapi.NodeState{Term: 1, Role: raftapi.Leader, VotedFor: raftapi.None}
	}
	return raftapi.NodeState{VotedFor: raftapi.None}
}

// drifting is a node whose term moves at a tick that differs from one run
// to the next (the factory counts its runs): a nondeterministic
// implementation, as one reading the wall clock would be.
type drifting struct {
	silent
	at, ticks, term int
}

func (n *drifting) Tick() {
	n.ticks++
	if n.ticks%n.at == 0 {
		n.term++
	}
}
func (n *drifting) GetState() (int, bool) { return n.term, false }
func (n *drifting) Inspect() raftapi.NodeState {
	return raftapi.NodeState{Term: n.term, VotedFor: raftapi.None}
}

// blocking is a node whose first tick never returns (until the test ends).
type blocking struct {
	silent
	release <-chan struct{}
}

func (n blocking) Tick() { <-n.release }

func fixed(n raftapi.Node) raftapi.Factory {
	return func(int, int, raftapi.Env) raftapi.Node { return n }
}

func TestRunExecute(t *testing.T) {
	quiet := func(c *sim.Cluster) { c.RunFor(time.Second) }
	alwaysFails := func(c *sim.Cluster) {
		c.RunFor(time.Second)
		c.Failf(props.Agreement, "the scenario fails on purpose")
	}
	var runs atomic.Int64
	driftingFactory := func(me, _ int, _ raftapi.Env) raftapi.Node {
		if me == 0 {
			runs.Add(1)
		}
		return &drifting{at: 3 + int(runs.Load()%5)}
	}
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	initial, err := FindScenario(Election, "InitialElection")
	require.NoError(t, err)

	tests := []struct {
		name     string
		run      Run
		passed   bool
		kind     string // of the failure
		rule     string
		paper    string
		nodes    int    // how many nodes it names (which ones depends on the seed's tick order)
		besides  string // the kind of what the replay found
		hasTrace bool   // a trace was kept
		report   []string
	}{
		{
			name:     "a passing run keeps no trace by default",
			run:      Run{Impl: Impl{"silent", fixed(silent{})}, Scenario: Scenario{Name: "Quiet", Stage: Election, Nodes: 3, Run: quiet}, Seed: 4},
			passed:   true,
			hasTrace: false,
		},
		{
			name:     "a passing run keeps its trace when asked",
			run:      Run{Impl: Impl{"silent", fixed(silent{})}, Scenario: Scenario{Name: "Quiet", Stage: Election, Nodes: 3, Run: quiet}, Seed: 4, Trace: true},
			passed:   true,
			hasTrace: true,
		},
		{
			name:     "a liveness failure",
			run:      Run{Impl: Impl{"silent", fixed(silent{})}, Scenario: initial, Seed: 2, Name: "TestX/InitialElection", Replay: "go test ./labs -run X -seed=2"},
			kind:     sim.KindLiveness,
			rule:     "Leader election",
			paper:    "§5.2",
			hasTrace: true,
			report:   []string{"LIVENESS: Leader election", "scenario: TestX/InitialElection   implementation: silent   seed: 2", "replay:   go test ./labs -run X -seed=2"},
		},
		{
			name: "a safety failure names the nodes and the section",
			run: Run{Impl: Impl{"two leaders", func(int, int, raftapi.Env) raftapi.Node { return &twoLeaders{} }},
				Scenario: Scenario{Name: "TwoLeaders", Stage: Election, Hidden: true, Nodes: 3, Run: quiet}, Seed: 9},
			kind:     sim.KindSafety,
			rule:     "Election Safety",
			paper:    "§5.2",
			nodes:    2,
			hasTrace: true,
			report:   []string{"SAFETY: Election Safety (§5.2)"},
		},
		{
			name:     "a scenario's own finding",
			run:      Run{Impl: Impl{"silent", fixed(silent{})}, Scenario: Scenario{Name: "Fails", Stage: Replication, Nodes: 3, Run: alwaysFails}, Seed: 1},
			kind:     sim.KindScenario,
			rule:     props.Agreement.Name(),
			paper:    props.Agreement.Section(),
			hasTrace: true,
			report:   []string{"SCENARIO: " + props.Agreement.Cite(), "the scenario fails on purpose"},
		},
		{
			name:     "a nondeterministic implementation",
			run:      Run{Impl: Impl{"drifting", driftingFactory}, Scenario: Scenario{Name: "Fails", Stage: Election, Nodes: 3, Run: alwaysFails}, Seed: 5},
			kind:     sim.KindScenario,
			rule:     props.Agreement.Name(),
			paper:    props.Agreement.Section(),
			besides:  sim.KindNondeterminism,
			hasTrace: false,
			report:   []string{"SCENARIO: " + props.Agreement.Name(), "and besides:", "NONDETERMINISM: Determinism", "two runs of the same seed differ"},
		},
		{
			name: "a hang",
			run: Run{Impl: Impl{"blocking", fixed(blocking{release: release})},
				Scenario: Scenario{Name: "Hangs", Stage: Election, Nodes: 3, Run: quiet,
					Configure: func(cfg *sim.Config, _ uint64) { cfg.HangBound = 200 * time.Millisecond }}, Seed: 3},
			kind:     sim.KindHang,
			rule:     props.TurnsReturn.Name(),
			paper:    props.TurnsReturn.Section(),
			nodes:    1,
			hasTrace: false,
			report:   []string{"HANG: turns return", "(no trace: a run that hangs cannot be replayed safely)"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := tt.run.Execute()
			require.NotNil(t, res.Sim)
			assert.Equal(t, tt.run.Seed, res.Seed)
			assert.Equal(t, tt.run.Scenario.Name, res.Scenario)
			assert.Equal(t, tt.run.Scenario.Stage, res.Stage)
			assert.Equal(t, tt.hasTrace, res.Trace != nil, "whether a trace was kept")
			if tt.passed {
				require.True(t, res.Passed, "%v", res.Failure)
				assert.Nil(t, res.Failure)
			} else {
				require.False(t, res.Passed)
				f := res.Failure
				require.NotNil(t, f)
				assert.Equal(t, tt.kind, f.Kind)
				assert.Equal(t, tt.rule, f.Rule)
				assert.Equal(t, tt.paper, f.Paper)
				if assert.Len(t, f.Nodes, tt.nodes) && tt.nodes == 2 {
					assert.NotEqual(t, f.Nodes[0], f.Nodes[1])
				}
				assert.Equal(t, tt.run.Seed, f.Seed)
				assert.Equal(t, tt.run.Replay, f.Replay)
				assert.Equal(t, tt.run.Scenario.Stage, f.Stage)
				assert.Equal(t, tt.run.Scenario.Hidden, f.Hidden)
				assert.Equal(t, tt.run.Impl.Name, f.Implementation)
				if tt.besides == "" {
					assert.Nil(t, f.Besides)
				} else if assert.NotNil(t, f.Besides) {
					assert.Equal(t, tt.besides, f.Besides.Kind)
					assert.Equal(t, tt.run.Seed, f.Besides.Seed, "the replay's finding names the seed too")
				}
				for _, want := range tt.report {
					assert.Contains(t, f.Error(), want)
				}
			}

			dir := filepath.Join(t.TempDir(), "traces") // WriteTrace creates it
			path, err := res.WriteTrace(dir)
			if !tt.hasTrace {
				require.ErrorIs(t, err, ErrNoTrace)
				assert.Empty(t, res.TracePath)
				return
			}
			require.NoError(t, err)
			assert.Equal(t, path, res.TracePath)
			tr, err := trace.ReadFile(path)
			require.NoError(t, err, "the written trace decodes")
			assert.Equal(t, tt.run.Seed, tr.Header.Seed)
			assert.Equal(t, tt.run.Impl.Name, tr.Header.Implementation)
			assert.Equal(t, tt.passed, tr.Result.OK)
			if !tt.passed {
				require.NotNil(t, tr.Result.Failure)
				assert.Equal(t, tt.kind, tr.Result.Failure.Kind)
				assert.Equal(t, tt.rule, tr.Result.Failure.Rule)
				assert.Equal(t, path, res.Failure.TracePath)
				assert.Contains(t, res.Failure.Error(), "read it:  go run github.com/raftlab/raftlab/cmd/raftview --last 40 "+path)
			}
		})
	}
}

func TestWriteTraceNamesAndErrors(t *testing.T) {
	tr := &trace.Trace{Format: trace.Format, Version: trace.Version, States: []trace.State{}}
	dir := t.TempDir()
	path, err := WriteTrace(dir, "TestElection/Initial Election", 12, tr)
	require.NoError(t, err)
	assert.Equal(t, filepath.Join(dir, "TestElection_Initial_Election-seed12.json"), path)

	// A directory that cannot be created: a file is in the way.
	_, err = WriteTrace(filepath.Join(path, "sub"), "T", 1, tr)
	require.Error(t, err)
	res := &Result{Name: "T", Seed: 1, Trace: tr, Failure: &Failure{Failure: sim.Failure{Kind: sim.KindSafety, Rule: "R"}}}
	_, err = res.WriteTrace(filepath.Join(path, "sub"))
	require.Error(t, err)
	assert.Contains(t, res.Failure.Error(), "(the trace could not be written: ")
}

func TestFailureAttrsAndJSON(t *testing.T) {
	f := &Failure{
		Failure: sim.Failure{Kind: sim.KindSafety, Rule: "Log Matching", Paper: "§5.3", Message: "two logs differ\nbelow a match",
			Nodes: []int{0, 2}, Seed: 42, Replay: "go test ./raft -run '^TestReplication$/^X$' -seed=42",
			TracePath: "/tmp/x-seed42.json", Timeline: []string{"an event"}, States: []string{"a state"}},
		Stage:   Replication,
		Hidden:  true,
		Besides: &sim.Failure{Kind: sim.KindNondeterminism, Rule: "Determinism"},
	}
	got := map[string]string{}
	for _, a := range f.Attrs() {
		assert.NotContains(t, a.Value, "\n", "attribute %s must be one line", a.Key)
		got[a.Key] = a.Value
	}
	assert.Equal(t, "42", got[AttrFailedSeed])
	assert.Equal(t, sim.KindSafety, got[AttrFailureKind])
	assert.Equal(t, "Log Matching", got[AttrFailureRule])
	assert.Equal(t, "§5.3", got[AttrFailurePaper])
	assert.Equal(t, "0,2", got[AttrFailureNodes])
	assert.Equal(t, f.Replay, got[AttrReplay])
	assert.Equal(t, f.TracePath, got[AttrTracePath])
	assert.Equal(t, sim.KindNondeterminism, got[AttrReplayFailureKind])

	var fromAttr map[string]any
	require.NoError(t, json.Unmarshal([]byte(got[AttrFailure]), &fromAttr))
	assert.Equal(t, "Log Matching", fromAttr["rule"])
	assert.Equal(t, "two logs differ\nbelow a match", fromAttr["message"])
	assert.NotContains(t, fromAttr, "timeline", "the attribute leaves the timeline to the report")

	// The value itself serializes every field, flat.
	b, err := json.Marshal(f)
	require.NoError(t, err)
	var back Failure
	require.NoError(t, json.Unmarshal(b, &back))
	assert.Equal(t, *f, back)
	var flat map[string]any
	require.NoError(t, json.Unmarshal(b, &flat))
	for _, key := range []string{"kind", "rule", "paper", "message", "nodes", "seed", "replay", "trace_path", "stage", "hidden", "besides", "timeline", "states"} {
		assert.Contains(t, flat, key)
	}

	// Without a section, nodes, replay or trace, those attributes are absent.
	bare := &Failure{Failure: sim.Failure{Kind: sim.KindLiveness, Rule: "Leader election", Seed: 1}}
	keys := map[string]bool{}
	for _, a := range bare.Attrs() {
		keys[a.Key] = true
	}
	for _, k := range []string{AttrFailurePaper, AttrFailureNodes, AttrReplay, AttrTracePath, AttrReplayFailureKind} {
		assert.False(t, keys[k], "%s without a value", k)
	}
	assert.True(t, keys[AttrFailureKind] && keys[AttrFailureRule] && keys[AttrFailedSeed])
}
