//go:build starter

package raft

import (
	"testing"

	"github.com/raftlab/raftlab/labs"
)

// The four graded stages, run against your implementation. Run one with
//
//	go test ./assignments/raft -run Election
//
// and see assignments/README.md for running one scenario, one seed, more
// seeds, and for reading traces. Add your own tests in other files.
var impl = labs.Impl{Name: "assignments/raft", Factory: New}

func TestElection(t *testing.T)    { labs.RunStage(t, labs.Election, impl) }
func TestReplication(t *testing.T) { labs.RunStage(t, labs.Replication, impl) }
func TestPersistence(t *testing.T) { labs.RunStage(t, labs.Persistence, impl) }
func TestSnapshots(t *testing.T)   { labs.RunStage(t, labs.Snapshots, impl) }
