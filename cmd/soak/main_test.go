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
	f, err := parse([]string{"-prevote", "-checkquorum", "-nodes", "5", "-duration", "7s"}, &bytes.Buffer{})
	require.NoError(t, err)
	o := f.options()
	assert.Equal(t, "reference+prevote+checkquorum", o.Implementation)
	assert.Equal(t, "go run ./cmd/soak -mix pauses -seed 9 -nodes 5 -duration 7s -prevote -checkquorum -trace out.json", o.ReplayCommand("pauses", 9))
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
