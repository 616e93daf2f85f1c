package raft_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/sim"
)

// workload is a throughput scenario: a cluster under a saturating client,
// on a network with or without faults, snapshotting every 100 commands so
// that the log stays bounded.
type workload struct {
	name        string
	nodes       int
	network     sim.Network
	partitions  bool // cut the network every ~second (isolated leader or a random split), heal in between
	outstanding int  // commands the client keeps started but not yet applied
}

// throughputRun is one run's measure.
type throughputRun struct {
	commits int           // indexes committed during the measured window
	simTime time.Duration // the measured window
	events  int64
	started int
}

// saturate runs w for d of simulated time after a first leader, with a
// client that keeps w.outstanding commands started on the leader and not
// yet applied anywhere: it starts more whenever a command commits.
func saturate(w workload, seed uint64, d time.Duration) (throughputRun, error) {
	cfg := sim.Config{Nodes: w.nodes, Factory: raft.New, Seed: seed, Network: w.network, SnapshotEvery: 100,
		Implementation: "reference", Scenario: "throughput/" + w.name}
	var out throughputRun
	_, err := run(cfg, func(c *sim.Cluster) {
		c.WaitLeader(5 * time.Second)
		st := c.Stats()
		c0, e0, t0 := st.Committed, st.Events, c.Now()
		end := t0 + d
		r := c.Rand()
		nextFault, cut := t0+time.Second, false
		last, seq := 0, 0
		for c.Now() < end {
			if w.partitions && c.Now() >= nextFault {
				if cut {
					c.Heal()
				} else if l, ok := c.Leader(); ok && r.IntN(2) == 0 {
					c.Isolate(l)
				} else {
					perm := r.Perm(w.nodes)
					k := 1 + r.IntN(w.nodes-1)
					c.Partition(perm[:k], perm[k:])
				}
				cut = !cut
				nextFault = c.Now() + 500*time.Millisecond + time.Duration(r.Int64N(int64(time.Second)))
			}
			if l, ok := c.Leader(); ok {
				for last-c.MaxApplied() < w.outstanding {
					seq++
					idx, _, isLeader := c.Start(l, fmt.Appendf(nil, "cmd-%08d", seq))
					if !isLeader {
						break
					}
					last = idx
					out.started++
				}
			}
			applied := c.MaxApplied()
			c.RunUntil(min(10*time.Millisecond, end-c.Now()), func() bool { return c.MaxApplied() > applied })
		}
		out.commits = st.Committed - c0
		out.events = st.Events - e0
		out.simTime = c.Now() - t0
		// The run must end healthy: heal, and commit once more everywhere.
		c.Heal()
		c.SetNetwork(sim.Reliable())
		c.Submit([]byte("done"), w.nodes, 10*time.Second)
	})
	return out, err
}

func workloads() []workload {
	var ws []workload
	for _, nodes := range []int{3, 5} {
		ws = append(ws,
			workload{name: fmt.Sprintf("%dnodes/reliable", nodes), nodes: nodes, network: sim.Reliable(), outstanding: 256},
			workload{name: fmt.Sprintf("%dnodes/unreliable", nodes), nodes: nodes, network: sim.Unreliable(), outstanding: 256},
			workload{name: fmt.Sprintf("%dnodes/partitions", nodes), nodes: nodes, network: sim.Reliable(), partitions: true, outstanding: 256},
		)
	}
	return ws
}

// BenchmarkThroughput measures committed commands per second of wall time
// and of simulated time under a saturating client (256 commands
// outstanding), 10 s of simulated time per iteration, every checker on.
func BenchmarkThroughput(b *testing.B) {
	for _, w := range workloads() {
		b.Run(w.name, func(b *testing.B) { benchSaturate(b, w) })
	}
}

// BenchmarkThroughputOutstanding shows what saturates: the client's
// window of outstanding commands, on a reliable 3-node cluster.
func BenchmarkThroughputOutstanding(b *testing.B) {
	for _, k := range []int{1, 4, 16, 64, 256, 1024} {
		w := workload{name: "3nodes/reliable", nodes: 3, network: sim.Reliable(), outstanding: k}
		b.Run(fmt.Sprintf("outstanding=%d", k), func(b *testing.B) { benchSaturate(b, w) })
	}
}

func benchSaturate(b *testing.B, w workload) {
	const d = 10 * time.Second
	var commits, events int64
	var simTime time.Duration
	seed := uint64(0)
	for b.Loop() {
		out, err := saturate(w, seed, d)
		if err != nil {
			b.Fatal(err)
		}
		commits += int64(out.commits)
		events += out.events
		simTime += out.simTime
		seed++
	}
	b.ReportMetric(float64(commits)/b.Elapsed().Seconds(), "commits/wall-s")
	b.ReportMetric(float64(commits)/simTime.Seconds(), "commits/sim-s")
	b.ReportMetric(float64(events)/float64(max(commits, 1)), "events/commit")
}

// TestThroughputSaturates: a short run of every workload (with a smaller
// window, to keep it quick) commits, stays safe, and ends healthy; on a
// reliable network a window of outstanding commands beats one command at a
// time by a wide margin (batching works).
func TestThroughputSaturates(t *testing.T) {
	const d = 1500 * time.Millisecond
	for _, w := range workloads() {
		t.Run(w.name, func(t *testing.T) {
			w.outstanding = 16
			out, err := saturate(w, 1, d)
			require.NoError(t, err)
			assert.Positive(t, out.commits)
			t.Logf("%s: %d commits in %s of simulated time (%.0f/sim-s), %.1f events per commit",
				w.name, out.commits, out.simTime, float64(out.commits)/out.simTime.Seconds(), float64(out.events)/float64(max(out.commits, 1)))
		})
	}
	one, err := saturate(workload{name: "one", nodes: 3, network: sim.Reliable(), outstanding: 1}, 1, d)
	require.NoError(t, err)
	many, err := saturate(workload{name: "many", nodes: 3, network: sim.Reliable(), outstanding: 64}, 1, d)
	require.NoError(t, err)
	assert.Greater(t, many.commits, 10*one.commits, "64 outstanding commands must commit far more than 1 at a time")
}
