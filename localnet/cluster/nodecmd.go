package cluster

import (
	"context"
	"errors"
	"io"

	"github.com/raftlab/raftlab/raftapi"
)

// cmdNode runs one node; it waits for localnet/node.
func cmdNode(ctx context.Context, args []string, stderr io.Writer, factory raftapi.Factory) error {
	return errors.New("node: not built yet (waiting for localnet/node)")
}
