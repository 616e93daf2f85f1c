package raft

import (
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

// A randomized run: a lossy, duplicating, reordering network, crashes,
// restarts and partitions, with and without snapshots and options. The
// harness checks Election Safety, apply order and agreement (State Machine
// Safety) and snapshot monotonicity after every event; the test checks
// durability across restarts and, once the faults stop, liveness.
func TestClusterRandomized(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	for seed := range uint64(seeds) {
		r := rand.New(rand.NewPCG(seed, 99))
		o := Options{PreVote: r.IntN(2) == 0, CheckQuorum: r.IntN(2) == 0}
		n := 3 + 2*r.IntN(2)
		c := newCluster(t, n, NewFactory(o), seed)
		c.net = rand.New(rand.NewPCG(seed, 7))
		c.drop, c.dup, c.delay = 0.1, 0.05, 0.2
		if r.IntN(2) == 0 {
			c.snapEvery = 5 + r.IntN(10)
		}
		saved := make([]raftapi.NodeState, n)
		next := 0
		for step := range 3000 {
			if l := c.leader(); l >= 0 && r.IntN(3) == 0 {
				c.nodes[l].Start(cmd(next))
				next++
			}
			if step%100 == 99 {
				switch i := r.IntN(n); r.IntN(4) {
				case 0:
					if c.nodes[i] != nil {
						saved[i] = c.nodes[i].Inspect()
						c.crash(i)
					}
				case 1:
					c.heal()
					c.isolate(i)
				case 2:
					c.heal()
				}
			}
			if step%100 == 49 {
				for i := range n {
					if c.nodes[i] == nil {
						c.restart(i)
						st := c.nodes[i].Inspect()
						require.Equal(t, saved[i].Term, st.Term, "seed %d: term after restart", seed)
						require.Equal(t, saved[i].VotedFor, st.VotedFor, "seed %d: vote after restart", seed)
						require.Equal(t, saved[i].LastIndex, st.LastIndex, "seed %d: log after restart", seed)
						require.Equal(t, saved[i].SnapshotIndex, st.SnapshotIndex, "seed %d: snapshot after restart", seed)
					}
				}
			}
			c.step()
		}
		// Faults stop: everything commits everywhere.
		c.heal()
		c.net = nil
		for i := range n {
			if c.nodes[i] == nil {
				c.restart(i)
			}
		}
		c.one(cmd(-1))
		require.Greater(t, len(c.committed), next/4, "seed %d (%+v, %d nodes): too little progress", seed, o, n)
		t.Logf("seed %d: %d nodes %+v snapEvery %d: %d commands started, %d committed", seed, n, o, c.snapEvery, next, len(c.committed)-1)
	}
}
