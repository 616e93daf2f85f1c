package sandbox

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/labs"
)

// fullOptions grade every stage with every scenario, the hidden ones too,
// on one salted seed each.
func fullOptions(t *testing.T) Options {
	return Options{
		Hidden:       true,
		Salt:         1000,
		Seeds:        1,
		StageTimeout: 3 * time.Minute,
		TraceDir:     filepath.Join(t.TempDir(), "traces"),
	}
}

// The reference passes every rule and every seed of every stage, hidden
// scenarios included.
func TestGradeReference(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every stage")
	}
	start := time.Now()
	out, err := Grade(context.Background(), referenceSubmission(t), fullOptions(t))
	require.NoError(t, err)
	t.Logf("reference: every stage in %s", time.Since(start).Round(time.Millisecond))
	assert.Empty(t, out.Refusals)
	assert.Empty(t, out.Warnings)
	if os.Geteuid() == 0 {
		assert.Empty(t, out.Isolation, "as root, every isolation measure applies")
	}
	require.Len(t, out.Stages, len(labs.Stages))
	for _, st := range out.Stages {
		require.Equal(t, result.StageRan, st.Verdict, "%s: %s", st.Stage, st.Detail)
		assert.NotEmpty(t, st.Rules)
		for _, r := range st.Rules {
			assert.True(t, r.Passed, "%s/%s: %s", st.Stage, r.Name, r.Message)
		}
		hidden := 0
		for _, sc := range st.Scenarios {
			assert.Equal(t, sc.SeedsRun, sc.SeedsPassed, "%s/%s: %s", st.Stage, sc.Name, sc.Report)
			if sc.Hidden {
				hidden++
			}
		}
		assert.Positive(t, hidden, "%s ran no hidden scenario", st.Stage)
		t.Logf("%s: %d rules, %d scenarios (%d hidden), %d ms", st.Stage, len(st.Rules), len(st.Scenarios), hidden, st.WallMs)
	}
}

// The unfilled starter passes no seed of any stage, and its failures carry
// the rule, the seed and a replay command, with a trace copied out.
func TestGradeStarter(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs every stage")
	}
	opts := fullOptions(t)
	start := time.Now()
	out, err := Grade(context.Background(), filepath.Join("..", "..", "assignments", "raft"), opts)
	require.NoError(t, err)
	t.Logf("starter: every stage in %s", time.Since(start).Round(time.Millisecond))
	assert.Contains(t, out.Notes, "raft_test.go: a test file, ignored (the grader runs its own suites)")
	require.Len(t, out.Stages, len(labs.Stages))
	traces := 0
	for _, st := range out.Stages {
		require.Equal(t, result.StageRan, st.Verdict, "%s: %s", st.Stage, st.Detail)
		for _, sc := range st.Scenarios {
			assert.Zero(t, sc.SeedsPassed, "%s/%s passed a seed", st.Stage, sc.Name)
			require.NotNil(t, sc.Failure, "%s/%s", st.Stage, sc.Name)
			assert.NotEmpty(t, sc.Failure.Rule)
			assert.Contains(t, sc.Failure.Replay, "go test ./assignments/raft -run")
			assert.Contains(t, sc.Failure.Replay, "-seed=1001")
			if sc.Failure.TracePath != "" {
				traces++
				assert.FileExists(t, sc.Failure.TracePath)
				assert.Contains(t, sc.Failure.TracePath, filepath.Join(opts.TraceDir, string(st.Stage)))
			}
		}
		failed := 0
		for _, r := range st.Rules {
			if !r.Passed {
				failed++
				assert.NotEmpty(t, r.Message)
			}
		}
		assert.Positive(t, failed, "%s: the starter failed no rule", st.Stage)
	}
	assert.Positive(t, traces, "no failing run's trace was copied out")
}
