// Package cluster is localnet's command line and its supervisor: it starts
// a Raft cluster as real processes (the same binary, subcommand node),
// injects faults into them, drives a key/value load against them and
// checks what the clients saw for linearizability.
//
// # Your own Raft
//
// cmd/localnet runs the reference (raft.New). To run your own
// implementation of the contract (a raftapi.Factory) the same way, write a
// main package of five lines:
//
//	package main
//
//	import "github.com/raftlab/raftlab/localnet/cluster"
//	import "example.com/me/myraft"
//
//	func main() { cluster.Main(myraft.New) }
//
// and run it as you would run localnet: `go run . up -n 3`. Every node
// process it starts is that same program, so every node runs your Raft.
//
// # Commands
//
//	localnet up -n 3 [-dir D] [-base-port P] [-nosync]
//
// starts N nodes on 127.0.0.1 — node i's peer port is P+i, its client
// port P+N+i (-base-port 0: free ports) — with data directories D/node-i,
// logs D/node-i.log, and the state file D/cluster.json that tells the other
// commands, run from another terminal, where the nodes and the supervisor
// are. The supervisor prints who leads (and every node's role) when that
// changes, and the commit index every second while it moves. Ctrl-C stops
// every node (SIGTERM, then SIGKILL) and the supervisor.
//
//	localnet kill N | restart N | pause N | resume N
//
// SIGKILL, restart, SIGSTOP and SIGCONT node N, through the supervisor's
// control endpoint (a loopback HTTP port named in the state file): the
// supervisor owns the processes, so a restarted node is still stopped by
// its Ctrl-C.
//
//	localnet partition 0,1 2 | heal | slow-disk N MS | status
//
// talk to the nodes' client ports directly: partition tells each node to
// drop all traffic with the nodes outside its group (POST /admin/partition;
// nodes named in no group form one more group), heal clears that,
// slow-disk makes node N wait MS milliseconds before each fsync, status
// prints each node's term, role, commit and fsync count.
//
//	localnet kv put K V | kv append K V | kv get K
//
// run one operation through the client, which finds the leader and retries.
//
//	localnet bench [-n 3 [-nosync]] -clients 64 -size 100 -duration 30s [-faults kill-leader-every=5s]
//
// runs closed-loop clients (Puts of unique values and Gets, -reads of them
// Gets, over -keys keys) against the cluster of -dir, or against a cluster
// of -n nodes it starts in a temporary directory. It reports ops/s, latency
// percentiles (an HDR histogram), the node processes' CPU per operation
// (from /proc/<pid>/stat), fsyncs per operation (from the nodes' /status),
// and checks the recorded history with package kvcheck; on a violation it
// writes porcupine's visualisation (-html) and exits with status 1.
//
// # Separate hosts
//
// Each host runs one node subcommand with the same lists:
//
//	localnet node -id 1 -peers h0:7400,h1:7400,h2:7400 -clients h0:7500,h1:7500,h2:7500 -dir /var/lib/localnet
//
// The node listens for peers on its own entry of -peers and for clients on
// its entry of -clients; -listen (e.g. 0.0.0.0:7400) and -client-listen
// (e.g. 0.0.0.0:7500) bind elsewhere when the address others dial differs. The other commands then take -addrs with the client
// list instead of -dir (kill, restart, pause and resume are up's, so on
// separate hosts use the hosts' own tools).
package cluster
