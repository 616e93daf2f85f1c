package main

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
)

// quickRubric scores every stage on one seed per scenario (so these tests
// take seconds, not minutes), with a hidden scenario and a hidden seed so
// that both of the grader's passes (public seeds, salted seeds) run.
const quickRubric = `version = 1
title = "quick"
hidden_salt = 918273645501
partial = "fraction"
time_limit = "3m"

[stages.election.rules]
points = 2
[stages.election.scenarios]
InitialElection = { points = 2, seeds = 1 }
ReElection = { points = 2, seeds = 1, hidden_seeds = 1 }
HiddenMinorityNeverElects = { points = 1, seeds = 1 }

[stages.replication.rules]
points = 2
[stages.replication.scenarios]
BasicAgreement = { points = 2, seeds = 1 }
FailAgree = { points = 1, seeds = 1 }

[stages.persistence.rules]
points = 2
[stages.persistence.scenarios]
Persist1 = { points = 2, seeds = 1 }

[stages.snapshots.rules]
points = 2
[stages.snapshots.scenarios]
SnapshotBasic = { points = 2, seeds = 1 }
`

func writeRubric(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "rubric.toml")
	require.NoError(t, os.WriteFile(p, []byte(text), 0o600))
	return p
}

// gradeCmd runs grader grade in a GitHub Actions-like environment and
// returns the result it wrote.
func gradeCmd(t *testing.T, path string) (out string, dir string, r *result.Result, summary, ghOutput string) {
	t.Helper()
	if testing.Short() {
		t.Skip("builds and runs a submission")
	}
	tmp := t.TempDir()
	dir = filepath.Join(tmp, "out")
	summaryPath, outputPath := filepath.Join(tmp, "summary.md"), filepath.Join(tmp, "output")
	t.Setenv("GITHUB_STEP_SUMMARY", summaryPath)
	t.Setenv("GITHUB_OUTPUT", outputPath)
	start := time.Now()
	code, out, errs := grader(t, "grade", "--rubric", writeRubric(t, quickRubric), "--out", dir, path)
	t.Logf("grader grade %s: %s wall", path, time.Since(start).Round(time.Millisecond))
	require.Equal(t, 0, code, "a graded submission exits 0 whatever its score: %s", errs)
	r, err := result.ReadFile(filepath.Join(dir, "result.json"))
	require.NoError(t, err)
	require.FileExists(t, filepath.Join(dir, "report.md"))
	s, err := os.ReadFile(summaryPath)
	require.NoError(t, err)
	o, err := os.ReadFile(outputPath)
	require.NoError(t, err)
	return out, dir, r, string(s), string(o)
}

// classroomScore decodes the result= line of $GITHUB_OUTPUT.
func classroomScore(t *testing.T, ghOutput string) map[string]any {
	t.Helper()
	line, ok := strings.CutPrefix(strings.TrimSpace(ghOutput), "result=")
	require.True(t, ok, "GITHUB_OUTPUT: %q", ghOutput)
	b, err := base64.StdEncoding.DecodeString(line)
	require.NoError(t, err)
	var c map[string]any
	require.NoError(t, json.Unmarshal(b, &c))
	return c
}

// grader grade ./raft: the reference's non-test files score full marks.
func TestGradeReferenceFullMarks(t *testing.T) {
	out, dir, r, summary, gh := gradeCmd(t, filepath.Join("..", "..", "raft"))
	assert.InDelta(t, 20, r.MaxScore, 1e-9, "the quick rubric's total")
	assert.InDelta(t, r.MaxScore, r.Score, 1e-9, "the reference scores full marks:\n%s", out)
	for _, st := range r.Stages {
		assert.Equal(t, result.StageRan, st.Verdict, "%s: %s", st.Stage, st.Message)
		for _, sc := range st.Scenarios {
			want := 1
			if sc.Name == "ReElection" {
				want = 2 // its public seed and its hidden one
			}
			assert.Equal(t, want, sc.Seeds.Run, "%s/%s", st.Stage, sc.Name)
		}
	}
	assert.Contains(t, out, "TOTAL")
	assert.NotContains(t, out, "\x1b[", "no colour when the output is not a terminal")
	assert.NoDirExists(t, filepath.Join(dir, "traces"), "no failure, no trace")
	assert.Contains(t, summary, "20 / 20")
	c := classroomScore(t, gh)
	assert.InDelta(t, 20, c["max_score"], 1e-9)
	assert.Equal(t, "pass", c["status"])
}

