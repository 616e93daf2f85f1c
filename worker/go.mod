module github.com/raftlab/raftlab/worker

go 1.26.0

require (
	github.com/raftlab/raftlab v0.0.0
	github.com/syumai/workers v0.31.0
)

replace github.com/raftlab/raftlab => ../

tool github.com/syumai/workers/cmd/workers-assets-gen
