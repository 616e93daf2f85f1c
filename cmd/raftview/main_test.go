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
	v2 := write("v2.json", `{"format": "raftlab-trace", "version": 2}`)
	empty := write("empty.json", "")

	tests := []struct {
		name string
		args []string
		code int
		want []string
	}{
		{"missing file", []string{filepath.Join(dir, "nope.json")}, 1, []string{"raftview: open ", "no such file"}},
		{"garbage", []string{garbage}, 1, []string{"raftview: ", "garbage.json: trace is not valid JSON (at byte 2)"}},
		{"not a trace", []string{other}, 1, []string{"raftview: ", "other.json: read trace: json: unknown field \"name\""}},
		{"wrong version", []string{v2}, 1, []string{"raftview: ", "trace format version 2 is not supported by this build (it reads version 1)"}},
		{"empty", []string{empty}, 1, []string{"raftview: ", "empty.json: read trace: EOF"}},
		{"no file", nil, 2, []string{"raftview: no trace file given", "usage: raftview"}},
		{"two files", []string{garbage, v2}, 2, []string{"one trace file at a time"}},
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
