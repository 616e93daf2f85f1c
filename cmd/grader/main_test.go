package main

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
	"github.com/raftlab/raftlab/grader/result/resulttest"
	"github.com/raftlab/raftlab/grader/rubric"
)

func grader(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestRubric(t *testing.T) {
	code, out, _ := grader(t, "rubric")
	require.Equal(t, 0, code)
	assert.Equal(t, string(rubric.Text()), out)
	r, err := rubric.Parse([]byte(out))
	require.NoError(t, err)
	assert.InDelta(t, 100, r.MaxScore(), 1e-9)

	dir := t.TempDir()
	good := filepath.Join(dir, "r.toml")
	require.NoError(t, os.WriteFile(good, []byte(out), 0o600))
	code, out, _ = grader(t, "rubric", "--check", good)
	assert.Equal(t, 0, code)
	assert.Contains(t, out, "valid; 4 stage(s), 100 points; hash "+r.Hash())

	bad := filepath.Join(dir, "bad.toml")
	require.NoError(t, os.WriteFile(bad, []byte("version = 1\n[stages.election.scenarios]\nReElecton = { points = 1 }\n"), 0o600))
	code, _, errs := grader(t, "rubric", "--check", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "line 3: stages.election.scenarios.ReElecton: stage election has no scenario \"ReElecton\" (allowed: InitialElection, ReElection,")

	code, _, errs = grader(t, "rubric", "extra")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "--check extra")
}

func saveSamples(t *testing.T) (dir string, paths []string) {
	t.Helper()
	dir = t.TempDir()
	for _, c := range resulttest.Cases() {
		outcome := filepath.Join(dir, c.Name+".outcome.json")
		b, err := json.Marshal(c.Outcome)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(outcome, b, 0o600))
		paths = append(paths, outcome)
	}
	require.NoError(t, os.WriteFile(filepath.Join(dir, "rubric.toml"), []byte(resulttest.RubricTOML), 0o600))
	return dir, paths
}

func TestScoreThenReport(t *testing.T) {
	dir, outcomes := saveSamples(t)
	var results []string
	for i, o := range outcomes {
		code, out, errs := grader(t, "score", "--rubric", filepath.Join(dir, "rubric.toml"), o)
		require.Equal(t, 0, code, errs)
		r, err := result.ReadJSON(strings.NewReader(out))
		require.NoError(t, err)
		want := result.Score(resulttest.Cases()[i].Outcome, resulttest.Rubric())
		assert.Equal(t, want, r, "the saved outcome scores as the live one")
		path := filepath.Join(dir, resulttest.Cases()[i].Name+".result.json")
		require.NoError(t, os.WriteFile(path, []byte(out), 0o600))
		results = append(results, path)
	}

	partial := results[2]
	code, out, _ := grader(t, "report", partial)
	require.Equal(t, 0, code)
	assert.Contains(t, out, "TOTAL")
	assert.NotContains(t, out, "\x1b[", "no colour when not a terminal")

	for _, f := range formatNames() {
		code, out, errs := grader(t, "report", "--format", f, partial)
		require.Equal(t, 0, code, "%s: %s", f, errs)
		assert.NotEmpty(t, out, f)
	}
	code, out, _ = grader(t, "report", "--format", "classroom", partial)
	require.Equal(t, 0, code)
	raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(out))
	require.NoError(t, err)
	assert.Contains(t, string(raw), `"version":1`)

	code, out, _ = grader(t, append([]string{"report", "--format", "csv"}, results...)...)
	require.Equal(t, 0, code)
	assert.Len(t, strings.Split(strings.TrimSpace(out), "\n"), 6)

	gs := filepath.Join(dir, "autograder", "results", "results.json")
	code, _, _ = grader(t, "report", "--format", "gradescope", "-o", gs, partial)
	require.Equal(t, 0, code)
	b, err := os.ReadFile(gs)
	require.NoError(t, err)
	assert.Contains(t, string(b), `"output_format": "md"`)

	code, out, _ = grader(t, "report", "--students", "--format", "markdown", partial)
	require.Equal(t, 0, code)
	assert.NotContains(t, out, "HiddenLockstepElections")

	all := filepath.Join(dir, "all")
	code, _, errs := grader(t, append([]string{"report", "--dir", all}, results...)...)
	require.Equal(t, 0, code, errs)
	entries, err := os.ReadDir(all)
	require.NoError(t, err)
	assert.Len(t, entries, 5*7+1)
	_, err = os.Stat(filepath.Join(all, "bob.junit.xml"))
	require.NoError(t, err)

	// --traces copies the traces the reports name.
	run := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(run, "traces"), 0o755))
	require.NoError(t, os.WriteFile(filepath.Join(run, "traces/TestReplication-Backup-seed4.json"), []byte("{}"), 0o600))
	withTraces := filepath.Join(dir, "with-traces")
	code, _, errs = grader(t, "report", "--dir", withTraces, "--traces", run, partial)
	require.Equal(t, 0, code, errs)
	_, err = os.Stat(filepath.Join(withTraces, "traces/replication-Backup-seed4.json"))
	require.NoError(t, err)
	md, err := os.ReadFile(filepath.Join(withTraces, "bob.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "go run ./cmd/raftview traces/replication-Backup-seed4.json")
	code, _, _ = grader(t, "report", "--traces", run, partial)
	assert.Equal(t, 2, code)

	code, _, errs = grader(t, "report", "--format", "pdf", partial)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "allowed: terminal, markdown, gradescope")
}

func TestErrors(t *testing.T) {
	code, _, errs := grader(t)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, "usage")
	code, _, errs = grader(t, "grate")
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `unknown command "grate"`)
	code, _, errs = grader(t, "report", filepath.Join(t.TempDir(), "none.json"))
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "none.json")

	dir := t.TempDir()
	bad := filepath.Join(dir, "o.json")
	require.NoError(t, os.WriteFile(bad, []byte(`{"submission": "x", "stagez": []}`), 0o600))
	code, _, errs = grader(t, "score", bad)
	assert.Equal(t, 1, code)
	assert.Contains(t, errs, "stagez")
}

func TestSafeName(t *testing.T) {
	assert.Equal(t, "alice", safeName("alice"))
	assert.Equal(t, ".._.._etc_passwd", safeName("../../etc/passwd"))
	assert.Equal(t, "_..", safeName(".."))
	assert.Equal(t, "_", safeName(""))
}
