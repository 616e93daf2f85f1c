package raft

import (
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
)

// Hands the reference in as its own.
func New(me, peers int, env raftapi.Env) raftapi.Node { return raft.New(me, peers, env) }
