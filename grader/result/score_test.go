package result_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/result/resulttest"
	"github.com/raftlab/raftlab/grader/rubric"
	"github.com/raftlab/raftlab/labs"
)

func scored(t *testing.T, name string) *result.Result {
	t.Helper()
	for _, c := range resulttest.Cases() {
		if c.Name == name {
			return result.Score(c.Outcome, resulttest.Rubric())
		}
	}
	t.Fatalf("no sample %q", name)
	return nil
}

func TestScoreTotals(t *testing.T) {
	tests := []struct {
		name                    string
		score, election, repl   float64
		electionV, replicationV result.StageVerdict
	}{
		{"full", 20, 12, 8, result.StageRan, result.StageRan},
		{"zero", 0, 0, 0, result.StageRan, result.StageRan},
		// election: rules 3/4 of 4 = 3, InitialElection 3, ReElection 17/22 of 3 = 2.32,
		// hidden 4/6 of 2 = 1.33; replication: rule 1 (1 of 2 per-rule points),
		// Backup 9/10 all-or-nothing = 0, hidden 2; lint 3 × 0.5 capped at 1.
		{"partial", 11.65, 9.65, 3, result.StageRan, result.StageRan},
		{"build-failed", 0, 0, 0, result.StageBuildFailed, result.StageBuildFailed},
		{"timeout", 12, 12, 0, result.StageRan, result.StageTimedOut},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := scored(t, tt.name)
			assert.Equal(t, result.Version, r.Version)
			assert.InDelta(t, 20, r.MaxScore, 1e-9)
			assert.InDelta(t, tt.score, r.Score, 1e-9)
			require.Len(t, r.Stages, 2)
			assert.InDelta(t, tt.election, r.Stages[0].Score, 1e-9)
			assert.InDelta(t, tt.repl, r.Stages[1].Score, 1e-9)
			assert.Equal(t, tt.electionV, r.Stages[0].Verdict)
			assert.Equal(t, tt.replicationV, r.Stages[1].Verdict)
			assert.Equal(t, resulttest.Rubric().Hash(), r.Rubric.Hash)
			assert.Equal(t, tt.score == 20, r.Passed())
		})
	}
}

func TestScoreDetails(t *testing.T) {
	r := scored(t, "partial")
	el := r.Stages[0]
	re := el.Scenarios[1]
	assert.Equal(t, "ReElection", re.Name)
	assert.Equal(t, result.Failed, re.Verdict)
	assert.Equal(t, result.Seeds{Run: 22, Passed: 17}, re.Seeds)
	require.NotNil(t, re.Failure)
	assert.Equal(t, "Election Safety", re.Failure.Rule)
	assert.Equal(t, "§5.2", re.Failure.Section)
	assert.Equal(t, uint64(7), re.Failure.Seed)
	assert.Equal(t, "go test ./assignments/raft -run '^TestElection$/^ReElection$' -seed=7", re.Failure.Replay)
	assert.Equal(t, "traces/TestElection-ReElection-seed7.json", re.Failure.TracePath)
	assert.Contains(t, re.Failure.OnReplay, "nondeterminism: replaying seed 7 passed")
	assert.True(t, el.Scenarios[2].Hidden)
	assert.Equal(t, "after_published", el.Scenarios[2].Visibility)

	rep := r.Stages[1]
	require.NotNil(t, rep.Rules)
	assert.True(t, rep.Rules.PerRule)
	assert.InDelta(t, 1, rep.Rules.Score, 1e-9)
	assert.InDelta(t, 2, rep.Rules.MaxScore, 1e-9)
	// The unscored rule test is listed, worth nothing.
	require.Len(t, rep.Rules.Tests, 3)
	assert.Equal(t, 0.0, rep.Rules.Tests[2].MaxScore)
	// All-or-nothing: 9 of 10 seeds earn nothing.
	assert.Equal(t, "Backup", rep.Scenarios[0].Name)
	assert.Equal(t, 0.0, rep.Scenarios[0].Score)
	assert.Equal(t, "all", rep.Scenarios[0].Partial)

	assert.Equal(t, "deduct", r.Lint.Policy)
	assert.Len(t, r.Lint.Findings, 3)
	assert.InDelta(t, 1, r.Lint.Deducted, 1e-9)
	assert.Contains(t, r.Lint.Effect, "cost 1 point")
	assert.Equal(t, []string{"ignored raft_test.go: a submission's own tests are not used"}, r.Notes)
	assert.Len(t, r.Isolation, 1)
}

func TestScoreStageNotRan(t *testing.T) {
	r := scored(t, "build-failed")
	for _, s := range r.Stages {
		assert.Equal(t, "raft.go:42:9: undefined: votedFor\nraft.go:57:2: missing return", s.Message)
		assert.Zero(t, s.Score)
		for _, sc := range s.Scenarios {
			assert.Equal(t, result.NotRun, sc.Verdict, sc.Name)
			assert.Positive(t, sc.MaxScore, "the lost points still show")
		}
		for _, rt := range s.Rules.Tests {
			assert.Equal(t, result.NotRun, rt.Verdict)
		}
	}
	// A stage the outcome lacks entirely.
	o := resulttest.Cases()[0].Outcome
	o.Stages = o.Stages[:1]
	r = result.Score(o, resulttest.Rubric())
	assert.Equal(t, result.StageNotRun, r.Stages[1].Verdict)
	assert.Equal(t, "the grader has no run of this stage", r.Stages[1].Message)
	assert.InDelta(t, 12, r.Score, 1e-9)
}

