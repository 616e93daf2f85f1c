//go:build linux

package cluster

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// syncBuffer is a bytes.Buffer safe to write from a child's output copier
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestCommandLine drives the cluster the way the README tells a user to:
// `up` in one terminal, every other command from another.
func TestCommandLine(t *testing.T) {
	if testing.Short() {
		t.Skip("starts real processes; skipped with -short")
	}
	dir := t.TempDir()
	ctx := testCtx(t, 2*time.Minute)
	var upOut syncBuffer
	up := exec.Command(localnetBin, "up", "-n", "3", "-dir", dir, "-base-port", "0")
	up.Stdout, up.Stderr = &upOut, &upOut
	require.NoError(t, up.Start())
	upDone := make(chan error, 1)
	go func() { upDone <- up.Wait() }()
	t.Cleanup(func() {
		_ = up.Process.Kill() // best effort: normally it has exited; its nodes die with it (Pdeathsig)
		err := <-upDone
		if t.Failed() {
			t.Logf("up exited: %v", err)
			t.Logf("--- up's output ---\n%s", upOut.String())
		}
	})
	run := func(args ...string) string {
		t.Helper()
		out, err := exec.CommandContext(ctx, localnetBin, args...).CombinedOutput()
		require.NoError(t, err, "localnet %v: %s", args, out)
		return string(out)
	}
	var st State
	require.Eventually(t, func() bool {
		var err error
		st, err = ReadState(dir)
		return err == nil && st.ControlAddr != ""
	}, 20*time.Second, 50*time.Millisecond, "up writes its state file")
	_, err := WaitLeader(ctx, st.ClientAddrs())
	require.NoError(t, err)

	run("kv", "-dir", dir, "put", "greeting", "hello")
	run("kv", "-dir", dir, "append", "greeting", ", world")
	require.Equal(t, "hello, world\n", run("kv", "-dir", dir, "get", "greeting"))
	require.Contains(t, run("status", "-dir", dir), "leader")

	// kill and restart go through the supervisor, which records the pids.
	old := st.Nodes[0].Pid
	run("kill", "-dir", dir, "0")
	st, err = ReadState(dir)
	require.NoError(t, err)
	require.Zero(t, st.Nodes[0].Pid, "a killed node has no pid")
	require.ErrorIs(t, syscall.Kill(old, 0), syscall.ESRCH, "node 0's process is gone")
	run("kv", "-dir", dir, "put", "while", "down")
	run("restart", "-dir", dir, "0")
	st, err = ReadState(dir)
	require.NoError(t, err)
	require.NotZero(t, st.Nodes[0].Pid)

	run("pause", "-dir", dir, "1")
	run("kv", "-dir", dir, "put", "while", "paused")
	run("resume", "-dir", dir, "1")
	run("partition", "-dir", dir, "0", "1,2")
	run("kv", "-dir", dir, "put", "while", "partitioned")
	run("heal", "-dir", dir)
	run("slow-disk", "-dir", dir, "2", "1")
	run("slow-disk", "-dir", dir, "2", "0")
	require.Equal(t, "partitioned\n", run("kv", "-dir", dir, "get", "while"))

	out := run("bench", "-dir", dir, "-clients", "4", "-duration", "2s", "-html", filepath.Join(dir, "v.html"))
	require.Contains(t, out, "ops/s")
	require.Contains(t, out, "µs per op")
	require.Contains(t, out, "history      linearizable")

	// Ctrl-C stops the supervisor and every node, and removes the state file.
	st, err = ReadState(dir)
	require.NoError(t, err)
	require.NoError(t, up.Process.Signal(os.Interrupt))
	select {
	case err := <-upDone:
		upDone <- err // for the cleanup
		require.NoError(t, err, "up exits cleanly on SIGINT")
	case <-time.After(10 * time.Second):
		t.Fatal("up did not stop on SIGINT")
	}
	for _, n := range st.Nodes {
		require.ErrorIs(t, syscall.Kill(n.Pid, 0), syscall.ESRCH, "node %d (pid %d) outlived the supervisor", n.ID, n.Pid)
	}
	_, err = os.Stat(filepath.Join(dir, StateFile))
	require.True(t, errors.Is(err, os.ErrNotExist), "the state file is removed")
	require.Contains(t, upOut.String(), "leader ")
}
