// Package raftapi is the course contract: the types and interfaces through
// which a Raft implementation (the reference in package raft, or a student's
// in assignments/raft) meets the world that drives it (the deterministic
// simulator in package sim, the browser sandbox, or localnet's real
// processes).
//
// It holds no logic. Everything a student programs against is written down
// here, so read this page once from top to bottom before you start.
//
// # The node is an event-driven, single-threaded state machine
//
// A [Node] never starts goroutines, never reads the clock, never sleeps and
// never uses global randomness. Everything it sees arrives as a call of one
// of its methods; everything it does leaves through its [Env]. Because of that
// one rule the same node code runs, unchanged, under a simulator with virtual
// time (where a failing run is replayed exactly from its seed) and between
// real processes over TCP.
//
// # Turns
//
// The driver calls a node one event at a time and never concurrently: a
// [Node.Tick], a request handler, a reply callback, [Node.Start],
// [Node.Snapshot]. Each call is a turn. Student code needs no locks. Nothing
// re-enters a node: a call the service makes while the node is applying
// (for example Snapshot, from the apply path) is queued as a turn of its own
// and runs after the current turn ends.
//
// Calling the Env outside a turn (from a goroutine, or after the node was
// crashed) is a contract violation that the simulator reports and fails the
// run for.
//
// # Persistence point = end of turn
//
// Messages a turn sends leave the node only after the turn ends, and crashes
// happen only between turns. So "save before you reply or send", Figure 2's
// rule, means here: call [Persister.Save] before the turn returns whenever
// currentTerm, votedFor, the log or the snapshot changed. After a restart a
// node's term, vote, log and snapshot metadata must equal what it had at the
// end of its last turn; the simulator checks exactly this.
//
// [Persister.Save] replaces both the Raft state and the snapshot, atomically,
// and copies its arguments. A nil snapshot means "no snapshot": after
// compaction, pass the current snapshot to every later Save.
//
// # Crash and restart
//
// A crash happens between turns. The node object is dropped; only what the
// last Save wrote survives; pending reply callbacks die with it, and replies
// addressed to the dead incarnation are never delivered to a later one. A
// restart calls the [Factory] again with a fresh Env over the saved bytes.
// The factory may use only Env.Persister and Env.Rand: sending and applying
// start with the first turn.
//
// # The service
//
// Above each node sits a service (in the simulator: a small checking state
// machine) that consumes [ApplyMsg] values through [Env.Apply], in order.
//
//   - Every log entry comes from [Node.Start]. There is no no-op entry at the
//     start of a term, so the index Start returns is the index tests expect.
//     Consequence: after every node restarts, nothing old commits until a new
//     command is started (Figure 8: a leader commits only entries of its own
//     term by counting replicas).
//   - [Node.Start] on a node that is not the leader appends nothing and
//     returns isLeader = false.
//   - On restart the service restores itself from Persister.ReadSnapshot
//     before the node's first turn. The node starts with
//     lastApplied = commitIndex = the snapshot's LastIncludedIndex and never
//     re-applies that snapshot.
//   - In the snapshot stage the service calls [Node.Snapshot] every K applied
//     commands, as a turn of its own. A queued Snapshot turn dies with a
//     crash. When it runs after the node already holds a newer snapshot it
//     is a no-op.
//   - After the service receives a snapshot with index k, the next command
//     applied must be k+1. A snapshot whose index is at or below the
//     service's last applied index must never be applied.
//
// # The network
//
// Requests and replies are values. They are encoded when sent and decoded
// when delivered, so nothing a node sends aliases anything another node
// holds; a node may keep the command slice it was given by Start, and may
// keep the slices inside arguments it receives. The network may drop, delay,
// reorder and duplicate requests and replies. A duplicated request runs the
// handler twice, so one send's onReply can run more than once. A lost
// message is never signalled: retry from Tick.
//
// # Randomness and determinism
//
// [Env.Rand] is the only source of randomness (a math/rand/v2 generator fed
// from the simulator's per-node stream). Behaviour must not depend on map
// iteration order, goroutines or the wall clock: the simulator replays a run
// from its seed and reports an implementation that behaves differently on a
// second run of the same seed.
//
// # Time
//
// Time reaches a node only as ticks. One tick stands for [TickInterval] of
// simulated (or real) time; drivers may skew a node's tick rate by a bounded
// factor (the lab suites: up to ±20%). Express timeouts in ticks. The
// starter and the reference draw each election timeout at random from
// [20, 40) ticks (200–390 ms) and send a heartbeat every 10 ticks (at most
// 10 heartbeats per second); the paper's 150–300 ms (15–30 ticks) passes
// every stage too.
package raftapi
