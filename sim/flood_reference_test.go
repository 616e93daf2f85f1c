package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/sim/simtest"
)

// TestReferenceStaysFarBelowTheFloodLimits checks the margin FloodLimits
// documents: on every kind of scenario the world runs, the reference's
// peaks stay at least 20 times below each default limit (the limits were
// set from the peaks of the suites, the swarms and 2,100 soak runs).
func TestReferenceStaysFarBelowTheFloodLimits(t *testing.T) {
	const margin = 20
	lim := sim.DefaultFloodLimits()
	var most sim.Peaks
	for _, k := range simtest.ScenarioKinds() {
		for seed := uint64(1); seed <= 1; seed++ {
			cfg := k.Config
			cfg.Nodes, cfg.Factory, cfg.Seed = 5, raft.New, seed
			res := sim.Run(cfg, k.Run)
			require.Nil(t, res.Failure, "%s seed %d", k.Name, seed)
			p := res.Stats.Peaks
			most.LinkMessages = max(most.LinkMessages, p.LinkMessages)
			most.LinkBytes = max(most.LinkBytes, p.LinkBytes)
			most.Messages = max(most.Messages, p.Messages)
			most.Bytes = max(most.Bytes, p.Bytes)
			most.EventsPerSecond = max(most.EventsPerSecond, p.EventsPerSecond)
		}
	}
	t.Logf("the reference's peaks: %+v", most)
	assert.LessOrEqual(t, most.LinkMessages*margin, lim.LinkMessages)
	assert.LessOrEqual(t, most.LinkBytes*margin, lim.LinkBytes)
	assert.LessOrEqual(t, most.Messages*margin, lim.Messages)
	assert.LessOrEqual(t, most.Bytes*margin, lim.Bytes)
	assert.LessOrEqual(t, most.EventsPerSecond*margin, lim.EventsPerSecond)
	assert.Positive(t, most.LinkMessages)
	assert.Positive(t, most.EventsPerSecond)
}

// stormingEnv is the reference's Env with one bug of issue 12: every
// AppendEntries reply is answered by sending the same request again, so
// each reply (and each duplicate of one) keeps a chain of requests going.
type stormingEnv struct{ raftapi.Env }

func (e stormingEnv) SendAppendEntries(to int, args *raftapi.AppendEntriesArgs, onReply func(*raftapi.AppendEntriesReply)) {
	var again func(*raftapi.AppendEntriesReply)
	again = func(r *raftapi.AppendEntriesReply) {
		if onReply != nil {
			onReply(r)
		}
		e.Env.SendAppendEntries(to, args, again)
	}
	e.Env.SendAppendEntries(to, args, again)
}

// TestStormingReferenceFailsAsAFlood runs the storming reference under a
// swarm's faults on a duplicating network, as the swarm that was killed
// for memory did: the run ends with a flood report naming a sender of
// AppendEntries, within a bounded number of events.
func TestStormingReferenceFailsAsAFlood(t *testing.T) {
	storming := func(me, peers int, env raftapi.Env) raftapi.Node { return raft.New(me, peers, stormingEnv{env}) }
	mix := sim.Mix{
		Faults:    sim.Faults{Unreliable: true, Crashes: true},
		Gap:       time.Second,
		ClientGap: 30 * time.Millisecond,
		Net: sim.Network{DropRate: 0.02, DupRate: 0.2, DelayMin: time.Millisecond, DelayMax: 27 * time.Millisecond,
			LongDelayRate: 0.02, LongDelayMax: 2 * time.Second},
	}
	res := sim.Run(sim.Config{Nodes: 5, Factory: storming, Seed: 7, Implementation: "storming reference", Scenario: "swarm"},
		func(c *sim.Cluster) {
			c.WaitLeader(5 * time.Second)
			c.RunNemesis(mix, 60*time.Second)
		})
	f := res.Failure
	require.NotNil(t, f, "the storming reference ran %d events without a report", res.Stats.Events)
	t.Log(f.Error())
	assert.Equal(t, props.MessageFlood.Name(), f.Rule)
	assert.Regexp(t, `node \d has [0-9,]+ AppendEntries(Replies)? in flight to node \d`, f.Message)
	assert.Regexp(t, `Does node \d send a new AppendEntries for every reply it gets`, f.Message)
	assert.LessOrEqual(t, res.Stats.Events, int64(1_000_000))
}