// grader grade ./assignments/raft: the unfilled starter scores zero, and
// its failing runs' traces sit beside the report.
func TestGradeStarterZero(t *testing.T) {
	out, dir, r, _, gh := gradeCmd(t, filepath.Join("..", "..", "assignments", "raft"))
	assert.InDelta(t, 20, r.MaxScore, 1e-9)
	assert.Zero(t, r.Score, "the starter scores zero:\n%s", out)
	traces := 0
	for _, st := range r.Stages {
		assert.Equal(t, result.StageRan, st.Verdict, "%s: %s", st.Stage, st.Message)
		for _, sc := range st.Scenarios {
			require.NotNil(t, sc.Failure, "%s/%s", st.Stage, sc.Name)
			if sc.Failure.TracePath != "" {
				traces++
				assert.True(t, strings.HasPrefix(sc.Failure.TracePath, "traces/"), sc.Failure.TracePath)
				assert.FileExists(t, filepath.Join(dir, filepath.FromSlash(sc.Failure.TracePath)))
			}
		}
	}
	assert.Positive(t, traces, "the failing runs' traces are copied beside the report")
	md, err := os.ReadFile(filepath.Join(dir, "report.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "go test ./assignments/raft -run", "the report gives replay commands")
	assert.Equal(t, "fail", classroomScore(t, gh)["status"])
}

func TestGradeUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no path", []string{"grade"}, 2, "grade takes one submission"},
		{"bad stage", []string{"grade", "--stages", "elections", "x"}, 2, `unknown stage "elections" (allowed: election, replication, persistence, snapshots)`},
		{"missing submission", []string{"grade", "--stages", "election", "--out", "/nonexistent/x", "/nonexistent/submission"}, 1, "/nonexistent/submission"},
		{"class without dir", []string{"class"}, 2, "class takes one directory"},
		{"bad shard", []string{"class", "--shard", "4/4", "x"}, 2, "i must be in 0..3"},
		{"merge without out", []string{"merge", "a", "b"}, 2, "--out OUT"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errs := grader(t, tc.args...)
			assert.Equal(t, tc.code, code, errs)
			assert.Contains(t, errs, tc.want)
		})
	}
}

func TestSubmissionName(t *testing.T) {
	for in, want := range map[string]string{
		"./raft":                 "raft",
		"subs/alice.zip":         "alice",
		"subs/bob.tar.gz":        "bob",
		"/repos/carol.git@abc12": "carol",
		"/repos/dave@HEAD~1":     "dave",
		"raft/":                  "raft",
	} {
		assert.Equal(t, want, submissionName(in), in)
	}
}

// A refused submission is graded (zero, with the reason), not a grader
// error: exit 0. --json prints the canonical result.
func TestGradeRefusedJSON(t *testing.T) {
	sub := filepath.Join(t.TempDir(), "mallory")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(sub, "raft.go"), []byte("package raft\n\nimport \"os\"\n\nvar _ = os.Exit\n"), 0o600))
	dir := filepath.Join(t.TempDir(), "out")
	code, out, errs := grader(t, "grade", "--json", "--stages", "election,replication", "--out", dir, sub)
	require.Equal(t, 0, code, errs)
	r, err := result.ReadJSON(strings.NewReader(out))
	require.NoError(t, err, out)
	assert.Zero(t, r.Score)
	assert.InDelta(t, 50, r.MaxScore, 1e-9, "the default rubric's election and replication")
	require.Len(t, r.Stages, 2)
	for _, st := range r.Stages {
		assert.Equal(t, result.StageRefused, st.Verdict)
	}
	require.NotEmpty(t, r.Refusals)
	assert.Equal(t, "raft.go", r.Refusals[0].File)
	assert.Equal(t, 3, r.Refusals[0].Line)
	saved, err := result.ReadFile(filepath.Join(dir, "result.json"))
	require.NoError(t, err)
	assert.Equal(t, r, saved, "what --json prints is result.json")
}
