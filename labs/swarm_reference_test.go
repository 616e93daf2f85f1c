package labs

// Files named *_reference_test.go run the reference (package raft), which
// only instructors have: the student handout leaves them out (see
// .handoutignore at the repository's root).

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

// startCounter is the reference with every Start call counted: the
// election stage must make none.
type startCounter struct {
	raftapi.Node
	calls *int
}

func (n startCounter) Start(cmd []byte) (int, int, bool) {
	*n.calls++
	return n.Node.Start(cmd)
}

// TestElectionStageExercisesElectionOnly runs every scenario of the
// election stage over its default seeds, against a reference whose Start
// is counted and against one that skips the AppendEntries consistency
// check: the stage proposes no command, so no run applies an entry, and a
// replication bug passes it (the replication stage reports it, under its
// own rule) instead of costing election points under a generic rule.
func TestElectionStageExercisesElectionOnly(t *testing.T) {
	assert.Zero(t, swarmPlan(Election).Draw(1).Nemesis.ClientGap, "the election swarm has no client")
	for _, sc := range Suite(Election) {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			calls := 0
			counted := func(me, peers int, env raftapi.Env) raftapi.Node {
				return startCounter{raft.New(me, peers, env), &calls}
			}
			for seed := uint64(1); seed <= uint64(sc.Seeds); seed++ {
				res := runScenario(sc, counted, seed)
				require.Nil(t, res.Failure, "seed %d: %v", seed, res.Failure)
				assert.Zero(t, res.Stats.Committed, "seed %d: no entry is applied in the election stage", seed)
				res = runScenario(sc, noConsistencyCheckFactory, seed)
				require.Nil(t, res.Failure, "seed %d: a replication bug must not fail the election stage: %v", seed, res.Failure)
			}
			assert.Zero(t, calls, "the election stage's scenarios call Start")
		})
	}
}
