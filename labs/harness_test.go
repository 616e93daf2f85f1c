package labs

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// silent is a node that never does anything: every election scenario must
// fail against it, with a liveness report.
type silent struct{}

func (silent) Tick()                                                                      {}
func (silent) RequestVote(int, *raftapi.RequestVoteArgs, *raftapi.RequestVoteReply)       {}
func (silent) AppendEntries(int, *raftapi.AppendEntriesArgs, *raftapi.AppendEntriesReply) {}
func (silent) InstallSnapshot(int, *raftapi.InstallSnapshotArgs, *raftapi.InstallSnapshotReply) {
}
func (silent) Start([]byte) (int, int, bool) { return -1, 0, false }
func (silent) GetState() (int, bool)         { return 0, false }
func (silent) Snapshot(int, []byte)          {}
func (silent) Inspect() raftapi.NodeState    { return raftapi.NodeState{VotedFor: raftapi.None} }
func (silent) InspectLog() raftapi.LogView   { return raftapi.LogView{FirstIndex: 1} }

// skipWithoutSubprocesses skips tests that run the test binary again: js/wasm
// has no processes to start.
func skipWithoutSubprocesses(t *testing.T) {
	if runtime.GOOS == "js" || runtime.GOOS == "wasip1" {
		t.Skip("needs to start a child process, which " + runtime.GOOS + " cannot")
	}
}

// TestHelperSilentElection is run by TestFailureReportAndTrace in a child
// process, so that its failure is observed rather than suffered.
func TestHelperSilentElection(t *testing.T) {
	if os.Getenv("RAFTLAB_HELPER") != "silent" {
		t.Skip("run by TestFailureReportAndTrace")
	}
	RunStage(t, Election, Impl{Name: "silent", Factory: func(int, int, raftapi.Env) raftapi.Node { return silent{} }})
}

func TestFailureReportAndTrace(t *testing.T) {
	skipWithoutSubprocesses(t)
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperSilentElection$/^InitialElection$", "-test.v", "-seeds=3", "-tracedir="+dir)
	cmd.Env = append(os.Environ(), "RAFTLAB_HELPER=silent")
	out, err := cmd.CombinedOutput()
	require.Error(t, err, "the silent implementation must fail:\n%s", out)
	report := string(out)
	for _, want := range []string{
		"LIVENESS: Leader election",
		"expected a leader within 5s of simulated time",
		"scenario: TestHelperSilentElection/InitialElection   implementation: silent   seed: 1",
		"replay:   go test ./labs -run '^TestHelperSilentElection$/^InitialElection$' -seed=1",
		"nodes at the failure:",
		"trace:    " + filepath.Join(dir, "TestHelperSilentElection_InitialElection-seed1.json"),
	} {
		assert.Contains(t, report, want)
	}
	// The same failure as t.Attr records, which go test -json turns into
	// attr events and -v prints as "=== ATTR  test key value".
	const test = "TestHelperSilentElection/InitialElection"
	tracePath := filepath.Join(dir, "TestHelperSilentElection_InitialElection-seed1.json")
	for _, a := range []Attr{
		{AttrScenario, "InitialElection"},
		{AttrSeeds, "1-3"},
		{AttrFailedSeed, "1"},
		{AttrFailureKind, sim.KindLiveness},
		{AttrFailureRule, "Leader election"},
		{AttrReplay, "go test ./labs -run '^TestHelperSilentElection$/^InitialElection$' -seed=1"},
		{AttrTracePath, tracePath},
	} {
		assert.Contains(t, report, "=== ATTR  "+test+" "+a.Key+" "+a.Value+"\n")
	}
	assert.Contains(t, report, "=== ATTR  TestHelperSilentElection "+AttrStage+" election\n")
	assert.Contains(t, report, "=== ATTR  TestHelperSilentElection "+AttrImplementation+" silent\n")
	m := regexp.MustCompile(`(?m)^=== ATTR  ` + regexp.QuoteMeta(test) + ` ` + AttrFailure + ` (.*)$`).FindStringSubmatch(report)
	if assert.NotNil(t, m, "the failure as JSON") {
		var f Failure
		require.NoError(t, json.Unmarshal([]byte(m[1]), &f))
		assert.Equal(t, sim.KindLiveness, f.Kind)
		assert.Equal(t, uint64(1), f.Seed)
		assert.Equal(t, Election, f.Stage)
		assert.Equal(t, tracePath, f.TracePath)
	}
	assert.Contains(t, report, AttrFailurePaper+" §5.2", "the liveness failure cites its section")
	assert.FileExists(t, filepath.Join(dir, "TestHelperSilentElection_InitialElection-seed1.json"))
	assert.NotRegexp(t, regexp.MustCompile(`goroutine \d+ \[`), report, "no Go stack dumps")
}

func TestRuleStage(t *testing.T) {
	for _, tc := range []struct {
		rule  string
		stage Stage // "" if no stage owns it
	}{
		{"Leader election", Election},
		{"Heartbeats prevent elections", Election},
		{"A majority of votes elects a leader", Election},
		{"AppendEntries consistency check", Replication},
		{"A leader commits only entries of its current term by counting replicas", Replication},
		{"Persist before replying", Persistence},
		{"A stale InstallSnapshot changes nothing", Snapshots},
		{"Election Safety", ""},      // a persistence bug breaks it too
		{"State Machine Safety", ""}, // so does any stage's
		{"panic", ""},
		{"no such rule", ""},
	} {
		got, ok := RuleStage(tc.rule)
		assert.Equal(t, tc.stage != "", ok, tc.rule)
		assert.Equal(t, tc.stage, got, tc.rule)
	}
}

// TestFixFirst: a later stage that fails under an earlier stage's rule says
// which stage to fix first, in the report and as an attribute; a failure
// under the stage's own rule does not.
func TestFixFirst(t *testing.T) {
	silentImpl := Impl{Name: "silent", Factory: func(int, int, raftapi.Env) raftapi.Node { return silent{} }}
	for _, tc := range []struct {
		stage Stage
		first Stage
	}{{Replication, Election}, {Persistence, Election}, {Snapshots, Election}, {Election, ""}} {
		sc, err := FindScenario(tc.stage, "Swarm") // it waits for a first leader before anything else
		require.NoError(t, err)
		res := Run{Impl: silentImpl, Scenario: sc, Seed: 1, Replay: "go test ./assignments/raft -run 'x' -seed=1"}.Execute()
		require.NotNil(t, res.Failure, "%s/%s", tc.stage, sc.Name)
		require.Equal(t, "Leader election", res.Failure.Rule)
		assert.Equal(t, tc.first, res.Failure.FixFirst, "%s", tc.stage)
		report := res.Failure.Error()
		if tc.first == "" {
			assert.NotContains(t, report, "stage first")
			assert.NotContains(t, res.Failure.Attrs(), Attr{AttrFixFirst, ""})
			continue
		}
		assert.Contains(t, report, `"Leader election" is a rule of the election stage. If that stage fails too (go test ./assignments/raft -run Election), fix the election stage first`)
		assert.Contains(t, res.Failure.Attrs(), Attr{AttrFixFirst, "election"})
	}
}
