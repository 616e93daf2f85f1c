//go:build unix

// Command localnet runs raftlab's reference Raft as a real cluster of
// processes on this machine (or several): durable on disk, with a
// key/value service, fault injection (kill -9, SIGSTOP, partitions, a slow
// disk), a load generator and a linearizability check. See package
// localnet/cluster for the commands, and for running your own Raft the
// same way. -design picks one of the reference's replication designs
// (raft.Designs); localnet's default is pipelined, which keeps more than
// one batch in flight to a follower: over real sockets that bought 15–25%
// more throughput in memory, and as much durably, than the simulator's
// default of one batch in flight.
//
//	go run ./cmd/localnet up -n 3
//	go run ./cmd/localnet kv put k v
//	go run ./cmd/localnet bench -n 3 -clients 64 -duration 10s [-design default]
package main

import (
	"github.com/raftlab/raftlab/localnet/cluster"
	"github.com/raftlab/raftlab/raft"
)

func main() {
	var designs []cluster.Variant
	for _, d := range raft.Designs() {
		design := cluster.Variant{Name: d.Name, Factory: raft.NewFactory(d.Options)}
		if d.Name == "pipelined" { // the first is the default
			designs = append([]cluster.Variant{design}, designs...)
			continue
		}
		designs = append(designs, design)
	}
	cluster.MainVariants(designs)
}
