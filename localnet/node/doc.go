// Package node is one localnet node process: a Raft node (any
// [raftapi.Factory]) hosted by package nodehost, made durable by package
// storage, connected to its peers by package transport, and serving the
// key/value service of package kv to clients over HTTP and a binary
// protocol (package kvproto). [Run] is the whole
// process; cmd/localnet's `node` subcommand calls it, and a student's own
// five-line main can too.
//
// # One goroutine owns the node
//
// The contract (package raftapi) drives a node one turn at a time. Run's
// goroutine is the only one that calls the host: each iteration of its
// loop waits for one event — a tick of a wall-clock ticker
// ([Config.TickInterval]), an envelope from the transport, a client
// command — then drains, without waiting, whatever else has queued (up to
// a bound), running each as a turn. Only then does it persist and send:
//
//  1. if the turns changed the node's disk, one storage Save (one
//     fdatasync) writes the state and snapshot;
//  2. only after that do the turns' messages go to the transport and the
//     replies go to the waiting clients.
//
// This is the rule that makes Raft's promises hold with a real disk — a
// vote or an acknowledged entry is on disk before anyone hears of it. It
// has one exception, the leader's (Raft thesis §10.2.1): its AppendEntries
// requests, when the term they carry was already on disk, leave before
// the save, so that the followers write the entries while the leader
// does; the leader handles their replies only in a later iteration, after
// its own save, and answers of entries that were already on disk leave
// early too (the argument is at sendEarly in node.go). The rule is also
// group commit: client commands that arrive while the previous
// fsync runs share the next fsync, and so do the AppendEntries a follower
// receives meanwhile. The commands of one iteration even share a log
// entry (kv.AppendBatch, up to 256 KB an entry): one Start turn, one save
// of the host's state, one AppendEntries for all of them, where the
// contract's Start-per-command would cost a whole save each. A Save that fails
// stops the node (Run returns the error, and nothing of that batch leaves
// but the leader's AppendEntries, which is a crash before the save): after
// a failed fsync the page cache no longer says what is on disk.
//
// # Restart
//
// Run opens the data directory with [storage.Open], which recovers the
// last complete save, loads it into the host's in-memory Disk, restores
// the key/value service from the snapshot (the contract: before the node's
// first turn) and boots a new incarnation. The incarnation number, which
// peers echo in their replies so that a reply to a previous process is
// dropped, is a boot counter kept in the file "boot" next to the data.
//
// # Client protocol (HTTP/JSON on Config.ClientAddr)
//
//	POST /kv  {"op":"put"|"append"|"get", "key":K, "value":V, "client_id":C, "seq":S}
//	  200 {"status":"ok"|"no-key", "value":V}      committed and applied (a get's value)
//	  421 {"error":"not leader", "leader":L, "leader_addr":A}
//	      this node does not lead, or lost leadership before the command
//	      committed; L is the leader it last heard of (-1: none) and A that
//	      node's client address ("" if unknown). Retry there, with the same seq.
//	  503 {"error":"timeout"}  not committed within Config.RequestTimeout
//	      (a leader cut off from its majority): retry elsewhere, same seq.
//	  409 {"error":"stale ..."} seq is older than one the client already
//	      had answered: nobody is waiting for this reply.
//	  400 {"error":...}  bad JSON, an unknown op, seq 0, a body over 1 MiB.
//	GET /status  {"id","term","role","leader","commit","applied","last_index",
//	              "snapshot_index","incarnation","saves","fsyncs","blocked"}
//	      leader: this node, or the node it last accepted AppendEntries
//	      from in its current term (-1: none); applied: the service's
//	      index; saves and fsyncs: the storage's, since this process started.
//	POST /admin/partition  {"blocked":[ids]}  drop messages to and from these
//	      nodes; [] heals. 200 {"blocked":[ids]}
//	POST /admin/slow-disk  {"delay_ms":N}  sleep N ms before every save.
//
// Every command, Gets included, goes through the log, so every 200 is
// linearizable. A client numbers its commands 1, 2, 3, … and retries a
// command with the same seq until it gets an answer; the service's dedup
// table applies it once (package kv). A 421 or 503 does not mean the
// command was not committed, only that this node cannot say. Package
// client implements this protocol.
//
// # Binary client protocol (kvproto, on the same port)
//
// A connection to the client port that opens with "RLKV" speaks package
// kvproto instead: length-prefixed frames carrying the same commands and
// answers (the statuses mirror the codes above), pipelined on one
// persistent connection. The node reads a connection's requests as they
// come (up to 4,096 waiting for an answer), and writes the answers that
// queued meanwhile in one write; a request not answered within
// Config.RequestTimeout gets StatusUnavailable. It costs a fraction of
// HTTP/JSON per command, and its batching is what feeds group commit.
// Malformed frames end the connection with a log line; the node goes on.
package node
