module github.com/raftlab/raftlab/worker

go 1.26.0

require (
	github.com/raftlab/raftlab v0.0.0
	github.com/santhosh-tekuri/jsonschema/v6 v6.0.3
	github.com/stretchr/testify v1.12.1
	github.com/syumai/workers v0.31.0
)

require (
	github.com/pelletier/go-toml/v2 v2.4.3 // indirect
	go.yaml.in/yaml/v3 v3.0.5 // indirect
	golang.org/x/text v0.14.0 // indirect
)

replace github.com/raftlab/raftlab => ../

tool github.com/syumai/workers/cmd/workers-assets-gen
