package hidden

import (
	"flag"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/raft"
)

// defaultRun is the -run pattern used when none is given: the hidden
// scenarios alone, without the stages' visible scenarios and rule-level
// tests, which RunStage also runs but which raft/labs_test.go already runs
// against the reference. It keeps this package's share of CI small. Give
// -run yourself to run anything else, e.g. the whole stage:
//
//	go test ./labs/hidden -run 'TestHiddenScenariosPassAgainstReference/election'
const defaultRun = "^(TestHiddenScenariosPassAgainstReference|TestScenariosAreWellFormed|TestHiddenRulesReportsAHang)$/./^Hidden"

func TestMain(m *testing.M) {
	flag.Parse()
	if f := flag.Lookup("test.run"); f != nil && f.Value.String() == "" {
		if err := flag.Set("test.run", defaultRun); err != nil {
			panic(err)
		}
	}
	os.Exit(m.Run())
}

// TestHiddenScenariosPassAgainstReference runs every stage the way the
// grader does, with the hidden scenarios added, against the reference: a
// correct implementation passes every hidden case.
func TestHiddenScenariosPassAgainstReference(t *testing.T) {
	ref := labs.Impl{Name: "reference", Factory: raft.New}
	for _, stage := range labs.Stages {
		t.Run(string(stage), func(t *testing.T) {
			labs.RunStage(t, stage, ref, labs.WithScenarios(Scenarios()...))
		})
	}
}

func TestScenariosAreWellFormed(t *testing.T) {
	all := Scenarios()
	visible := map[string]bool{}
	perStage := map[labs.Stage]int{}
	for _, stage := range labs.Stages {
		for _, sc := range labs.Suite(stage) {
			visible[sc.Name] = true
		}
	}
	seen := map[string]bool{}
	for _, sc := range all {
		t.Run(sc.Name, func(t *testing.T) {
			assert.True(t, sc.Hidden, "marked Hidden")
			assert.True(t, strings.HasPrefix(sc.Name, "Hidden"), "named Hidden…, so that -run '/^Hidden' selects the hidden cases")
			assert.NotContains(t, sc.Name, " ", "no spaces: the name is a subtest name")
			assert.False(t, visible[sc.Name], "not the name of a visible scenario")
			assert.False(t, seen[sc.Name], "unique")
			assert.Contains(t, labs.Stages, sc.Stage, "belongs to a stage (WithScenarios ignores the others)")
			assert.NotEmpty(t, sc.Paper, "cites the paper")
			assert.GreaterOrEqual(t, sc.Nodes, 3)
			assert.GreaterOrEqual(t, sc.Seeds, 1)
			require.NotNil(t, sc.Run)
		})
		seen[sc.Name] = true
		perStage[sc.Stage]++
	}
	for _, stage := range labs.Stages {
		assert.GreaterOrEqual(t, perStage[stage], 2, "stage %s has at least two hidden scenarios", stage)
	}
	assert.True(t, slices.IsSortedFunc(all, func(a, b labs.Scenario) int {
		return slices.Index(labs.Stages, a.Stage) - slices.Index(labs.Stages, b.Stage)
	}), "in stage order")
}
