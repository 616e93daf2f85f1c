package cluster

import (
	"context"
)

// KV is what the load generator, the kv subcommand and the tests need of a
// key/value client.
type KV interface {
	Put(ctx context.Context, key, value string) error
	Append(ctx context.Context, key, value string) error
	Get(ctx context.Context, key string) (string, error)
}

// NewKV returns a client of the cluster whose nodes' client ports are
// addrs. Each client has its own id: use one per goroutine.
func NewKV(addrs []string) KV { return newKV(addrs) }
