package labs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// votesForAll is the reference with a broken RequestVote: it grants every
// vote (and pre-vote) it is asked for, twice in a term if asked twice.
type votesForAll struct{ raftapi.Node }

func (n votesForAll) RequestVote(from int, args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
	n.Node.RequestVote(from, args, reply)
	reply.VoteGranted = true
}

// noConsistencyCheck is the reference as a follower that skips the
// AppendEntries consistency check (Figure 2, receiver rule 2): it
// rewrites PrevLogTerm to whatever its own log holds at PrevLogIndex, so
// every AppendEntries matches.
type noConsistencyCheck struct{ raftapi.Node }

func (n noConsistencyCheck) AppendEntries(from int, args *raftapi.AppendEntriesArgs, reply *raftapi.AppendEntriesReply) {
	st, lv := n.Inspect(), n.InspectLog()
	switch k := args.PrevLogIndex - lv.FirstIndex; {
	case args.PrevLogIndex == st.SnapshotIndex:
		args.PrevLogTerm = st.SnapshotTerm
	case k >= 0 && k < len(lv.Terms):
		args.PrevLogTerm = lv.Terms[k]
	}
	n.Node.AppendEntries(from, args, reply)
}

// snapshotLosingEnv saves the Raft state but never the snapshot: after a
// restart the node's log starts after a snapshot its service never gets.
type snapshotLosingEnv struct{ raftapi.Env }

func (e snapshotLosingEnv) Persister() raftapi.Persister {
	return snapshotLosingPersister{e.Env.Persister()}
}

type snapshotLosingPersister struct{ raftapi.Persister }

func (p snapshotLosingPersister) Save(state, _ []byte) { p.Persister.Save(state, nil) }

var (
	votesForAllFactory        raftapi.Factory = func(me, peers int, env raftapi.Env) raftapi.Node { return votesForAll{raft.New(me, peers, env)} }
	noConsistencyCheckFactory raftapi.Factory = func(me, peers int, env raftapi.Env) raftapi.Node {
		return noConsistencyCheck{raft.New(me, peers, env)}
	}
	snapshotLosingFactory raftapi.Factory = func(me, peers int, env raftapi.Env) raftapi.Node {
		return raft.New(me, peers, snapshotLosingEnv{env})
	}
)

// TestSwarmCatchesBrokenImplementations runs each stage's swarm over its
// default seeds against a reference with one bug of that stage: some seeds
// must fail, every failure must be a safety violation (not a liveness
// timeout or a crash of the simulator), and at least one must name the
// rule the bug breaks first (a bug's consequences, on other seeds, show
// up under other rules too), among the default seeds or, failing that, up
// to five times as many.
func TestSwarmCatchesBrokenImplementations(t *testing.T) {
	for _, tc := range []struct {
		stage Stage
		impl  string
		f     raftapi.Factory
		rule  string // the rule the bug breaks first
	}{
		{Election, "votes for every candidate", votesForAllFactory, "One vote per term"},
		{Replication, "skips the AppendEntries consistency check", noConsistencyCheckFactory, "Log Matching"},
		{Persistence, "never saves", forgetfulFactory, "Terms never decrease"},
		{Snapshots, "never saves the snapshot", snapshotLosingFactory, "Durability"},
	} {
		t.Run(string(tc.stage)+"/"+tc.impl, func(t *testing.T) {
			t.Parallel()
			sc := swarm(tc.stage)[0]
			var caught []uint64
			rules := map[string]int{}
			for seed := uint64(1); seed <= uint64(sc.Seeds); seed++ {
				res := runScenario(sc, tc.f, seed)
				if res.Failure == nil {
					continue
				}
				caught = append(caught, seed)
				rules[res.Failure.Rule]++
				require.Equal(t, sim.KindSafety, res.Failure.Kind, "seed %d: %s", seed, res.Failure.Error())
			}
			require.NotEmpty(t, caught, "the %s swarm's %d default seeds must catch an implementation that %s", tc.stage, sc.Seeds, tc.impl)
			// Which rule a run reports first depends on the traffic; if
			// the default seeds happen not to name the bug's own rule,
			// more seeds of the same swarm must.
			for seed := uint64(sc.Seeds) + 1; rules[tc.rule] == 0 && seed <= 5*uint64(sc.Seeds); seed++ {
				res := runScenario(sc, tc.f, seed)
				if res.Failure == nil {
					continue
				}
				require.Equal(t, sim.KindSafety, res.Failure.Kind, "seed %d: %s", seed, res.Failure.Error())
				if res.Failure.Rule == tc.rule {
					rules[tc.rule]++
					t.Logf("seed %d (beyond the default seeds) reports %q", seed, tc.rule)
				}
			}
			assert.Contains(t, rules, tc.rule, "some seed must report the rule an implementation that %s breaks", tc.impl)
			t.Logf("caught on %d of %d seeds %v, under %v", len(caught), sc.Seeds, caught, rules)
		})
	}
}

