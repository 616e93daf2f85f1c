package labs

import (
	"time"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/sim"
)

// electionSuite is the election stage (MIT 6.5840 3A, and more).
func electionSuite() []Scenario {
	return []Scenario{
		{
			Name: "InitialElection", Paper: "§5.2", Nodes: 3, Seeds: 20,
			Run: func(c *sim.Cluster) {
				l := c.WaitLeader(electionBound)
				if c.State(l).Term < 1 {
					c.Failf(props.StartElection, "node %d leads term %d: a candidate increments its term before asking for votes, so the first leader's term is at least 1", l, c.State(l).Term)
				}
				CheckTermStable(c, l, 2*time.Second)
			},
		},
		{
			Name: "ReElection", Paper: "§5.2", Nodes: 3, Seeds: 20,
			Run: func(c *sim.Cluster) {
				l1 := c.WaitLeader(electionBound)
				c.Note("the leader %d leaves; the others must elect a new one", l1)
				c.Isolate(l1)
				c.WaitLeader(electionBound)
				c.Note("the old leader %d rejoins; it must not disturb the new leader", l1)
				c.Connect(l1)
				c.RunFor(time.Second)
				l2 := c.WaitLeader(electionBound)
				other := (l2 + 1) % 3
				c.Note("nodes %d and %d leave: node %d alone must not become leader", l2, other, 3-l2-other)
				c.Isolate(l2)
				c.Isolate(other)
				c.RunFor(2 * time.Second)
				checkNoLeader(c, []int{3 - l2 - other}, "it can reach only itself")
				c.Note("node %d rejoins: a majority again, a leader again", other)
				c.Connect(other)
				c.Isolate(l2)
				c.WaitLeader(electionBound)
				c.Connect(l2)
				c.WaitLeader(electionBound)
			},
		},
		{
			Name: "ManyElections", Paper: "§5.2", Nodes: 7, Seeds: 10,
			Run: func(c *sim.Cluster) {
				c.WaitLeader(electionBound)
				r := c.Rand()
				for range 10 {
					cut := r.Perm(7)[:3]
					c.Note("nodes %v leave", cut)
					for _, i := range cut {
						c.Isolate(i)
					}
					c.WaitLeader(electionBound)
					c.Heal()
				}
				c.WaitLeader(electionBound)
			},
		},
	}
}
