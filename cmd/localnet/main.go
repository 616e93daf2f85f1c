//go:build unix

// Command localnet runs raftlab's reference Raft as a real cluster of
// processes on this machine (or several): durable on disk, with a
// key/value service, fault injection (kill -9, SIGSTOP, partitions, a slow
// disk), a load generator and a linearizability check. See package
// localnet/cluster for the commands, and for running your own Raft the
// same way. -design picks one of the reference's replication designs
// (raft.Designs; the default first).
//
//	go run ./cmd/localnet up -n 3
//	go run ./cmd/localnet kv put k v
//	go run ./cmd/localnet bench -n 3 -clients 64 -duration 10s [-design pipelined]
package main

import (
	"github.com/raftlab/raftlab/localnet/cluster"
	"github.com/raftlab/raftlab/raft"
)

func main() {
	var designs []cluster.Design
	for _, d := range raft.Designs() {
		designs = append(designs, cluster.Design{Name: d.Name, Factory: raft.NewFactory(d.Options)})
	}
	cluster.MainDesigns(designs)
}
