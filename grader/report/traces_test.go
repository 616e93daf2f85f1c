package report

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCopyTraces(t *testing.T) {
	r := samples()[2].r // partial: three failures with traces
	src := t.TempDir()
	require.NoError(t, os.MkdirAll(filepath.Join(src, "traces"), 0o755))
	// ReElection's trace exists; Backup's is a symlink to a file outside;
	// HiddenLockstepElections' was never written.
	require.NoError(t, os.WriteFile(filepath.Join(src, "traces/TestElection-ReElection-seed7.json"), []byte(`{"version":2}`), 0o600))
	outside := filepath.Join(t.TempDir(), "secret")
	require.NoError(t, os.WriteFile(outside, []byte("secret"), 0o600))
	require.NoError(t, os.Symlink(outside, filepath.Join(src, "traces/TestReplication-Backup-seed4.json")))

	dir := t.TempDir()
	out, err := CopyTraces(r, src, dir)
	require.NoError(t, err)

	re := out.Stages[0].Scenarios[1].Failure
	assert.Equal(t, "traces/election-ReElection-seed7.json", re.TracePath)
	b, err := os.ReadFile(filepath.Join(dir, re.TracePath))
	require.NoError(t, err)
	assert.Equal(t, `{"version":2}`, string(b))

	assert.Empty(t, out.Stages[0].Scenarios[2].Failure.TracePath)
	assert.Empty(t, out.Stages[1].Scenarios[0].Failure.TracePath)
	notes := strings.Join(out.Notes, "\n")
	assert.Contains(t, notes, "trace of election/HiddenLockstepElections not copied: the run did not write it")
	assert.Contains(t, notes, "trace of replication/Backup not copied: it is a symbolic link")
	entries, err := os.ReadDir(filepath.Join(dir, "traces"))
	require.NoError(t, err)
	assert.Len(t, entries, 1, "nothing but the real trace was copied")

	// The original is untouched.
	assert.Equal(t, "traces/TestElection-ReElection-seed7.json", r.Stages[0].Scenarios[1].Failure.TracePath)

	// A path that leaves the run's directory is refused.
	evil := r.Clone()
	evil.Stages[0].Scenarios[1].Failure.TracePath = "../../etc/passwd"
	out, err = CopyTraces(evil, src, t.TempDir())
	require.NoError(t, err)
	assert.Empty(t, out.Stages[0].Scenarios[1].Failure.TracePath)
	assert.Contains(t, strings.Join(out.Notes, "\n"), "outside the run's directory")
	evil.Stages[0].Scenarios[1].Failure.TracePath = "/etc/passwd"
	out, err = CopyTraces(evil, src, t.TempDir())
	require.NoError(t, err)
	assert.Empty(t, out.Stages[0].Scenarios[1].Failure.TracePath)

	// A directory where the trace should be is not a trace.
	require.NoError(t, os.MkdirAll(filepath.Join(src, "traces/TestElection-HiddenLockstepElections-seed424245.json"), 0o755))
	out, err = CopyTraces(r, src, t.TempDir())
	require.NoError(t, err)
	assert.Contains(t, strings.Join(out.Notes, "\n"), "not a regular file")
}

func TestSafeFile(t *testing.T) {
	assert.Equal(t, "election-Re_Election-seed7.json", safeFile("election-Re/Election-seed7.json"))
	assert.Equal(t, ".._x", safeFile("../x"))
}
