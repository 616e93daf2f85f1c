package main

import (
	"bytes"
	"context"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/soak"
	"github.com/raftlab/raftlab/trace"
)

func runCmd(t *testing.T, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code = run(context.Background(), args, &out, &errOut, false)
	return code, out.String(), errOut.String()
}

func TestUsage(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"help", []string{"-h"}, exitOK, "replay this one seed"},
		{"unknown flag", []string{"-bogus"}, exitUsage, "flag provided but not defined"},
		{"unknown mix", []string{"-mix", "earthquakes"}, exitUsage, `unknown mix "earthquakes"`},
		{"no seeds", []string{"-seeds", "0"}, exitUsage, "-seeds must be at least 1"},
		{"bad duration", []string{"-duration", "-1s"}, exitUsage, "-duration must be positive"},
		{"seed needs one mix", []string{"-seed", "3", "-mix", "all,crashes"}, exitUsage, "name exactly one mix"},
		{"trace needs seed", []string{"-trace", "x.json"}, exitUsage, "use it with -seed"},
		{"stray argument", []string{"all"}, exitUsage, "unexpected arguments"},
		{"bad shard", []string{"-shard", "4/4"}, exitUsage, "-shard: bad shard 4/4"},
		{"bad liveness", []string{"-liveness", "some"}, exitUsage, `unknown liveness phase "some"`},
		{"seed and shard", []string{"-seed", "3", "-mix", "all", "-shard", "1/2"}, exitUsage, "-shard and -json are for a range"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, stdout, stderr := runCmd(t, tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, stdout)
			assert.Contains(t, stderr, tt.want)
			assert.Contains(t, stderr, "usage: soak [flags]")
			for _, m := range soak.MixNames() {
				assert.Contains(t, stderr, m, "-h lists every mix")
			}
		})
	}
}

func TestSoakPrintsTable(t *testing.T) {
	code, stdout, stderr := runCmd(t, "-seeds", "4", "-mix", "all,crashes", "-duration", "2s", "-parallel", "2")
	require.Equal(t, exitOK, code, stderr)
	for _, want := range []string{"mix", "runs", "violations", "liveness misses", "commits/run", "events/s", "wall", "all", "crashes", "total", "no violations, no liveness misses in 8 runs"} {
		assert.Contains(t, stdout, want)
	}
	lines := strings.Split(stdout, "\n")
	var total string
	for _, l := range lines {
		if strings.HasPrefix(strings.TrimSpace(l), "total") {
			total = l
		}
	}
	assert.Equal(t, []string{"total", "8", "0", "0"}, strings.Fields(total)[:4])
}

func TestReplayOneSeedWritesTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "out.json")
	code, stdout, stderr := runCmd(t, "-mix", "all+snapshots", "-seed", "5", "-duration", "2s", "-nodes", "3", "-trace", path)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, stdout, "all+snapshots seed 5: 3 nodes")
	assert.Contains(t, stdout, "ok: no violation")
	tr, err := trace.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, uint64(5), tr.Header.Seed)
	assert.Equal(t, 3, tr.Header.Nodes)
	assert.True(t, tr.Result.OK)
	assert.Contains(t, tr.Header.Replay, "go run ./cmd/soak -mix all+snapshots -seed 5 -nodes 3 -duration 2s")
}

func TestReplayCommandCarriesOptions(t *testing.T) {
	f, err := parse([]string{"-prevote", "-checkquorum", "-nodes", "5", "-duration", "7s", "-liveness", "core", "-shard", "2/3"}, &bytes.Buffer{})
	require.NoError(t, err)
	o := f.options()
	assert.Equal(t, "reference+prevote+checkquorum", o.Implementation)
	assert.Equal(t, "go run ./cmd/soak -mix pauses -seed 9 -nodes 5 -duration 7s -liveness core -prevote -checkquorum -trace out.json", o.ReplayCommand("pauses", 9),
		"a replay names the options that change the run, not the shard")
}

func TestProgressLines(t *testing.T) {
	var buf bytes.Buffer
	p := progressPrinter(&buf, true, 0)
	p(1, 2)
	time.Sleep(time.Millisecond)
	p(2, 2)
	assert.Contains(t, buf.String(), "\r\033[Ksoak: 2/2 runs (100.0%)")

	buf.Reset()
	p = progressPrinter(&buf, false, 0)
	p(1, 2)
	p(2, 2)
	assert.Empty(t, buf.String(), "-progress-every 0 prints no progress off a terminal")
}

// TestShardsMergeToTheWholeRun: two shards written as JSON and merged
// print the same table (wall times aside) as one run over the range.
func TestShardsMergeToTheWholeRun(t *testing.T) {
	dir := t.TempDir()
	args := []string{"-seeds", "6", "-first-seed", "10", "-mix", "all,crashes", "-duration", "2s", "-parallel", "2"}
	code, whole, stderr := runCmd(t, args...)
	require.Equal(t, exitOK, code, stderr)
	var files []string
	for _, sh := range []string{"0/2", "1/2"} {
		path := filepath.Join(dir, strings.ReplaceAll(sh, "/", "of")+".json")
		code, out, stderr := runCmd(t, append(args, "-shard", sh, "-json", path)...)
		require.Equal(t, exitOK, code, stderr)
		assert.Contains(t, out, "(shard "+sh)
		assert.Contains(t, out, "report written to "+path)
		files = append(files, path)
	}
	mergedPath := filepath.Join(dir, "merged.json")
	code, merged, stderr := runCmd(t, append([]string{"merge", "-json", mergedPath}, files...)...)
	require.Equal(t, exitOK, code, stderr)
	assert.Contains(t, merged, "2 shards merged")
	table := func(out string) []string { // the rows' counts: mix, runs, violations, misses, commits/run
		var rows []string
		for _, l := range strings.Split(out, "\n") {
			if f := strings.Fields(l); len(f) >= 7 && (f[0] == "all" || f[0] == "crashes" || f[0] == "total") {
				rows = append(rows, strings.Join(f[:5], " "))
			}
		}
		return rows
	}
	require.Len(t, table(whole), 3)
	assert.Equal(t, table(whole), table(merged))
	rep, err := soak.ReadReportFile(mergedPath)
	require.NoError(t, err)
	assert.Equal(t, 12, rep.Total.Runs)

	code, _, stderr = runCmd(t, "merge", files[0])
	assert.Equal(t, exitFailed, code)
	assert.Contains(t, stderr, "missing shards 1/2")
	code, _, stderr = runCmd(t, "merge")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "name the shard reports")
}
