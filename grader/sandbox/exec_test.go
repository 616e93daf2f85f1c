package sandbox

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/grader/result"
)

// A child sees no network but a loopback, none of the grader's
// environment, the limits, and (under root) the identity nobody.
func TestRunChildIsolation(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("the isolation this checks needs root (a new network namespace, switching to nobody)")
	}
	t.Setenv("RAFTLAB_TEST_SECRET", "do-not-leak")
	dir, err := os.MkdirTemp("", "raftlab-isolation-*") // t.TempDir's parent is closed to nobody
	require.NoError(t, err)
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	require.NoError(t, os.Chmod(dir, 0o777))
	script := `tail -n +3 /proc/self/net/dev | cut -d: -f1 | tr -d ' '; echo uid=$(id -u); env; grep -E 'Max (cpu time|address space|file size|open files)' /proc/self/limits`
	ex := runChild(context.Background(), childSpec{
		Path: "/bin/sh", Args: []string{"-c", script}, Dir: dir,
		Env:    []string{"HOME=" + dir, "PATH=/usr/bin:/bin"},
		Limits: limits{Wall: 10 * time.Second, CPU: 7 * time.Second, MemoryBytes: 1 << 30, FileBytes: 1 << 20, NoFile: 64},
		Drop:   true, Uid: nobody, Gid: nobody,
	})
	require.NoError(t, ex.Err)
	require.Empty(t, ex.Isolation)
	out := ex.Stdout
	t.Log(out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, "lo", lines[0], "a new network namespace holds only the loopback")
	assert.Contains(t, out, "uid=65534")
	assert.NotContains(t, out, "do-not-leak")
	assert.Regexp(t, `Max cpu time\s+7\s+7`, out)
	assert.Regexp(t, `Max address space\s+1073741824\s+1073741824`, out)
	assert.Regexp(t, `Max file size\s+1048576\s+1048576`, out)
	assert.Regexp(t, `Max open files\s+64\s+64`, out)
}

// The wall-clock limit kills the child's whole process group.
func TestRunChildWallLimit(t *testing.T) {
	start := time.Now()
	ex := runChild(context.Background(), childSpec{
		Path: "/bin/sh", Args: []string{"-c", "sleep 60 & sleep 60"}, Dir: t.TempDir(),
		Limits: limits{Wall: 500 * time.Millisecond, CPU: 10 * time.Second, MemoryBytes: 1 << 30, FileBytes: 1 << 20, NoFile: 64},
	})
	require.NoError(t, ex.Err)
	assert.True(t, ex.TimedOut)
	assert.Less(t, time.Since(start), 5*time.Second)
}

func signed(key []byte, rec record) string {
	body, _ := json.Marshal(rec)
	m := hmac.New(sha256.New, key)
	m.Write(body)
	return hex.EncodeToString(m.Sum(nil)) + " " + string(body) + "\n"
}

// Only records under the run's key, in sequence, count: a line that looks
// like go test -json, a record signed with another key, a replayed record,
// and a record out of order are all rejected.
func TestReadReportsRejectsForgeries(t *testing.T) {
	key, other := bytes.Repeat([]byte{1}, 32), bytes.Repeat([]byte{2}, 32)
	pass := &result.TestOutcome{Name: "R", Passed: true}
	var in strings.Builder
	in.WriteString(`{"Action":"pass","Test":"TestElection"}` + "\n")
	in.WriteString(signed(key, record{Seq: 1, Type: "hello", Rules: []string{"R", "S"}}))
	in.WriteString(signed(other, record{Seq: 2, Type: "rule", Index: 1, Rule: pass}))
	in.WriteString(signed(key, record{Seq: 1, Type: "hello", Rules: []string{"R"}}))
	in.WriteString(signed(key, record{Seq: 3, Type: "rule", Index: 1, Rule: pass}))
	in.WriteString(signed(key, record{Seq: 2, Type: "rule", Index: 0, Rule: &result.TestOutcome{Name: "R"}}))
	rep := &reports{rules: map[int]*result.TestOutcome{}, scenarios: map[int]*result.ScenarioOutcome{}}
	doneCalled := false
	readReports(strings.NewReader(in.String()), key, rep, func() { doneCalled = true })
	require.NotNil(t, rep.hello)
	assert.Equal(t, []string{"R", "S"}, rep.hello.Rules)
	assert.Equal(t, 4, rep.bad)
	assert.Equal(t, "malformed line", rep.badWhy)
	require.Len(t, rep.rules, 1)
	assert.False(t, rep.rules[0].Passed)
	assert.False(t, rep.done)
	assert.False(t, doneCalled)
}

func TestCompilerReportNamesStudentFiles(t *testing.T) {
	out := "# github.com/raftlab/raftlab/assignments/raft\nassignments/raft/raft.go:12:3: undefined: x\n/tmp/w/src/assignments/raft/log.go:4:1: syntax error\n"
	assert.Equal(t, "  raft.go:12:3: undefined: x\n  log.go:4:1: syntax error", compilerReport(out, "/tmp/w/src"))
}
