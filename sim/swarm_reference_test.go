package sim_test

// Files named *_reference_test.go run the reference (package raft), which
// only instructors have: the student handout leaves them out (see
// .handoutignore at the repository's root).

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/sim/simtest"
)

// TestQuiesceCore: the core is up, running and connected both ways; every
// other node keeps its state and reaches nobody.
func TestQuiesceCore(t *testing.T) {
	cfg := sim.Config{Nodes: 5, Factory: raft.New, Seed: 1}
	res := sim.Run(cfg, func(c *sim.Cluster) {
		c.Crash(0)
		c.Crash(3)
		c.Pause(1)
		c.Pause(4)
		c.Partition([]int{0, 1}, []int{2, 3, 4})
		c.QuiesceCore([]int{0, 1, 2})
		assert.Equal(t, sim.Reliable(), c.Network())
		for i := range 5 {
			core := i <= 2
			for j := range 5 {
				if i != j {
					assert.Equal(t, core && j <= 2, c.Linked(i, j), "link %d→%d", i, j)
				}
			}
		}
		assert.True(t, c.Up(0) && c.Up(1) && c.Up(2))
		assert.False(t, c.Paused(1), "a paused core node resumes")
		assert.False(t, c.Up(3), "a crashed node outside the core stays crashed")
		assert.True(t, c.Paused(4), "a paused node outside the core stays paused")
		c.CheckCoreLiveness([]int{0, 1, 2}, 5*time.Second, 5*time.Second)
		for _, i := range []int{0, 1, 2} {
			assert.Equal(t, c.MaxApplied(), c.LastApplied(i))
		}
	})
	require.Nil(t, res.Failure)
}

// TestCoreLivenessFailuresNameTheCore: a core that cannot elect, or a
// leader that never commits, fails the run as a liveness miss whose
// nodes and message name the core.
func TestCoreLivenessFailuresNameTheCore(t *testing.T) {
	leads := func(tt *simtest.Toy) {
		if tt.Me == 0 {
			tt.State.Role, tt.State.Term = raftapi.Leader, 1
		}
		tt.State.Term = 1
	}
	tests := []struct {
		name    string
		factory raftapi.Factory
		rule    string
		want    string
	}{
		{"no leader", simtest.ToyFactory(nil), "Leader election", "the core [0 1] (a majority of 3 nodes"},
		{"no commit", simtest.ToyFactory(func(tt *simtest.Toy) {
			leads(tt)
			tt.OnStart = func(tt *simtest.Toy, cmd []byte) (int, int, bool) {
				tt.AppendLog(1, string(cmd))
				return tt.State.LastIndex, 1, true
			}
		}), "Agreement", "core nodes [0 1] had not applied it"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := sim.Run(sim.Config{Nodes: 3, Factory: tt.factory, Seed: 1}, func(c *sim.Cluster) {
				c.Crash(2)
				c.QuiesceCore([]int{0, 1})
				c.CheckCoreLiveness([]int{0, 1}, time.Second, time.Second)
			})
			require.NotNil(t, res.Failure)
			assert.Equal(t, sim.KindLiveness, res.Failure.Kind)
			assert.Equal(t, tt.rule, res.Failure.Rule)
			assert.Equal(t, []int{0, 1}, res.Failure.Nodes)
			assert.Contains(t, res.Failure.Message, tt.want)
		})
	}
}

// TestSwarmPassesTheReference runs both liveness phases, every fault,
// against the reference.
func TestSwarmPassesTheReference(t *testing.T) {
	for _, l := range []sim.Liveness{sim.LivenessHealAll, sim.LivenessCore} {
		t.Run(l.String(), func(t *testing.T) {
			t.Parallel()
			plan := sim.Swarm{Faults: allFaults, Clocks: true, SnapshotEvery: []int{5, 50}, Duration: 5 * time.Second, Liveness: l}
			for seed := range uint64(15) {
				d := plan.Draw(seed)
				cfg := sim.Config{Factory: raft.New, Scenario: "swarm"}
				d.Configure(&cfg)
				res := sim.Run(cfg, plan.Scenario())
				require.Nil(t, res.Failure, "seed %d (%s): %v", seed, d, res.Failure)
				assert.Positive(t, res.Stats.Committed)
			}
		})
	}
}

// TestSwarmNoClient: without a client, only the liveness command commits.
func TestSwarmNoClient(t *testing.T) {
	plan := sim.Swarm{Faults: sim.Faults{Partitions: true}, NoClient: true, Duration: 3 * time.Second, Liveness: sim.LivenessHealAll}
	d := plan.Draw(3)
	cfg := sim.Config{Factory: raft.New}
	d.Configure(&cfg)
	res := sim.Run(cfg, plan.Scenario())
	require.Nil(t, res.Failure)
	assert.Equal(t, 1, res.Stats.Committed)
}

// waitsForAll is the reference as a leader that counts a follower's
// acknowledgement of an index only once every follower has acknowledged
// it: it commits only with the whole cluster, which Raft does not need
// (§5.3: a majority suffices).
type waitsForAll struct {
	me      int
	matched []int // the highest index each peer acknowledged
}

type waitsForAllEnv struct {
	raftapi.Env
	w *waitsForAll
}

func (e waitsForAllEnv) SendAppendEntries(to int, args *raftapi.AppendEntriesArgs, onReply func(*raftapi.AppendEntriesReply)) {
	match := args.PrevLogIndex + len(args.Entries)
	e.Env.SendAppendEntries(to, args, func(r *raftapi.AppendEntriesReply) {
		if r.Success {
			e.w.matched[to] = max(e.w.matched[to], match)
			for p, m := range e.w.matched {
				if p != e.w.me && m < match {
					return // not everyone has it yet: as if the reply were lost
				}
			}
		}
		onReply(r)
	})
}

func waitsForAllFactory(me, peers int, env raftapi.Env) raftapi.Node {
	return raft.New(me, peers, waitsForAllEnv{env, &waitsForAll{me: me, matched: make([]int, peers)}})
}

// TestCoreConvergenceCatchesALeaderThatWaitsForAll: a leader that commits
// only with every follower's acknowledgement recovers once every node is
// healed, but a core majority with the other nodes down must fail it, as
// a liveness miss that names the core.
func TestCoreConvergenceCatchesALeaderThatWaitsForAll(t *testing.T) {
	for _, tc := range []struct {
		liveness sim.Liveness
		caught   bool
	}{{sim.LivenessHealAll, false}, {sim.LivenessCore, true}} {
		t.Run(tc.liveness.String(), func(t *testing.T) {
			plan := sim.Swarm{Faults: sim.Faults{Crashes: true, Partitions: true}, Duration: 5 * time.Second, Liveness: tc.liveness}
			for seed := range uint64(8) {
				d := plan.Draw(seed)
				cfg := sim.Config{Factory: waitsForAllFactory, Scenario: "swarm"}
				d.Configure(&cfg)
				res := sim.Run(cfg, plan.Scenario())
				if !tc.caught {
					require.Nil(t, res.Failure, "seed %d (%s)", seed, d)
					continue
				}
				require.NotNil(t, res.Failure, "seed %d (%s)", seed, d)
				assert.Equal(t, sim.KindLiveness, res.Failure.Kind, "seed %d: %v", seed, res.Failure)
				assert.Equal(t, "Agreement", res.Failure.Rule, "seed %d: %v", seed, res.Failure)
				assert.Equal(t, d.Core, res.Failure.Nodes, "seed %d", seed)
				assert.Contains(t, res.Failure.Message, fmt.Sprintf("the core %v", d.Core))
			}
		})
	}
}
