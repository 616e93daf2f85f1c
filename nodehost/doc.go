// Package nodehost hosts one incarnation of a [raftapi.Node]: the node object
// its Factory built, and the [raftapi.Env] (with its [raftapi.Persister]) it
// was given. Every driver of a node uses it — the deterministic simulator
// (package sim), the rule harness (labs/rules) and localnet's real processes
// — so the contract's rules about turns, messages and storage are written
// down once.
//
// A driver boots an incarnation with [Boot] over a [Disk] that outlives it,
// then calls one method per turn: [Host.Tick], [Host.Start],
// [Host.Snapshot] and [Host.Deliver] (a request runs its handler, a reply
// the callback of the call it answers). Queries ([Host.GetState],
// [Host.Inspect], [Host.InspectLog]) are not turns: the Env is closed
// during them. After each turn [Host.TakeOutbox] returns the messages the turn
// sent, as [wire.Envelope] values with their fields already extracted, in
// the order the node sent them and with the handler's reply last. A crash
// is [Host.Kill]: the incarnation is dead, its Env refuses every call, and
// replies addressed to it are dropped (a new incarnation gets a new Host).
//
// Contract violations — the Env used outside a turn, from the Factory
// beyond Persister and Rand, or after the crash; a bad peer id; a nil node
// from the Factory; a panic or runtime.Goexit in node code — are returned as
// [*Violation] values, never panics of the host's own. Violations that
// happen outside any turn (a goroutine the node left running) cannot be
// returned by a turn; they go to [Config.OnViolation] and [Host.Err].
//
// A Host is not safe for concurrent use: one goroutine (the driver's)
// calls it, one turn at a time — the simulator's scenario goroutine, or a
// goroutine per node in a driver over real time (see the example). Only
// the Env's guard, [Host.Err], [Host.Current], [Host.Turns] and [Host.ID]
// may be reached from other goroutines: the guard to report a node's stray
// goroutine, the others for a wall-clock watchdog.
//
// The Env's guard tells an incarnation's turns from everything else; it
// cannot tell the driver's goroutine from a goroutine the node started
// that happens to call the Env during one of its turns.
package nodehost
