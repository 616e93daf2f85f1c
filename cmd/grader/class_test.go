package main

import (
	"archive/zip"
	"encoding/csv"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/class"
	"github.com/raftlab/raftlab/grader/class/classtest"
	"github.com/raftlab/raftlab/grader/result"
)

// tinyRubric grades the election stage on one seed: a class test is
// about the class machinery, not the suites.
const tinyRubric = `version = 1
title = "tiny"
hidden_salt = 918273645501
time_limit = "2m"
[stages.election.rules]
points = 1
[stages.election.scenarios]
InitialElection = { points = 1, seeds = 1 }
ReElection = { points = 1, seeds = 1 }
`

// zipDir zips dir's files into path (flat, as a student would).
func zipDir(t *testing.T, dir, path string) {
	t.Helper()
	f, err := os.Create(path)
	require.NoError(t, err)
	zw := zip.NewWriter(f)
	ents, err := os.ReadDir(dir)
	require.NoError(t, err)
	for _, e := range ents {
		w, err := zw.Create(e.Name())
		require.NoError(t, err)
		in, err := os.Open(filepath.Join(dir, e.Name()))
		require.NoError(t, err)
		_, err = io.Copy(w, in)
		require.NoError(t, err)
		require.NoError(t, in.Close())
	}
	require.NoError(t, zw.Close())
	require.NoError(t, f.Close())
}

func readGradebook(t *testing.T, path string) [][]string {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer func() { _ = f.Close() }()
	rows, err := csv.NewReader(f).ReadAll()
	require.NoError(t, err)
	return rows
}

// A class of four (a directory each for the reference, a copy of it and
// a buggy variant, a zip for the starter): graded, then re-run from the cache,
// then graded in two shards that merge into the same gradebook.
func TestClassCacheShardMerge(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs three submissions")
	}
	tmp := t.TempDir()
	dir := filepath.Join(tmp, "class")
	labRoot, err := filepath.Abs(filepath.Join("..", ".."))
	require.NoError(t, err)
	require.NoError(t, classtest.Write(labRoot, filepath.Join(dir, "alice"), classtest.Variants[0], "alice"))
	require.NoError(t, classtest.Write(labRoot, filepath.Join(dir, "bob"), classtest.Variants[2], "bob"))
	// dave handed in alice's files: the same cache key, graded once or
	// twice at the same time, never a grader error.
	require.NoError(t, os.CopyFS(filepath.Join(dir, "dave"), os.DirFS(filepath.Join(dir, "alice"))))
	starter := filepath.Join(tmp, "carol")
	require.NoError(t, classtest.Write(labRoot, starter, classtest.Variants[1], "carol"))
	zipDir(t, starter, filepath.Join(dir, "carol.zip"))
	require.NoError(t, os.WriteFile(filepath.Join(dir, "README.txt"), []byte("not a submission"), 0o600))
	rb := writeRubric(t, tinyRubric)

	out := filepath.Join(dir, "graded") // inside the class directory: not a student
	start := time.Now()
	code, stdout, stderr := grader(t, "class", "--rubric", rb, "--out", out, dir)
	t.Logf("cold: %s", time.Since(start).Round(time.Millisecond))
	require.Equal(t, 0, code, stderr)
	assert.Regexp(t, `graded (4, 0|3, 1) from the cache`, stdout)
	assert.Contains(t, stderr, "[4/4", "plain progress lines when not on a terminal")
	rows := readGradebook(t, filepath.Join(out, class.GradebookFile))
	require.Len(t, rows, 5, "a header and a row per student")
	var names []string
	for _, row := range rows[1:] {
		names = append(names, row[0])
	}
	assert.Equal(t, []string{"alice", "bob", "carol", "dave"}, names, "rows name the students (not carol.zip, not alice for dave's copy)")
	for _, s := range []string{"alice", "bob", "carol", "dave"} {
		assert.FileExists(t, filepath.Join(out, s, class.ReportFile))
		r, err := result.ReadFile(filepath.Join(out, s, class.ResultFile))
		require.NoError(t, err, s)
		switch s {
		case "alice", "dave":
			assert.InDelta(t, r.MaxScore, r.Score, 1e-9, "the reference scores full marks")
		case "carol":
			assert.Zero(t, r.Score, "the starter scores zero")
			assert.DirExists(t, filepath.Join(out, s, "traces"), "the failing runs' traces beside the report")
		}
	}

	// Again: everything comes from the cache.
	start = time.Now()
	code, stdout, stderr = grader(t, "class", "--rubric", rb, "--out", out, dir)
	t.Logf("cached: %s", time.Since(start).Round(time.Millisecond))
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "graded 0, 4 from the cache")
	assert.Contains(t, stderr, "4 of 4 submission(s) already graded (cache): skipped")
	assert.Equal(t, rows, readGradebook(t, filepath.Join(out, class.GradebookFile)))

	// A changed submission is graded again; the others are not.
	f, err := os.OpenFile(filepath.Join(dir, "alice", "raft.go"), os.O_APPEND|os.O_WRONLY, 0)
	require.NoError(t, err)
	_, err = f.WriteString("// a late fix\n")
	require.NoError(t, err)
	require.NoError(t, f.Close())
	code, stdout, stderr = grader(t, "class", "--rubric", rb, "--out", out, dir)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "graded 1, 3 from the cache")

	// Two shards (their caches restored from the whole run's, as a CI
	// cache would) merge into the same gradebook. Each would see another
	// run's output inside the class directory as a student: move it out.
	moved := filepath.Join(tmp, "out")
	require.NoError(t, os.Rename(out, moved))
	out = moved
	var shards []string
	for i := range 2 {
		sd := filepath.Join(tmp, "shard"+string(rune('0'+i)))
		require.NoError(t, os.CopyFS(filepath.Join(sd, class.CacheDir), os.DirFS(filepath.Join(out, class.CacheDir))))
		code, _, stderr := grader(t, "class", "--rubric", rb, "--out", sd, "--shard", []string{"0/2", "1/2"}[i], dir)
		require.Equal(t, 0, code, stderr)
		shards = append(shards, sd)
	}
	assert.Len(t, readGradebook(t, filepath.Join(shards[0], class.GradebookFile)), 3, "shard 0/2: alice and carol")
	assert.Len(t, readGradebook(t, filepath.Join(shards[1], class.GradebookFile)), 3, "shard 1/2: bob and dave")
	merged := filepath.Join(tmp, "merged")
	code, stdout, stderr = grader(t, "merge", shards[0], shards[1], "--out", merged)
	require.Equal(t, 0, code, stderr)
	assert.Contains(t, stdout, "4 students")
	assert.Equal(t, readGradebook(t, filepath.Join(out, class.GradebookFile)), readGradebook(t, filepath.Join(merged, class.GradebookFile)))
	assert.FileExists(t, filepath.Join(merged, "bob", class.ReportFile))

	for _, tc := range []struct {
		name string
		dirs []string
		want string
	}{
		{"overlapping", []string{shards[0], shards[0], shards[1]}, "shard 0/2 is given twice"},
		{"missing", []string{shards[1]}, "missing shard(s) 0/2"},
		{"whole and shard", []string{out, shards[1]}, "different --shard counts"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := grader(t, append([]string{"merge", "--out", filepath.Join(tmp, "bad")}, tc.dirs...)...)
			assert.Equal(t, 1, code)
			assert.Contains(t, stderr, tc.want)
		})
	}
	assert.False(t, strings.Contains(stderr, "panic"))
}
