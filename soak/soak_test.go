package soak_test

import (
	"context"
	"errors"
	"go/build"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/soak"
)

// TestReferenceSurvivesTheSample is the small fixed sample CI runs: every
// mix, 20 seeds each, against the reference. Any violation or liveness miss
// fails the test with the failing seeds and their replay commands.
func TestReferenceSurvivesTheSample(t *testing.T) {
	seeds := 20
	if testing.Short() {
		seeds = 5
	}
	rep, err := soak.Run(context.Background(), soak.Options{Seeds: seeds, Duration: 10 * time.Second, Factory: raft.New})
	require.NoError(t, err)
	require.Len(t, rep.Mixes, len(soak.MixNames()))
	for _, m := range rep.Mixes {
		t.Run(m.Mix, func(t *testing.T) {
			assert.Equal(t, seeds, m.Runs)
			for _, f := range m.Failures {
				t.Errorf("seed %d (%s): %s\n  replay: %s", f.Seed, f.Plan, f.Summary, f.Replay)
			}
			assert.Zero(t, m.Violations, "violations")
			assert.Zero(t, m.LivenessMisses, "liveness misses")
			assert.Positive(t, m.Commits, "the client's commands must commit")
			assert.Positive(t, m.Events)
		})
	}
	assert.Equal(t, seeds*len(soak.MixNames()), rep.Total.Runs)
	assert.False(t, rep.Failed())
}

// brokenEnv wraps a node's Env; with forget set, Persister().Save does
// nothing, so a restarted node forgets its term, vote and log.
type brokenEnv struct {
	raftapi.Env
	forget bool
}

func (e brokenEnv) Persister() raftapi.Persister {
	if e.forget {
		return forgetful{e.Env.Persister()}
	}
	return e.Env.Persister()
}

type forgetful struct{ raftapi.Persister }

func (forgetful) Save(_, _ []byte) {}

// promiscuous wraps a node so that it grants every vote it is asked for.
type promiscuous struct{ raftapi.Node }

func (p promiscuous) RequestVote(from int, args *raftapi.RequestVoteArgs, reply *raftapi.RequestVoteReply) {
	p.Node.RequestVote(from, args, reply)
	reply.VoteGranted = true
}

// TestBrokenImplementationsFail shows the soak can fail: deliberately broken
// variants of the reference produce violations in the report.
func TestBrokenImplementationsFail(t *testing.T) {
	tests := []struct {
		name    string
		factory raftapi.Factory
		mixes   []string
	}{
		{"grants every vote", func(me, peers int, env raftapi.Env) raftapi.Node {
			return promiscuous{raft.New(me, peers, env)}
		}, []string{"partitions", "all"}},
		{"never saves", func(me, peers int, env raftapi.Env) raftapi.Node {
			return raft.New(me, peers, brokenEnv{Env: env, forget: true})
		}, []string{"crashes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rep, err := soak.Run(context.Background(), soak.Options{
				Mixes: tt.mixes, Seeds: 10, Duration: 5 * time.Second, Factory: tt.factory, Implementation: tt.name,
			})
			require.NoError(t, err)
			require.True(t, rep.Failed())
			assert.Positive(t, rep.Total.Violations, "a broken implementation must violate safety")
			require.NotEmpty(t, rep.Total.Failures)
			f := rep.Total.Failures[0]
			t.Logf("%d violations, %d liveness misses in %d runs; first: seed %d: %s", rep.Total.Violations, rep.Total.LivenessMisses, rep.Total.Runs, f.Seed, f.Summary)
			assert.Contains(t, f.Replay, "go run ./cmd/soak -mix "+f.Mix)
			assert.NotEmpty(t, f.Summary)

			// The listed seed replays to the same failure.
			res, err := soak.Replay(soak.Options{Duration: 5 * time.Second, Factory: tt.factory, Implementation: tt.name}, f.Mix, f.Seed)
			require.NoError(t, err)
			require.NotNil(t, res.Failure)
			assert.Equal(t, f.Summary, soak.Summary(res.Failure))
			require.NotNil(t, res.Trace)
			assert.False(t, res.Trace.Result.OK)
		})
	}
}

// TestSameOptionsSameReport: a report depends only on its options (wall
// times aside), whatever the parallelism.
func TestSameOptionsSameReport(t *testing.T) {
	o := soak.Options{Mixes: []string{"all", "all+snapshots"}, Seeds: 6, FirstSeed: 100, Duration: 3 * time.Second, Factory: raft.New}
	run := func(parallel int) *soak.Report {
		o := o
		o.Parallel = parallel
		rep, err := soak.Run(context.Background(), o)
		require.NoError(t, err)
		rep.Total.Wall = 0
		for i := range rep.Mixes {
			rep.Mixes[i].Wall = 0
		}
		return rep
	}
	a, b := run(1), run(2)
	assert.Equal(t, a, b)
	assert.Equal(t, 12, a.Total.Runs)
}

// TestReplayIsTheSameRun: Replay reproduces the run of Run, event for event.
func TestReplayIsTheSameRun(t *testing.T) {
	o := soak.Options{Mixes: []string{"skew+lockstep"}, Seeds: 1, FirstSeed: 7, Duration: 3 * time.Second, Factory: raft.New}
	rep, err := soak.Run(context.Background(), o)
	require.NoError(t, err)
	res, err := soak.Replay(o, "skew+lockstep", 7)
	require.NoError(t, err)
	require.Nil(t, res.Failure)
	assert.Equal(t, rep.Mixes[0].Events, res.Stats.Events)
	assert.Equal(t, rep.Mixes[0].Commits, int64(res.Stats.Committed))
	require.NotNil(t, res.Trace)
	assert.Equal(t, "soak/skew+lockstep", res.Trace.Header.Scenario)
}

