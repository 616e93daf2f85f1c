package main

// Files named *_reference_test.go run the reference (package raft), which
// only instructors have: the student handout leaves them out (see
// .handoutignore at the repository's root).

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/trace"
	"github.com/raftlab/raftlab/traceview"
)

// realTrace runs the reference implementation through an election, some
// commands, a partition and a crash with the trace on, and writes it.
func realTrace(t *testing.T) (string, *trace.Trace) {
	t.Helper()
	cfg := sim.Config{Nodes: 3, Factory: raft.New, Seed: 3, Implementation: "reference", Scenario: "raftview-test",
		Replay: "go test ./cmd/raftview -run TestRunRealTrace", RecordTrace: true}
	res := sim.Run(cfg, func(c *sim.Cluster) {
		c.Note("waiting for a leader")
		l := c.WaitLeader(5 * time.Second)
		for i := range 3 {
			c.Submit([]byte{byte(i)}, 3, 5*time.Second)
		}
		c.Isolate(l)
		c.RunFor(time.Second)
		c.Crash((l + 1) % 3)
		c.Heal()
		c.Restart((l + 1) % 3)
		c.Submit([]byte{9}, 3, 5*time.Second)
	})
	require.Nil(t, res.Failure)
	require.NotNil(t, res.Trace)
	path := filepath.Join(t.TempDir(), "trace.json")
	require.NoError(t, trace.WriteFile(path, res.Trace))
	return path, res.Trace
}

func TestRunRealTrace(t *testing.T) {
	path, tr := realTrace(t)

	code, out, errs := runCLI(path)
	require.Equal(t, 0, code, errs)
	assert.Empty(t, errs)
	assert.NotContains(t, out, "\x1b[", "no colour off a terminal")
	assert.Contains(t, out, "raftlab trace · reference · scenario raftview-test · seed 3 · 3 nodes")
	assert.Contains(t, out, "replay:  go test ./cmd/raftview -run TestRunRealTrace")
	assert.Contains(t, out, "── waiting for a leader")
	assert.Contains(t, out, "★ leader t=")
	assert.Contains(t, out, " RV t=1 ")
	assert.Contains(t, out, "═══ partition: n")
	assert.Contains(t, out, "✗ CRASH")
	assert.Contains(t, out, "↻ restart")
	assert.Contains(t, out, "ok: no checker fired")
	assert.Contains(t, out, "hash "+tr.Result.Hash)
	for l := range strings.SplitSeq(strings.TrimSuffix(out, "\n"), "\n") {
		require.LessOrEqual(t, len([]rune(l)), traceview.DefaultWidth, "%q", l)
	}

	// Flags after the file name, and the filters.
	code, out, errs = runCLI(path, "--last", "5", "--width", "90", "--color", "always", "--node", "n0,1", "--hide", "apply")
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "\x1b[")
	assert.Contains(t, out, "shown 5 of ")

	code, out, errs = runCLI("--states", "--from", "200ms", "--to", "1s", path)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "applied  snapshot")
}

func TestRunBadOptionForThisTrace(t *testing.T) {
	path, _ := realTrace(t)
	for _, args := range [][]string{{"--node", "7"}, {"--kind", "sned"}, {"--from", "2s", "--to", "1s"}} {
		code, out, errs := runCLI(append(args, path)...)
		assert.Equal(t, 2, code, args)
		assert.Empty(t, out)
		assert.Contains(t, errs, "raftview: bad view option: ")
	}
	code, _, errs := runCLI("--kind", "sned", path)
	assert.Equal(t, 2, code)
	assert.Contains(t, errs, `unknown kind "sned" (kinds: send, deliver,`)
}
