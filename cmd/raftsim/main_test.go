package main

import (
	"bytes"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/trace"
)

func runCLI(args ...string) (int, string, string) {
	var out, errs bytes.Buffer
	code := run(args, &out, &errs)
	return code, out.String(), errs.String()
}

func TestRunsOneSeedAndWritesItsTrace(t *testing.T) {
	path := filepath.Join(t.TempDir(), "t.json")
	code, out, errs := runCLI("-seed", "3", "-duration", "5s", "-snapshot-every", "10", "-trace", path)
	require.Equal(t, 0, code, errs)
	assert.Contains(t, out, "raftsim: reference, 5 nodes, seed 3")
	assert.Contains(t, out, "result:  PASS")
	assert.Contains(t, out, "trace:   "+path)
	tr, err := trace.ReadFile(path)
	require.NoError(t, err)
	assert.Equal(t, uint64(3), tr.Header.Seed)
	assert.True(t, tr.Result.OK)

	// The same seed gives the same trace.
	path2 := filepath.Join(t.TempDir(), "t2.json")
	code, _, _ = runCLI("-seed", "3", "-duration", "5s", "-snapshot-every", "10", "-trace", path2)
	require.Equal(t, 0, code)
	tr2, err := trace.ReadFile(path2)
	require.NoError(t, err)
	assert.Equal(t, tr.Result.Hash, tr2.Result.Hash)
}

func TestBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-faults", "earthquakes"}, `unknown fault "earthquakes"`},
		{[]string{"-nodes", "0"}, "-nodes must be between 1 and 15"},
		{[]string{"-skew", "2"}, "-skew must be in [0, 1)"},
		{[]string{"-trace-limit", "-1"}, "-trace-limit must not be negative"},
		{[]string{"-liveness", "half"}, `-liveness: unknown liveness phase "half"`},
		{[]string{"extra"}, `unexpected argument "extra"`},
		{[]string{"-bogus"}, "flag provided but not defined: -bogus"},
	} {
		code, out, errs := runCLI(tc.args...)
		assert.Equal(t, 2, code, tc.args)
		assert.Empty(t, out)
		assert.Contains(t, errs, tc.want)
	}
}

func TestLivenessPhases(t *testing.T) {
	for _, tc := range []struct{ liveness, want string }{
		{"core", "the core ["},
		{"all", "the cluster recovered"},
	} {
		code, out, errs := runCLI("-seed", "4", "-duration", "3s", "-liveness", tc.liveness, "-trace", "-")
		require.Equal(t, 0, code, errs)
		assert.Contains(t, out, tc.want)
	}
}
