package labs

import (
	"time"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// electionBound is how long a cluster may take to elect a leader once a
// majority can talk: MIT 6.5840's five seconds.
const electionBound = 5 * time.Second

// agreeBound is how long one command may take to be applied everywhere
// it is expected.
const agreeBound = 10 * time.Second

// connected lists the live nodes that can talk both ways with node i.
func reachable(c *sim.Cluster, i int) []int {
	var out []int
	for j := range c.N() {
		if c.Up(j) && !c.Paused(j) && (i == j || c.Linked(i, j) && c.Linked(j, i)) {
			out = append(out, j)
		}
	}
	return out
}

// checkNoLeader fails the run if any node in nodes believes it leads: they
// are a minority, which must not elect (§5.2).
func checkNoLeader(c *sim.Cluster, nodes []int, why string) {
	for _, i := range nodes {
		if s := c.State(i); s.Role == raftapi.Leader {
			c.Failf(props.NoLeaderWithoutMajority,
				"node %d is leader of term %d, but %s: a candidate needs votes from a majority of the whole cluster (%d of %d), not of the nodes it can reach",
				i, s.Term, why, c.N()/2+1, c.N())
		}
	}
}

// CheckTermStable fails the run if the leader or its term changes during
// d while nothing fails: a healthy leader's heartbeats must keep every
// follower from campaigning, clock skew or not.
func CheckTermStable(c *sim.Cluster, leader int, d time.Duration) {
	term := c.State(leader).Term
	c.RunFor(d)
	if l, ok := c.Leader(); !ok || l != leader || c.State(l).Term != term {
		now := c.State(leader)
		c.Failf(props.HeartbeatsPreventElections,
			"with no failures, node %d led term %d, but %s later it is %s of term %d: the leader must send heartbeats (empty AppendEntries) more often than the shortest election timeout, and a follower must reset its election timer whenever it hears from the current leader",
			leader, term, d, now.Role, now.Term)
	}
}

// termMoved reports whether any node's term differs from term.
func termMoved(c *sim.Cluster, term int) bool {
	for i := range c.N() {
		if c.State(i).Term != term {
			return true
		}
	}
	return false
}
