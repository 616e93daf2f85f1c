package main

import (
	"bytes"
	"io"
	"os"
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

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = runWith(args, &o, &e, func(io.Writer) (bool, int) { return false, 0 })
	return code, o.String(), e.String()
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

func TestRunBadInput(t *testing.T) {
	dir := t.TempDir()
	write := func(name, content string) string {
		p := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(p, []byte(content), 0o644))
		return p
	}
	garbage := write("garbage.json", "this is not json\n")
	other := write("other.json", `{"name": "package.json, not a trace"}`)
	v1 := write("v1.json", `{"format": "raftlab-trace", "version": 1, "header": {"replay": "go test ./labs/3a -seed 4"}, "events": [{"t": 0, "kind": "send", "node": 0, "peer": 1, "msg": "RequestVote t=1 cand=0 last=0/0"}]}`)
	v3 := write("v3.json", `{"format": "raftlab-trace", "version": 3}`)
	empty := write("empty.json", "")

	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"missing file", []string{filepath.Join(dir, "nope.json")}, 1, []string{"raftview: open ", "no such file"}},
		{"garbage", []string{garbage}, 1, []string{"raftview: ", "garbage.json: trace is not valid JSON (at byte 2)"}},
		{"not a trace", []string{other}, 1, []string{"raftview: ", "other.json: not a raftlab trace: its \"format\" field is \"\""}},
		{"version 1", []string{v1}, 1, []string{"raftview: ", "v1.json: unsupported trace format version: this trace has format version 1, and this build of raftlab reads only version 2: re-run",
			"(its replay command: go test ./labs/3a -seed 4)"}},
		{"version 3", []string{v3}, 1, []string{"raftview: ", "this trace has format version 3, and this build of raftlab reads only version 2"}},
		{"empty", []string{empty}, 1, []string{"raftview: ", "empty.json: the trace is empty"}},
		{"no file", nil, 2, []string{"raftview: no trace file given", "usage: raftview"}},
		{"two files", []string{garbage, v3}, 2, []string{"one trace file at a time"}},
		{"unknown flag", []string{"--frobnicate", garbage}, 2, []string{"flag provided but not defined: -frobnicate", "usage: raftview"}},
		{"bad colour", []string{"--color", "sometimes", garbage}, 2, []string{"-color must be auto, always or never"}},
		{"bad node", []string{"--node", "x", garbage}, 2, []string{"-node: \"x\" is not a node number"}},
		{"bad duration", []string{"--from", "3", garbage}, 2, []string{"\"3\" has no unit: write 3s (seconds) or 3ms"}},
		{"bad width", []string{"--width", "-3", garbage}, 2, []string{"-width must be positive"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := runCLI(tt.args...)
			assert.Equal(t, tt.code, code)
			assert.Empty(t, out)
			for _, w := range tt.want {
				assert.Contains(t, errs, w)
			}
			assert.NotContains(t, errs, "goroutine", "no stack traces")
		})
	}
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

func TestRunHelp(t *testing.T) {
	code, out, errs := runCLI("-h")
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "usage: raftview [flags] trace.json")
	assert.Contains(t, errs, "-last N")
}
