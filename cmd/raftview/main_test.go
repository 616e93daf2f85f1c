package main

import (
	"bytes"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func runCLI(args ...string) (code int, stdout, stderr string) {
	var o, e bytes.Buffer
	code = runWith(args, &o, &e, func(io.Writer) (bool, int) { return false, 0 })
	return code, o.String(), e.String()
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

func TestRunHelp(t *testing.T) {
	code, out, errs := runCLI("-h")
	assert.Equal(t, 0, code)
	assert.Empty(t, out)
	assert.Contains(t, errs, "usage: raftview [flags] trace.json")
	assert.Contains(t, errs, "-last N")
}
