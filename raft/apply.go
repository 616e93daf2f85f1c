package raft

import "github.com/raftlab/raftlab/raftapi"

// apply hands the service every entry between lastApplied and commitIndex,
// in index order (Figure 2, rules for all servers: "If commitIndex >
// lastApplied: increment lastApplied, apply log[lastApplied] to state
// machine"). It runs at the end of every turn.
//
// The snapshot never needs applying here: lastApplied is at least
// log.snapIndex at all times (Snapshot only compacts applied entries, and
// InstallSnapshot hands its snapshot to the service itself).
func (n *node) apply() {
	for n.lastApplied < n.commitIndex {
		n.lastApplied++
		i := n.lastApplied
		n.env.Apply(raftapi.ApplyMsg{
			CommandValid: true,
			Command:      n.log.command(i),
			CommandIndex: i,
			CommandTerm:  n.log.term(i),
		})
	}
}
