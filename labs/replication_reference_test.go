package labs

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// offByOne is the reference with a classic bug: Start returns one more
// than the entry's index, as if a no-op entry had been appended at the
// start of the term.
type offByOne struct{ raftapi.Node }

func (n offByOne) Start(cmd []byte) (int, int, bool) {
	index, term, ok := n.Node.Start(cmd)
	return index + 1, term, ok
}

// chattyEnv sends every AppendEntries three times: the wasteful leader of
// the RPC budgets (heartbeats and entries alike).
type chattyEnv struct{ raftapi.Env }

func (e chattyEnv) SendAppendEntries(to int, args *raftapi.AppendEntriesArgs, onReply func(*raftapi.AppendEntriesReply)) {
	for range 3 {
		e.Env.SendAppendEntries(to, args, onReply)
	}
}

// forgetfulEnv loses every Save: the node that does not persist.
type forgetfulEnv struct{ raftapi.Env }

func (e forgetfulEnv) Persister() raftapi.Persister { return forgetfulPersister{e.Env.Persister()} }

type forgetfulPersister struct{ raftapi.Persister }

func (forgetfulPersister) Save([]byte, []byte) {}

func offByOneFactory(me, peers int, env raftapi.Env) raftapi.Node {
	return offByOne{raft.New(me, peers, env)}
}

func chattyFactory(me, peers int, env raftapi.Env) raftapi.Node {
	return raft.New(me, peers, chattyEnv{env})
}

func forgetfulFactory(me, peers int, env raftapi.Env) raftapi.Node {
	return raft.New(me, peers, forgetfulEnv{env})
}

// scenarioNamed finds a scenario of a stage's own suite by name.
func scenarioNamed(t *testing.T, suite []Scenario, name string) Scenario {
	t.Helper()
	for _, sc := range suite {
		if sc.Name == name {
			return sc
		}
	}
	require.FailNow(t, "no such scenario", name)
	return Scenario{}
}

// runScenario runs one seed of a scenario against factory.
func runScenario(sc Scenario, factory raftapi.Factory, seed uint64) *sim.Result {
	cfg := sim.Config{Nodes: sc.Nodes, Factory: factory, Seed: seed}
	if sc.Configure != nil {
		sc.Configure(&cfg, seed)
	}
	return sim.Run(cfg, sc.Run)
}

// mutantCase is a broken implementation and the rules a scenario must
// report it under, on every seed.
type mutantCase struct {
	scenario string
	impl     string
	factory  raftapi.Factory
	rules    []string // any of them
}

func checkMutants(t *testing.T, suite []Scenario, cases []mutantCase) {
	t.Helper()
	for _, tc := range cases {
		t.Run(tc.scenario+"/"+tc.impl, func(t *testing.T) {
			t.Parallel()
			sc := scenarioNamed(t, suite, tc.scenario)
			for seed := uint64(1); seed <= 5; seed++ {
				res := runScenario(sc, tc.factory, seed)
				require.NotNil(t, res.Failure, "seed %d: %s must fail %s", seed, tc.impl, tc.scenario)
				assert.Contains(t, tc.rules, res.Failure.Rule, "seed %d: %s", seed, res.Failure.Error())
			}
		})
	}
}

func TestReplicationScenariosCatchMutants(t *testing.T) {
	checkMutants(t, replicationSuite(), []mutantCase{
		{"BasicAgreement", "off-by-one Start", offByOneFactory, []string{"Start returns the entry's index"}},
		{"FollowerFailure", "off-by-one Start", offByOneFactory, []string{"Start returns the entry's index"}},
		{"FailNoAgree", "off-by-one Start", offByOneFactory, []string{"Start returns the entry's index"}},
		{"Count", "off-by-one Start", offByOneFactory, []string{"Start returns the entry's index"}},
		{"RPCBytes", "AppendEntries sent thrice", chattyFactory, []string{"Send each entry once"}},
		{"Count", "AppendEntries sent thrice", chattyFactory, []string{"Replication costs few RPCs", "Heartbeat rate"}},
	})
}

func TestReplicationScenariosPassTheReference(t *testing.T) {
	for _, sc := range replicationSuite() {
		t.Run(sc.Name, func(t *testing.T) {
			t.Parallel()
			res := runScenario(sc, raft.New, 1)
			require.Nil(t, res.Failure, "%v", res.Failure)
		})
	}
}

func TestMITNetKeepsDisconnectedNodesApart(t *testing.T) {
	res := sim.Run(sim.Config{Nodes: 5, Factory: raft.New, Seed: 1}, func(c *sim.Cluster) {
		net := newMITNet(c)
		net.disconnect(0)
		net.disconnect(1)
		net.disconnect(2)
		net.connect(1)
		// 1 joins 3 and 4; 0 and 2 stay alone.
		want := map[[2]int]bool{{1, 3}: true, {1, 4}: true, {3, 4}: true}
		for i := range 5 {
			for j := range 5 {
				if i == j {
					continue
				}
				key := [2]int{min(i, j), max(i, j)}
				assert.Equal(t, want[key], c.Linked(i, j), "link %d→%d", i, j)
			}
		}
		net.connect(0)
		net.connect(2)
		for i := range 5 {
			for j := range 5 {
				assert.True(t, c.Linked(i, j), "after every node connects, link %d→%d", i, j)
			}
		}
		assert.True(t, net.connected(2))
	})
	require.Nil(t, res.Failure)
}
