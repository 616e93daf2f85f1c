//go:build js && wasm

// Command sandbox is the browser sandbox's WebAssembly with the reference
// implementation: build it with scripts/build-wasm.sh (GOOS=js
// GOARCH=wasm). A build with another implementation generates a main like
// this one that imports that package instead.
package main

import (
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wasm/bridge"
	"github.com/raftlab/raftlab/wasm/sandbox"
)

func main() {
	bridge.Serve(sandbox.Impl{
		Name:    "reference",
		Factory: raft.New,
		WithOptions: func(preVote, checkQuorum bool) raftapi.Factory {
			return raft.NewFactory(raft.Options{PreVote: preVote, CheckQuorum: checkQuorum})
		},
	})
}
