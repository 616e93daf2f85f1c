// Package kv is localnet's key/value service: a deterministic state machine
// that sits above a Raft node and applies the commands the node commits.
//
// It does no I/O and reads no clock, so every replica that applies the same
// committed commands in the same order holds the same state, byte for byte:
// [Service.Snapshot] encodes it canonically (keys and clients sorted), and
// two replicas at the same index produce equal snapshots.
//
// # Commands
//
// A [Command] is what goes through raftapi.Node.Start, encoded by
// [AppendCommand]: Put sets a key, Append appends to it, Get reads it. Gets
// go through the log like writes, which is what makes them linearizable
// without any further argument about leases or read indexes.
//
// Every command carries a client id and a sequence number. A client numbers
// its commands 1, 2, 3, … and has at most one outstanding: it sends n+1
// only after it received the reply to n. A leader may crash after
// committing n and before replying, so the client retries n, perhaps with
// another leader, and n may be committed twice. The service keeps, for
// every client, the last sequence number it applied and that command's
// reply (the dedup table), so that:
//
//   - a command whose seq is the client's last one is a retry: it changes
//     nothing and returns the cached reply (Duplicate is set), the same
//     reply the first application gave, including a Get's value;
//   - a command whose seq is below the client's last one is older than a
//     command the client already saw answered, so nobody waits for its
//     reply: it changes nothing and returns StatusStale;
//   - a command with a higher seq is applied.
//
// The dedup table is part of the snapshot, so a retry after a restart or
// an InstallSnapshot is still recognised. A client's entry is never
// dropped: one entry per client id ever seen, which is what a load
// generator with a fixed set of clients needs. A command log entry that
// does not decode is skipped deterministically (see [Service.Apply]).
package kv
