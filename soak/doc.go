// Package soak runs the simulator's randomized nemesis (swarm testing) over
// many seeds per fault mix and reports, per mix, how many runs violated a
// safety property and how many missed a liveness bound.
//
// # A run
//
// One run is one (mix, seed) pair, and one run of the simulator's swarm
// plan (sim.Swarm): the same plan the lab stages' Swarm scenarios and
// cmd/raftsim run. The seed fixes everything: the cluster size (drawn from
// {3, 5, 7} unless Options.Nodes fixes it), the mix's own parameters
// (snapshot period, clock skew or lockstep ticks), the nemesis's fault
// rates (sim.DrawMix, restricted to the mix's faults and redrawn until at
// least one fault is on), the liveness phase and, through sim.Config.Seed,
// every random choice of the world and of the nodes. A run then
//
//  1. boots the cluster and waits for a first leader (within 10 s of
//     simulated time),
//  2. runs the nemesis for Options.Duration (default 20 s of simulated
//     time) while a client offers a command every few milliseconds,
//  3. ends the faults: for every node (sim.Cluster.Quiesce), or, on about
//     half the seeds, only for a core majority while the other nodes stay
//     crashed or cut off (sim.Cluster.QuiesceCore; Options.Liveness
//     chooses one phase for every seed),
//  4. checks liveness: a leader (of the core) within 10 s and a fresh
//     command applied on every (core) node within 10 s more.
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
// # Shards
//
// Options.Shard runs one shard of the seed range (the seeds congruent to
// its index modulo the shard count); each shard's Report is written as
// JSON (Report.WriteJSON) and Merge joins them into the report of the
// whole range. docs/soak-sharding.md runs a soak as a CI job matrix and as
// a Kubernetes indexed Job.
//
// # Mixes
//
// Mixes lists the named mixes. "all" turns on every fault of the nemesis;
// "all+snapshots" adds log compaction; "skew+lockstep" runs every fault on
// clocks drawn per seed: skewed by up to 20%, and in lockstep on a quarter
// of the seeds.
//
// # The implementation
//
// The package soaks the implementation its caller names (Options.Factory);
// it imports none itself. cmd/soak soaks the reference.
package soak
