package raft_test

import (
	"testing"

	"github.com/raftlab/raftlab/labs"
	"github.com/raftlab/raftlab/raft"
)

var reference = labs.Impl{Name: "reference", Factory: raft.New}

func TestElection(t *testing.T)    { labs.RunStage(t, labs.Election, reference) }
func TestReplication(t *testing.T) { labs.RunStage(t, labs.Replication, reference) }
func TestPersistence(t *testing.T) { labs.RunStage(t, labs.Persistence, reference) }
func TestSnapshots(t *testing.T)   { labs.RunStage(t, labs.Snapshots, reference) }
