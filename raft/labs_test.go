package raft_test

import (
	"flag"
	"testing"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/raft"
)

// flowFlag picks the reference's replication design for the stage tests
// (raft.Flows): labs/mutants runs the targeted schedules' control with
// each. A test flag must be registered at package level; it is read, never
// written.
var flowFlag = flag.String("flow", raft.OneBatchInFlight.String(), "raft: the leader's flow control for the stage tests (one-batch-in-flight or pipelined)")

// reference is the implementation the stage tests run: the reference with
// the design -flow names.
func reference(t *testing.T) labs.Impl {
	t.Helper()
	for _, f := range raft.Flows() {
		if f.String() == *flowFlag {
			if f == raft.OneBatchInFlight {
				return labs.Impl{Name: "reference", Factory: raft.New}
			}
			return labs.Impl{Name: "reference (" + f.String() + ")", Factory: raft.NewFactory(raft.Options{Flow: f})}
		}
	}
	t.Fatalf("-flow=%q names no design of the reference; use one of %v", *flowFlag, raft.Flows())
	return labs.Impl{}
}

func TestElection(t *testing.T)    { labs.RunStage(t, labs.Election, reference(t)) }
func TestReplication(t *testing.T) { labs.RunStage(t, labs.Replication, reference(t)) }
func TestPersistence(t *testing.T) { labs.RunStage(t, labs.Persistence, reference(t)) }
func TestSnapshots(t *testing.T)   { labs.RunStage(t, labs.Snapshots, reference(t)) }
