// Package soak runs the simulator's randomized nemesis (swarm testing) over
// many seeds per fault mix and reports, per mix, how many runs violated a
// safety property and how many missed a liveness bound.
//
// # A run
//
// One run is one (mix, seed) pair. The seed fixes everything: the cluster
// size (drawn from {3, 5, 7} unless Options.Nodes fixes it), the mix's own
// parameters (snapshot period, clock skew or lockstep ticks), the nemesis's
// fault rates (sim.DrawMix, restricted to the mix's faults and redrawn
// until at least one fault is on) and, through sim.Config.Seed, every
// random choice of the world and of the nodes. A run then
//
//  1. boots the cluster and waits for a first leader (within 10 s of
//     simulated time),
//  2. runs the nemesis for Options.Duration (default 20 s of simulated
//     time) while a client offers a command every few milliseconds,
//  3. ends every fault (sim.Cluster.Quiesce),
//  4. checks liveness: a leader within 10 s and a fresh command applied on
//     every node within 10 s more.
//
// Every safety checker of package sim runs after every turn. A failure of
// kind sim.KindLiveness counts as a liveness miss; every other kind
// (safety, panic, hang, contract, internal, ...) counts as a violation.
//
// # Determinism
//
// A Report is a pure function of the Options, apart from its wall times:
// runs are independent, their results are gathered by seed, and the
// failures a report lists are those of the lowest seeds. Replay runs one
// (mix, seed) again with the trace on; it is the same run, event for event.
//
// # Mixes
//
// Mixes lists the named mixes. "all" turns on every fault of the nemesis;
// "all+snapshots" adds log compaction; "skew+lockstep" runs every fault on
// skewed clocks (even seeds) or lockstep ticks (odd seeds).
package soak
