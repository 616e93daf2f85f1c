package sim_test

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/sim/simtest"
	"github.com/raftlab/raftlab/trace"
)

// TestHashIgnoresTheBuild: the determinism hash is over the run's events
// and states, so two builds that behave alike compare equal; the build is
// in the header only.
func TestHashIgnoresTheBuild(t *testing.T) {
	var received, replies atomic.Int64
	cfg := sim.Config{Nodes: 3, Factory: simtest.Pingers(&received, &replies), Seed: 3, RecordTrace: true}
	a := sim.Run(cfg, func(c *sim.Cluster) { c.RunFor(100 * time.Millisecond) })
	assert.Equal(t, trace.CurrentBuild(), a.Trace.Header.Build)
	assert.Equal(t, fmt.Sprintf("%016x", a.Hash), a.Trace.Result.Hash)

	b := *a
	tb := *a.Trace
	tb.Header.Build = trace.Build{Module: "github.com/raftlab/raftlab", Version: "v9.9.9", Revision: "0123456789abcdef", Go: "go1.99", OS: "plan9", Arch: "arm"}
	b.Trace = &tb
	assert.Nil(t, sim.Compare(a, &b))

	c := sim.Run(cfg, func(c *sim.Cluster) { c.RunFor(100 * time.Millisecond) })
	assert.Equal(t, a.Hash, c.Hash)
}
