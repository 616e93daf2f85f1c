package labs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// neverCompacts is the reference with Snapshot ignored: the log is never
// trimmed, so the saved state grows with every command.
type neverCompacts struct{ raftapi.Node }

func (neverCompacts) Snapshot(int, []byte) {}

// noInstallSnapshotEnv loses every InstallSnapshot the node sends: the
// leader that never brings a follower past its snapshot.
type noInstallSnapshotEnv struct{ raftapi.Env }

func (noInstallSnapshotEnv) SendInstallSnapshot(int, *raftapi.InstallSnapshotArgs, func(*raftapi.InstallSnapshotReply)) {
}

var (
	neverCompactsFactory raftapi.Factory = func(me, peers int, env raftapi.Env) raftapi.Node {
		return neverCompacts{raft.New(me, peers, env)}
	}
	noInstallSnapshotFactory raftapi.Factory = func(me, peers int, env raftapi.Env) raftapi.Node {
		return raft.New(me, peers, noInstallSnapshotEnv{env})
	}
)

func TestSnapshotScenariosCatchMutants(t *testing.T) {
	checkMutants(t, snapshotSuite(), []mutantCase{
		{"SnapshotBasic", "never compacts", neverCompactsFactory, []string{"Log compaction"}},
		{"SizeBound", "never compacts", neverCompactsFactory, []string{"Log compaction"}},
		{"InstallSnapshotDisconnect", "never sends InstallSnapshot", noInstallSnapshotFactory, []string{"InstallSnapshot"}},
		{"InstallSnapshotCrash", "never sends InstallSnapshot", noInstallSnapshotFactory, []string{"InstallSnapshot"}},
		{"InstallSnapshotUnreliable", "never sends InstallSnapshot", noInstallSnapshotFactory, []string{"InstallSnapshot"}},
		{"InstallSnapshotUnreliableCrash", "never sends InstallSnapshot", noInstallSnapshotFactory, []string{"InstallSnapshot"}},
		{"Init", "never saves the snapshot", snapshotLosingFactory, []string{"Snapshot persistence", "Durability"}},
		{"AllCrash", "never saves the snapshot", snapshotLosingFactory, []string{"Snapshot persistence", "Durability"}},
		{"AllCrash", "never saves", forgetfulFactory, []string{"Terms never decrease", "Durability"}},
		{"Init", "never saves", forgetfulFactory, []string{"Terms never decrease", "Durability"}},
	})
}

// TestSnapshotSizeBoundMessage checks that the size failure says what was
// measured, against what bound, and what to do.
func TestSnapshotSizeBoundMessage(t *testing.T) {
	res := runScenario(scenarioNamed(t, snapshotSuite(), "SizeBound"), neverCompactsFactory, 1)
	require.NotNil(t, res.Failure)
	msg := res.Failure.Message
	assert.Regexp(t, `^node \d's saved Raft state is \d+\.\d KB after \d+ commands of 100 bytes with a snapshot every 10; the bound is 8 KB: after Snapshot\(index, \.\.\.\) discard log entries through index and save only what follows \(Figure 13, §7\)$`, msg)
	assert.Equal(t, "§7, Figure 13", res.Failure.Paper)
}

// TestSnapshotInstallScenariosExerciseInstallSnapshot checks that the
// scenarios named after InstallSnapshot make the reference send it: their
// victims really do fall behind every other node's snapshot.
func TestSnapshotInstallScenariosExerciseInstallSnapshot(t *testing.T) {
	for _, name := range []string{"InstallSnapshotDisconnect", "InstallSnapshotCrash", "InstallSnapshotUnreliable", "InstallSnapshotUnreliableCrash"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			sc := scenarioNamed(t, snapshotSuite(), name)
			for seed := uint64(1); seed <= uint64(sc.Seeds); seed++ {
				res := runScenario(sc, raft.New, seed)
				require.Nil(t, res.Failure, "seed %d: %v", seed, res.Failure)
				assert.Positive(t, res.Stats.RPCs[sim.MsgInstallSnapshot], "seed %d sent no InstallSnapshot", seed)
			}
		})
	}
}