// TestSwarmPassesTheReference runs a few seeds of every stage's swarm
// against the reference (the stage suites in package raft run them all).
func TestSwarmPassesTheReference(t *testing.T) {
	for _, stage := range Stages {
		t.Run(string(stage), func(t *testing.T) {
			t.Parallel()
			sc := swarm(stage)[0]
			for seed := uint64(1); seed <= 3; seed++ {
				res := runScenario(sc, raft.New, seed)
				require.Nil(t, res.Failure, "seed %d: %v", seed, res.Failure)
			}
		})
	}
}

// TestSwarmConfigureDrawsPerSeed checks that the world a seed draws is a
// function of the seed alone, that the draws cover every value, that only
// the snapshot stage snapshots, and that both liveness phases come up.
func TestSwarmConfigureDrawsPerSeed(t *testing.T) {
	nodes := map[int]bool{}
	every := map[int]bool{}
	lockstep := map[bool]bool{}
	cores := 0
	for seed := uint64(1); seed <= 200; seed++ {
		var a, b sim.Config
		swarm(Snapshots)[0].Configure(&a, seed)
		swarm(Snapshots)[0].Configure(&b, seed)
		require.Equal(t, a, b, "seed %d draws the same world twice", seed)
		assert.Equal(t, seed, a.Seed)
		nodes[a.Nodes] = true
		every[a.SnapshotEvery] = true
		lockstep[a.LockstepTicks] = true
		assert.LessOrEqual(t, a.ClockSkew, 0.2)

		var e sim.Config
		swarm(Replication)[0].Configure(&e, seed)
		assert.Zero(t, e.SnapshotEvery, "seed %d: the replication stage does not snapshot", seed)

		d := swarmPlan(Persistence).Draw(seed)
		assert.LessOrEqual(t, d.Duration, swarmDuration)
		assert.LessOrEqual(t, d.Duration, swarmCommands*d.Nemesis.ClientGap, "seed %d: the client offers about %d commands at most", seed, swarmCommands)
		if d.Core != nil {
			cores++
		}
	}
	assert.Equal(t, map[int]bool{3: true, 5: true, 7: true}, nodes)
	assert.Equal(t, map[int]bool{3: true, 10: true, 25: true}, every)
	assert.Len(t, lockstep, 2)
	assert.Greater(t, cores, 50, "some seeds heal only a core majority")
	assert.Less(t, cores, 150, "some seeds heal every node")
}

// TestSwarmFaultsFitTheStage checks that crashes come only with the
// stage that makes state survive them.
func TestSwarmFaultsFitTheStage(t *testing.T) {
	for _, tc := range []struct {
		stage   Stage
		crashes bool
	}{{Election, false}, {Replication, false}, {Persistence, true}, {Snapshots, true}} {
		f := swarmFaults(tc.stage)
		assert.Equal(t, tc.crashes, f.Crashes, "%s", tc.stage)
		assert.True(t, f.Partitions && f.Unreliable && f.Pauses, "%s", tc.stage)
	}
}