func TestScoreMissingAndUnscored(t *testing.T) {
	o := resulttest.Cases()[0].Outcome
	o.Stages[0].Scenarios = o.Stages[0].Scenarios[:1] // ReElection and the hidden one report nothing
	o.Stages[1].Rules = o.Stages[1].Rules[:1]         // Rule2 reports nothing
	o.Stages = append(o.Stages, result.StageOutcome{Stage: labs.Snapshots, Verdict: result.StageRan})
	r := result.Score(o, resulttest.Rubric())
	assert.Equal(t, result.Missing, r.Stages[0].Scenarios[1].Verdict)
	assert.Equal(t, result.Missing, r.Stages[0].Scenarios[2].Verdict)
	assert.Equal(t, result.Missing, r.Stages[1].Rules.Tests[1].Verdict)
	assert.InDelta(t, 20-3-2-1, r.Score, 1e-9)
	assert.Contains(t, r.Notes, "stage snapshots ran but the rubric does not score it")
}

func TestLintPolicies(t *testing.T) {
	o := resulttest.Cases()[0].Outcome // full marks
	o.Warnings = []result.Finding{{File: "raft.go", Line: 3, Rule: "goroutine"}, {File: "raft.go", Line: 9, Rule: "wall clock"}}
	for _, tt := range []struct {
		lint  string
		score float64
	}{
		{`policy = "warn"`, 20},
		{`policy = "deduct"` + "\ndeduct = 1.5", 17},
		{`policy = "deduct"` + "\ndeduct = 3\nmax_deduct = 4", 16},
		{`policy = "fail"`, 0},
	} {
		t.Run(tt.lint, func(t *testing.T) {
			text := strings.Replace(resulttest.RubricTOML, "policy = \"deduct\"\ndeduct = 0.5\nmax_deduct = 1", tt.lint, 1)
			rb, err := rubric.Parse([]byte(text))
			require.NoError(t, err)
			r := result.Score(o, rb)
			assert.InDelta(t, tt.score, r.Score, 1e-9)
			assert.NotEmpty(t, r.Lint.Effect)
			assert.Equal(t, tt.score == 0, r.Lint.Failed)
		})
	}
}

func TestFractionRounding(t *testing.T) {
	o := resulttest.Cases()[0].Outcome
	o.Stages[0].Scenarios[0].SeedsPassed = 1
	o.Stages[0].Scenarios[0].SeedsRun = 3 // 1/3 of 3 points = 1
	o.Stages[0].Scenarios[1].SeedsPassed = 2
	o.Stages[0].Scenarios[1].SeedsRun = 3 // 2/3 of 3 points = 2
	r := result.Score(o, resulttest.Rubric())
	assert.Equal(t, 1.0, r.Stages[0].Scenarios[0].Score)
	assert.Equal(t, 2.0, r.Stages[0].Scenarios[1].Score)
	assert.Equal(t, 17.0, r.Score)
}

func TestJSONRoundTrip(t *testing.T) {
	for _, c := range resulttest.Cases() {
		r := result.Score(c.Outcome, resulttest.Rubric())
		var buf bytes.Buffer
		require.NoError(t, r.WriteJSON(&buf))
		back, err := result.ReadJSON(&buf)
		require.NoError(t, err, c.Name)
		assert.Equal(t, r, back, c.Name)
	}
	path := t.TempDir() + "/out/r.json"
	r := scored(t, "partial")
	require.NoError(t, r.WriteFile(path))
	back, err := result.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, r, back)

	_, err = result.ReadJSON(strings.NewReader(`{"version": 2}`))
	require.ErrorContains(t, err, "version 2")
	_, err = result.ReadJSON(strings.NewReader(`{"version": 1, "scroe": 3}`))
	require.ErrorContains(t, err, "scroe")
}

func TestForStudents(t *testing.T) {
	r := scored(t, "partial")
	s := r.ForStudents()
	// The original is untouched.
	assert.Equal(t, "HiddenLockstepElections", r.Stages[0].Scenarios[2].Name)
	h := s.Stages[0].Scenarios[2]
	assert.Equal(t, "Held back #1", h.Name)
	assert.Nil(t, h.Failure)
	assert.Empty(t, h.Report)
	assert.Equal(t, r.Stages[0].Scenarios[2].Score, h.Score, "the score stays")
	assert.Equal(t, "Held back #2", s.Stages[1].Scenarios[1].Name)
	assert.Equal(t, r.Stages[0].Scenarios[1], s.Stages[0].Scenarios[1], "visible items are untouched")
	assert.Equal(t, r.Score, s.Score)
}

// The default rubric gives an outcome in which everything passed 100, and
// one in which nothing built 0.
func TestDefaultRubricExtremes(t *testing.T) {
	rb := rubric.Default()
	pass := &result.Outcome{Submission: "reference"}
	broken := &result.Outcome{Submission: "broken"}
	for _, st := range rb.Stages {
		so := result.StageOutcome{Stage: st.Stage, Verdict: result.StageRan, Rules: []result.TestOutcome{{Name: "r", Passed: true}}}
		for _, sc := range st.Scenarios {
			so.Scenarios = append(so.Scenarios, result.ScenarioOutcome{Name: sc.Name, Hidden: sc.Hidden, SeedsRun: 3, SeedsPassed: 3})
		}
		pass.Stages = append(pass.Stages, so)
		broken.Stages = append(broken.Stages, result.StageOutcome{Stage: st.Stage, Verdict: result.StageBuildFailed, Detail: "raft.go:1:1: expected 'package'"})
	}
	r := result.Score(pass, rb)
	assert.InDelta(t, 100, r.Score, 1e-9)
	assert.True(t, r.Passed())
	r = result.Score(broken, rb)
	assert.Zero(t, r.Score)
	assert.InDelta(t, 100, r.MaxScore, 1e-9)
}
