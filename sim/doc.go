// Package sim is raftlab's deterministic simulated world: it runs any
// implementation of the course contract (package raftapi) under injected
// faults, judges it with safety checkers after every turn, and reports what
// broke in words a student can act on.
//
// # The world
//
// Discrete events on a virtual clock: ticks, message deliveries and the
// service's Snapshot turns, ordered by time and then by the order they were
// scheduled. One seed is split into independent streams (each node's
// Env.Rand per incarnation, the network, the clocks, the scenario), so the
// run is a pure function of (implementation, scenario, seed): the same
// triple gives a byte-identical trace, and changing the fault mix does not
// change what a node draws.
//
// The network encodes every message (package wire), so nothing aliases and
// bytes are counted, and may drop, duplicate, delay and reorder messages,
// cut links in any shape (partitions, isolated nodes, one-way cuts). Nodes
// crash and restart with exactly the contract's semantics, pause and resume,
// and tick at skewed rates and phases.
//
// # Scenarios
//
// A Scenario is a Go function that drives a Cluster: Partition, Heal,
// Crash, Restart, Pause, RunFor, Start, WaitLeader, Submit and the rest, or
// RunNemesis for a randomized fault mix drawn per seed (swarm testing).
// Run runs one scenario and returns a Result with the failure, if any, the
// counters and, on request, the trace:
//
//	res := sim.Run(sim.Config{Nodes: 5, Factory: raft.New, Seed: 1}, func(c *sim.Cluster) {
//		leader := c.WaitLeader(5 * time.Second)
//		c.Isolate(leader)
//		c.Submit([]byte("x"), 4, 10*time.Second)
//	})
//
// As in a test, a method that finds a failure ends the scenario: the
// scenario needs no error handling.
//
// # What is checked
//
// After every turn, each failure naming its section of the Raft paper:
// Election Safety (from Inspect, and from the wire: two senders of
// AppendEntries in one term), one vote per node per term across restarts
// (from the wire), Log Matching, Leader Completeness, State Machine Safety
// (one entry per applied index across nodes and restarts, in order, without
// gaps or repeats, snapshots that never move a service backwards), commit
// needs a majority, terms never decrease, and durability: after a restart
// the node's term, vote, log and snapshot equal what it had at the end of
// its last turn. Liveness (WaitLeader, Submit, CheckLiveness) is separate
// and bounded in simulated time.
//
// The world also protects itself from the code under test: a panic in a
// turn, a turn that never returns (caught by a wall-clock watchdog), an Env
// used outside a turn or after a crash, and a node flooding the network
// each fail the run with a clear report instead of taking the test binary
// down.
package sim
