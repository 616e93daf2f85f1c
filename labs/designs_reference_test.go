package labs_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// The suites judge Raft, not our Raft: every scenario of every stage —
// parity tests, targeted schedules and swarms — and every rule test must
// pass each of the reference's designs (raft.Designs: one batch in flight
// per follower; pipelined, with sends from Start at once; pipelined with
// a follower that trims requests reaching into its snapshot and fills in
// the hints only when it refuses), on several seeds each. A schedule or
// rule that encodes one design's flow control, or reads what the contract
// leaves open, fails one of them here.

// maxDesignSeeds caps the seeds each scenario runs per design: its own
// default count (Scenario.Seeds), at most this, and two under -short.
const maxDesignSeeds = 8

func designSeeds(sc labs.Scenario) []uint64 {
	n := min(max(sc.Seeds, 1), maxDesignSeeds)
	if testing.Short() {
		n = min(n, 2)
	}
	return labs.SeedPlan{Count: n}.Seeds(sc)
}

func TestEveryScenarioPassesEveryReferenceDesign(t *testing.T) {
	for _, d := range raft.Designs() {
		impl := labs.Impl{Name: "reference (" + d.Name + ")", Factory: raft.NewFactory(d.Options)}
		t.Run(d.Name, func(t *testing.T) {
			for _, stage := range labs.Stages {
				t.Run(string(stage), func(t *testing.T) {
					for _, sc := range labs.Scenarios(stage) {
						t.Run(sc.Name, func(t *testing.T) {
							seeds := designSeeds(sc)
							for _, seed := range seeds {
								res := labs.Run{Impl: impl, Scenario: sc, Seed: seed, Name: t.Name()}.Execute()
								if res.Failure != nil {
									t.Fatalf("design %s failed scenario %s of stage %s with seed %d: a correct design must pass every scenario\n%s",
										d.Name, sc.Name, stage, seed, res.Failure.Error())
								}
							}
							t.Logf("design %s: seeds %s passed", d.Name, labs.SeedRange(seeds))
						})
					}
				})
			}
		})
	}
}

func TestEveryRulePassesEveryReferenceDesign(t *testing.T) {
	for _, d := range raft.Designs() {
		t.Run(d.Name, func(t *testing.T) { rules.Run(t, raft.NewFactory(d.Options)) })
	}
}

// TestDesignsAreDistinct guards the proof above: a design list that named
// the default twice would prove nothing.
func TestDesignsAreDistinct(t *testing.T) {
	names := map[string]bool{}
	opts := map[raft.Options]bool{}
	for _, d := range raft.Designs() {
		if names[d.Name] || opts[d.Options] {
			t.Fatalf("raft.Designs() lists design %s (%+v) twice", d.Name, d.Options)
		}
		names[d.Name], opts[d.Options] = true, true
	}
	if len(names) < 2 {
		t.Fatalf("raft.Designs() has %d design(s); the proof needs at least two", len(names))
	}
}

// noSnapshotEnv is an Env whose node never gets an InstallSnapshot out: a
// leader that never sends its snapshot.
type noSnapshotEnv struct{ raftapi.Env }

func (noSnapshotEnv) SendInstallSnapshot(int, *raftapi.InstallSnapshotArgs, func(*raftapi.InstallSnapshotReply)) {
}

// TestTargetedReportSaysWhatItWaitedFor: when a schedule's step does not
// happen, the report explains it in terms of the student's node state
// (nextIndex, matchIndex, the logs), so that a student need not read
// labs/targeted.go.
func TestTargetedReportSaysWhatItWaitedFor(t *testing.T) {
	sc, err := labs.FindScenario(labs.Snapshots, "TargetedInstallSnapshotKeepsSuffix")
	require.NoError(t, err)
	f := func(me, peers int, env raftapi.Env) raftapi.Node { return raft.New(me, peers, noSnapshotEnv{env}) }
	res := labs.Run{Impl: labs.Impl{Name: "never sends InstallSnapshot", Factory: f}, Scenario: sc, Seed: 1}.Execute()
	require.NotNil(t, res.Failure, "a leader that never sends InstallSnapshot passed %s", sc.Name)
	msg := res.Failure.Message
	assert.Equal(t, sim.KindLiveness, res.Failure.Kind, msg)
	// The follower, starved by a leader stuck waiting for its snapshot's
	// reply, may campaign and depose it: the report says so, or names
	// the leader's nextIndex and matchIndex for the follower.
	assert.Regexp(t, `Follower \d's log ends at \d+`, msg, "the report gives the follower's log")
	if !strings.Contains(msg, "no longer the leader") {
		assert.Contains(t, msg, "nextIndex[", "the report names the leader's nextIndex for the follower")
		assert.Contains(t, msg, "matchIndex[", "the report names the leader's matchIndex for the follower")
	}
	assert.Contains(t, msg, "withholds", "the report says what the schedule holds back")
	assert.Contains(t, msg, "compacted away", "the report says why the leader needs InstallSnapshot")
}
