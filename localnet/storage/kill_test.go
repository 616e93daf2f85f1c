package storage

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
)

// killEnv names the directory the child process of TestKillDuringSaves
// saves into.
const killEnv = "RAFTLAB_STORAGE_KILL_DIR"

// killSave is save number i of the child: the state names its number and
// its snapshot, so a recovered pair can be checked for consistency. Like
// Raft's, the state is a log that grows by one chunk a save after a header
// that changes, until a new snapshot takes the log's place: most saves are
// written as deltas.
func killSave(i int) (state, snap []byte) {
	snapID := i / 7
	state = fmt.Appendf(nil, "save %d snap %d ", i, snapID)
	for j := snapID * 7; j <= i; j++ {
		state = append(state, bytes.Repeat([]byte{byte(j)}, 300+j%500)...)
	}
	snap = fmt.Appendf(nil, "snapshot %d ", snapID)
	snap = append(snap, bytes.Repeat([]byte{byte(snapID)}, 20000)...)
	return state, snap
}

// TestKillChild is the child side: it saves forever from where the store
// left off, printing the number of every save that returned.
func TestKillChild(t *testing.T) {
	dir := os.Getenv(killEnv)
	if dir == "" {
		t.Skip("the child process of TestKillDuringSaves")
	}
	s, err := Open(dir, Options{CompactBytes: 256 << 10})
	require.NoError(t, err)
	next := 0
	if st := s.ReadState(); st != nil {
		_, err := fmt.Sscanf(string(st), "save %d", &next)
		require.NoError(t, err)
		next++
	}
	for i := next; ; i++ {
		require.NoError(t, s.Save(killSave(i)))
		fmt.Printf("saved %d\n", i)
	}
}

// TestKillDuringSaves kills a process that saves in a loop with SIGKILL,
// several times, and checks that every save it acknowledged survives and
// that state and snapshot always belong to the same save.
func TestKillDuringSaves(t *testing.T) {
	if testing.Short() {
		t.Skip("starts child processes")
	}
	dir := t.TempDir()
	acked := -1
	for round := range 4 {
		cmd := exec.Command(os.Args[0], "-test.run=^TestKillChild$", "-test.v")
		cmd.Env = append(os.Environ(), killEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		require.NoError(t, err)
		require.NoError(t, cmd.Start())
		sc := bufio.NewScanner(out)
		deadline := time.Now().Add(10 * time.Second)
		target := acked + 30 + 17*round // kill at a different point each round
		read := func() bool {
			if !sc.Scan() {
				return false
			}
			if n, ok := strings.CutPrefix(sc.Text(), "saved "); ok {
				acked, err = strconv.Atoi(n)
				require.NoError(t, err)
			}
			return true
		}
		for acked < target && read() {
			require.True(t, time.Now().Before(deadline), "child too slow")
		}
		require.NoError(t, cmd.Process.Kill()) // SIGKILL: no defers, no flushing
		for read() {
			// Lines still in the pipe: saves the child acknowledged
			// before it died.
		}
		_ = cmd.Wait()

		s, err := Open(dir, Options{})
		require.NoError(t, err, "round %d", round)
		var got int
		_, err = fmt.Sscanf(string(s.ReadState()), "save %d", &got)
		require.NoError(t, err)
		// The save in flight when the kill came may or may not be there.
		require.GreaterOrEqual(t, got, acked, "round %d: an acknowledged save was lost", round)
		require.LessOrEqual(t, got, acked+1, "round %d", round)
		wantState, wantSnap := killSave(got)
		require.Equal(t, wantState, s.ReadState(), "round %d", round)
		require.Equal(t, wantSnap, s.ReadSnapshot(), "round %d: snapshot of another save", round)
		require.NoError(t, s.Close())
		acked = got
	}
}

// The saves of the child are mostly deltas, so that the kills tear them.
func TestKillSavesAreDeltas(t *testing.T) {
	s, err := Open(t.TempDir(), Options{NoSync: true, CompactBytes: 256 << 10})
	require.NoError(t, err)
	for i := range 70 {
		require.NoError(t, s.Save(killSave(i)))
	}
	require.GreaterOrEqual(t, s.Stats().Deltas, int64(40))
	require.NoError(t, s.Close())
}