func TestPlans(t *testing.T) {
	tests := []struct {
		mix   string
		seed  uint64
		nodes int
		check func(t *testing.T, p soak.Plan)
	}{
		{"partitions", 1, 0, func(t *testing.T, p soak.Plan) {
			assert.Equal(t, sim.Faults{Partitions: true}, p.Nemesis.Faults)
			assert.Contains(t, []int{3, 5, 7}, p.Nodes)
			assert.Zero(t, p.SnapshotEvery)
		}},
		{"unreliable", 2, 4, func(t *testing.T, p soak.Plan) {
			assert.Equal(t, sim.Faults{Unreliable: true}, p.Nemesis.Faults)
			assert.Equal(t, 4, p.Nodes, "Options.Nodes fixes the size")
			assert.Positive(t, p.Nemesis.Net.DropRate)
		}},
		{"all+snapshots", 3, 0, func(t *testing.T, p soak.Plan) {
			assert.Contains(t, []int{5, 10, 50}, p.SnapshotEvery)
			assert.NotEqual(t, sim.Faults{}, p.Nemesis.Faults)
		}},
		{"skew+lockstep", 4, 0, func(t *testing.T, p soak.Plan) {
			assert.Contains(t, []float64{0, 0.05, 0.1, 0.2}, p.ClockSkew)
		}},
		{"all", 5, 0, func(t *testing.T, p soak.Plan) {
			assert.Zero(t, p.ClockSkew, "only skew+lockstep skews clocks")
			assert.False(t, p.LockstepTicks)
		}},
	}
	for _, tt := range tests {
		t.Run(tt.mix, func(t *testing.T) {
			o := soak.Options{Nodes: tt.nodes}
			p, err := soak.PlanFor(o, tt.mix, tt.seed)
			require.NoError(t, err)
			again, err := soak.PlanFor(o, tt.mix, tt.seed)
			require.NoError(t, err)
			assert.Equal(t, p, again, "a plan is a function of the seed")
			assert.Contains(t, p.String(), tt.mix)
			tt.check(t, p)
		})
	}

	// Every seed's nemesis injects something.
	for _, mix := range soak.MixNames() {
		for seed := range uint64(200) {
			p, err := soak.PlanFor(soak.Options{}, mix, seed)
			require.NoError(t, err)
			require.NotEqual(t, sim.Faults{}, p.Nemesis.Faults, "%s seed %d", mix, seed)
		}
	}
}

func TestBadOptions(t *testing.T) {
	tests := []struct {
		name string
		o    soak.Options
		want string
	}{
		{"no factory", soak.Options{Seeds: 1}, "Options.Factory is required"},
		{"no seeds", soak.Options{Factory: raft.New}, "Seeds must be at least 1"},
		{"unknown mix", soak.Options{Factory: raft.New, Seeds: 1, Mixes: []string{"earthquakes"}}, `unknown mix "earthquakes"`},
		{"mix twice", soak.Options{Factory: raft.New, Seeds: 1, Mixes: []string{"all", "all"}}, "named twice"},
		{"negative nodes", soak.Options{Factory: raft.New, Seeds: 1, Nodes: -1}, "Nodes must be positive"},
		{"bad shard", soak.Options{Factory: raft.New, Seeds: 1, Shard: soak.Shard{Index: 3, Count: 3}}, "bad shard 3/3"},
		{"bad liveness", soak.Options{Factory: raft.New, Seeds: 1, Liveness: 7}, "unknown liveness phase"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := soak.Run(context.Background(), tt.o)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tt.want)
		})
	}
	_, err := soak.Replay(soak.Options{Factory: raft.New}, "earthquakes", 1)
	require.ErrorIs(t, err, soak.ErrUnknownMix)
	_, err = soak.Replay(soak.Options{}, "all", 1)
	require.ErrorIs(t, err, soak.ErrNoFactory)
}

func TestCancelledSoakStops(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	calls := 0
	rep, err := soak.Run(ctx, soak.Options{Mixes: []string{"all", "crashes"}, Seeds: 50, Parallel: 1, Duration: time.Second, Factory: raft.New,
		Progress: func(done, total int) {
			calls++
			assert.Equal(t, 100, total)
			assert.Equal(t, calls, done)
			if done == 3 {
				cancel()
			}
		}})
	require.Error(t, err)
	assert.True(t, errors.Is(err, context.Canceled))
	require.NotNil(t, rep)
	assert.Less(t, rep.Total.Runs, 100)
	assert.GreaterOrEqual(t, rep.Total.Runs, 3)
}

// TestNoReferenceInProduction: the soak package soaks what its caller
// gives it; only its tests (and cmd/soak) may import the reference, so
// that the student handout, which has no raft/, still builds.
func TestNoReferenceInProduction(t *testing.T) {
	pkg, err := build.ImportDir(".", 0)
	require.NoError(t, err)
	assert.NotContains(t, pkg.Imports, "github.com/raftlab/raftlab/raft")
	assert.Contains(t, pkg.XTestImports, "github.com/raftlab/raftlab/raft", "the check reads the right import lists")
}
