package raft_test

import (
	"testing"

	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/raft"
)

func TestRules(t *testing.T) { rules.Run(t, raft.New) }
