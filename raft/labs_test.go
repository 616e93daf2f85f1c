package raft_test

import (
	"flag"
	"testing"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/raft"
)

// designFlag picks the reference's design for the stage tests
// (raft.Designs): labs/mutants runs the targeted schedules' control with
// each. A test flag must be registered at package level; it is read, never
// written.
var designFlag = flag.String("design", "default", "raft: the reference's design for the stage tests (a name of raft.Designs)")

// reference is the implementation the stage tests run: the reference in
// the design -design names.
func reference(t *testing.T) labs.Impl {
	t.Helper()
	var names []string
	for _, d := range raft.Designs() {
		if d.Name == *designFlag {
			if d.Options == (raft.Options{}) {
				return labs.Impl{Name: "reference", Factory: raft.New}
			}
			return labs.Impl{Name: "reference (" + d.Name + ")", Factory: raft.NewFactory(d.Options)}
		}
		names = append(names, d.Name)
	}
	t.Fatalf("-design=%q names no design of the reference; use one of %v", *designFlag, names)
	return labs.Impl{}
}

func TestElection(t *testing.T)    { labs.RunStage(t, labs.Election, reference(t)) }
func TestReplication(t *testing.T) { labs.RunStage(t, labs.Replication, reference(t)) }
func TestPersistence(t *testing.T) { labs.RunStage(t, labs.Persistence, reference(t)) }
func TestSnapshots(t *testing.T)   { labs.RunStage(t, labs.Snapshots, reference(t)) }
