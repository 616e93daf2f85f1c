package labs_test

import (
	"fmt"
	"testing"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/raft"
)

// The suites judge Raft, not our Raft: every scenario of every stage —
// parity tests, targeted schedules and swarms — must pass each of the
// reference's replication designs (raft.Flows(): one batch in flight per
// follower, and pipelined with sends from Start at once), on several seeds
// each. A schedule that encodes one
// design's flow control (which request is in flight when, what a reply
// carries beyond what the paper fixes) fails one of them here.

// designSeeds is how many seeds each scenario runs per design: its own
// default count (Scenario.Seeds), at most maxDesignSeeds, and two
// under -short.
const maxDesignSeeds = 8

func designSeeds(sc labs.Scenario) []uint64 {
	n := min(max(sc.Seeds, 1), maxDesignSeeds)
	if testing.Short() {
		n = min(n, 2)
	}
	return labs.SeedPlan{Count: n}.Seeds(sc)
}

func TestEveryScenarioPassesEveryReferenceDesign(t *testing.T) {
	for _, flow := range raft.Flows() {
		impl := labs.Impl{Name: "reference (" + flow.String() + ")", Factory: raft.NewFactory(raft.Options{Flow: flow})}
		t.Run(flow.String(), func(t *testing.T) {
			for _, stage := range labs.Stages {
				t.Run(string(stage), func(t *testing.T) {
					for _, sc := range labs.Scenarios(stage) {
						t.Run(sc.Name, func(t *testing.T) {
							for _, seed := range designSeeds(sc) {
								res := labs.Run{Impl: impl, Scenario: sc, Seed: seed, Name: t.Name()}.Execute()
								if res.Failure != nil {
									t.Fatalf("design %s failed scenario %s of stage %s with seed %d: a correct design must pass every scenario\n%s",
										flow, sc.Name, stage, seed, res.Failure.Error())
								}
							}
							t.Logf("%s: seeds %s passed", flow, labs.SeedRange(designSeeds(sc)))
						})
					}
				})
			}
		})
	}
}

// TestFlowsAreDistinct guards the proof above: a design list that named
// the default twice would prove nothing.
func TestFlowsAreDistinct(t *testing.T) {
	seen := map[string]bool{}
	for _, f := range raft.Flows() {
		name := fmt.Sprint(f)
		if seen[name] {
			t.Fatalf("raft.Flows() names %s twice", name)
		}
		seen[name] = true
	}
	if len(seen) < 2 {
		t.Fatalf("raft.Flows() has %d design(s); the proof needs at least two", len(seen))
	}
}
