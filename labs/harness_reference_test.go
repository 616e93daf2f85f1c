package labs

// Files named *_reference_test.go run the reference (package raft), which
// only instructors have: the student handout leaves them out (see
// .handoutignore at the repository's root).

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
)

func TestPassingRunsWriteTracesWithTheTraceFlag(t *testing.T) {
	skipWithoutSubprocesses(t)
	if os.Getenv("RAFTLAB_HELPER") != "" {
		t.Skip("a child process of another test")
	}
	dir := t.TempDir()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperReference$/^InitialElection$", "-seed=4", "-traces", "-tracedir="+dir)
	cmd.Env = append(os.Environ(), "RAFTLAB_HELPER=reference")
	out, err := cmd.CombinedOutput()
	require.NoError(t, err, "%s", out)
	assert.FileExists(t, filepath.Join(dir, "TestHelperReference_InitialElection-seed4.json"))
}

func TestHelperReference(t *testing.T) {
	if os.Getenv("RAFTLAB_HELPER") != "reference" {
		t.Skip("run by TestPassingRunsWriteTracesWithTheTraceFlag")
	}
	RunStage(t, Election, Impl{Name: "reference", Factory: raft.New})
}
