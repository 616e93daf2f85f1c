//go:build raftlab_e2e

package fixturegen

import (
	"flag"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/trace"
	"github.com/raftlab/raftlab/web/e2e/brokenraft"
)

var update = flag.Bool("update", false, "rewrite the fixture trace")

const fixture = "../fixtures/failing-one-vote.json"

// failingRun finds the first seed of the election stage's scenarios for
// which the broken Raft breaks Election Safety.
func failingRun(t *testing.T) *labs.Result {
	t.Helper()
	for _, sc := range labs.Scenarios(labs.Election) {
		for seed := uint64(1); seed <= 20; seed++ {
			res := labs.Run{Impl: labs.Impl{Name: "web/e2e/fixturegen (votes twice)", Factory: brokenraft.New}, Scenario: sc, Seed: seed}.Execute()
			if res.Failure != nil && res.Failure.Kind == "safety" && res.Trace != nil {
				return res
			}
		}
	}
	t.Fatal("no election scenario and seed made the broken Raft break a safety rule")
	return nil
}

func TestFailingTraceFixture(t *testing.T) {
	if *update {
		res := failingRun(t)
		dir := t.TempDir()
		path, err := res.WriteTrace(dir)
		require.NoError(t, err)
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(fixture, b, 0o644))
		t.Logf("wrote %s: %s seed %d broke %s", filepath.Clean(fixture), res.Scenario, res.Seed, res.Failure.Rule)
	}
	tr, err := trace.ReadFile(fixture)
	require.NoError(t, err, "the fixture must be a trace of the current format: regenerate it with -update")
	require.False(t, tr.Result.OK)
	require.NotNil(t, tr.Result.Failure)
	require.Equal(t, "safety", tr.Result.Failure.Kind)
	require.Equal(t, "One vote per term", tr.Result.Failure.Rule)
	require.NotEmpty(t, tr.Result.Failure.Paper)
}
