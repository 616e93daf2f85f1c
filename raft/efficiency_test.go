package raft_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/trace"
)

// The efficiency budgets of MIT 6.5840's Raft tests, measured in the
// simulator on a reliable network. "RPCs" are requests: each request and
// its reply make one RPC, as in MIT's labrpc. Bytes count requests and
// replies, which is stricter than labrpc (requests only).
const (
	// At most 30 RPCs to elect the first leader of 3 nodes (MIT 3B
	// TestCount: "too many or too few RPCs to elect initial leader").
	budgetElectRPCs = 30
	// At most 3 AppendEntries per follower per committed entry on a
	// healthy network, plus the heartbeats the window allows.
	budgetRPCsPerFollowerEntry = 3
	// At most 10 heartbeats per follower per idle second.
	budgetHeartbeatsPerSecond = 10
	// 10 commands of 5000 bytes in 3 nodes: at most 3 × the payload
	// + 50 KB on the wire (MIT 3B TestBytes).
	bytesCommands   = 10
	bytesCommandLen = 5000
	budgetBytesOver = 50_000
)

func efficiencyConfig(nodes int, seed uint64, f raftapi.Factory) sim.Config {
	return sim.Config{Nodes: nodes, Factory: f, Seed: seed, Implementation: "reference", Scenario: "efficiency"}
}

// run runs s and returns its failure as an error, if any.
func run(cfg sim.Config, s sim.Scenario) (*sim.Result, error) {
	res := sim.Run(cfg, s)
	if res.Failure != nil {
		return res, fmt.Errorf("%s seed %d: %w", cfg.Scenario, cfg.Seed, res.Failure)
	}
	return res, nil
}

// measureElection is the number of RPCs (requests) sent from boot until the
// first working leader exists.
func measureElection(f raftapi.Factory, nodes int, seed uint64) (int64, error) {
	var rpcs int64
	_, err := run(efficiencyConfig(nodes, seed, f), func(c *sim.Cluster) {
		c.WaitLeader(5 * time.Second)
		rpcs = c.Stats().Requests()
	})
	return rpcs, err
}

// replicationCost is what committing entries cost, from the first Start to
// the last entry applied on every node.
type replicationCost struct {
	requests  int64 // requests of every kind, by every node
	appends   int64 // AppendEntries sent by the leader
	followers int
	entries   int
	window    time.Duration
	payload   int64 // command bytes offered
	bytes     int64 // bytes on the wire, requests and replies
}

// perFollowerEntry is AppendEntries per follower per committed entry.
func (r replicationCost) perFollowerEntry() float64 {
	return float64(r.appends) / float64(r.followers*r.entries)
}

// heartbeatAllowance is how many heartbeats per follower the window
// allows at the budget's rate, rounded up.
func (r replicationCost) heartbeatAllowance() int64 {
	return int64(math.Ceil(r.window.Seconds() * budgetHeartbeatsPerSecond))
}

func (r replicationCost) checkRPCs() error {
	limit := int64(r.followers) * (budgetRPCsPerFollowerEntry*int64(r.entries) + r.heartbeatAllowance())
	if r.requests > limit {
		return fmt.Errorf("%d RPCs to commit %d entries in %s on %d followers; budget %d (%d per follower per entry + %d heartbeats/s)",
			r.requests, r.entries, r.window, r.followers, limit, budgetRPCsPerFollowerEntry, budgetHeartbeatsPerSecond)
	}
	return nil
}

func (r replicationCost) checkBytes() error {
	limit := int64(r.followers+1)*r.payload + budgetBytesOver
	if r.bytes > limit {
		return fmt.Errorf("%d bytes on the wire for %d bytes of commands on %d nodes; budget %d (%d × payload + %d)",
			r.bytes, r.payload, r.followers+1, limit, r.followers+1, budgetBytesOver)
	}
	return nil
}

// measureReplication elects a leader, lets it settle, then commits the
// commands. With burst, it Starts them all at once on the leader and waits
// for every node to apply them (MIT's TestCount); otherwise it commits one
// at a time, each applied everywhere before the next is offered (MIT's
// cfg.one in a loop).
func measureReplication(f raftapi.Factory, nodes int, seed uint64, cmds [][]byte, burst bool) (replicationCost, error) {
	cost := replicationCost{followers: nodes - 1, entries: len(cmds)}
	_, err := run(efficiencyConfig(nodes, seed, f), func(c *sim.Cluster) {
		leader := c.WaitLeader(5 * time.Second)
		c.RunFor(time.Second)
		term := c.State(leader).Term
		st := c.Stats()
		req0, ae0, b0, t0 := st.Requests(), st.Nodes[leader].RPCs[sim.MsgAppendEntries], st.TotalBytes(), c.Now()
		if burst {
			last := 0
			for _, cmd := range cmds {
				idx, _, ok := c.Start(leader, cmd)
				if !ok {
					c.Failf(props.HeartbeatsPreventElections, "node %d stopped leading on a healthy network", leader)
				}
				last = idx
			}
			c.WaitApplied(last, nodes, 5*time.Second)
		} else {
			for _, cmd := range cmds {
				c.Submit(cmd, nodes, 5*time.Second)
			}
		}
		if l, ok := c.Leader(); !ok || l != leader || c.State(leader).Term != term {
			c.Failf(props.HeartbeatsPreventElections, "the leader changed on a healthy network (node %d term %d before)", leader, term)
		}
		cost.requests = st.Requests() - req0
		cost.appends = st.Nodes[leader].RPCs[sim.MsgAppendEntries] - ae0
		cost.bytes = st.TotalBytes() - b0
		cost.window = c.Now() - t0
		for _, cmd := range cmds {
			cost.payload += int64(len(cmd))
		}
	})
	return cost, err
}

// smallCommands are MIT TestCount's commands: ten small values.
func smallCommands(n int) [][]byte {
	cmds := make([][]byte, n)
	for i := range cmds {
		cmds[i] = fmt.Appendf(nil, "cmd-%d", i)
	}
	return cmds
}

// bigCommands are MIT TestBytes's: random, incompressible bytes.
func bigCommands(seed uint64) [][]byte {
	r := rand.New(rand.NewPCG(seed, 5000))
	cmds := make([][]byte, bytesCommands)
	for i := range cmds {
		cmds[i] = make([]byte, bytesCommandLen)
		for j := range cmds[i] {
			cmds[i][j] = byte(r.UintN(256))
		}
	}
	return cmds
}

// measureIdle elects a leader, commits one command everywhere, lets the
// cluster settle, and counts the AppendEntries the leader sends each
// follower during window with no command offered. It fails if the leader
// or its term changes.
func measureIdle(f raftapi.Factory, nodes int, seed uint64, window time.Duration) (perFollower []int, err error) {
	cfg := efficiencyConfig(nodes, seed, f)
	cfg.RecordTrace = true
	var leader int
	var from, to int64
	res, err := run(cfg, func(c *sim.Cluster) {
		leader = c.WaitLeader(5 * time.Second)
		c.Submit([]byte("warm-up"), nodes, 5*time.Second)
		c.RunFor(time.Second)
		leader = c.WaitLeader(time.Second)
		term := c.State(leader).Term
		from = c.Now().Microseconds()
		c.RunFor(window)
		to = c.Now().Microseconds()
		if l, ok := c.Leader(); !ok || l != leader || c.State(leader).Term != term {
			c.Failf(props.HeartbeatsPreventElections, "the leader changed while the cluster was idle on a healthy network (node %d term %d before)", leader, term)
		}
	})
	if err != nil {
		return nil, err
	}
	perFollower = make([]int, nodes)
	for _, e := range res.Trace.Events {
		if e.T >= from && e.T < to && e.Kind == trace.KindSend && e.Node == leader && e.Msg != nil && e.Msg.Kind == trace.MsgAppendEntries {
			perFollower[e.Peer]++
		}
	}
	return append(perFollower[:leader:leader], perFollower[leader+1:]...), nil
}

func checkHeartbeats(perFollower []int, window time.Duration) error {
	for i, n := range perFollower {
		if rate := float64(n) / window.Seconds(); rate > budgetHeartbeatsPerSecond {
			return fmt.Errorf("follower %d of the leader got %d AppendEntries in %s of idleness: %.2f/s, budget %d/s", i, n, window, rate, budgetHeartbeatsPerSecond)
		}
	}
	return nil
}

func TestEfficiencyFirstElection(t *testing.T) {
	tests := []struct {
		nodes int
		limit int64
	}{
		{3, budgetElectRPCs},
		{5, budgetElectRPCs * 5 / 3}, // the same budget per node
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d nodes", tt.nodes), func(t *testing.T) {
			var total, worst int64
			const seeds = 50
			for seed := range uint64(seeds) {
				rpcs, err := measureElection(raft.New, tt.nodes, seed)
				require.NoError(t, err)
				require.LessOrEqual(t, rpcs, tt.limit, "seed %d: RPCs to elect the first leader", seed)
				total += rpcs
				worst = max(worst, rpcs)
			}
			t.Logf("%d nodes: %.1f RPCs on average to elect the first leader, %d at worst over %d seeds (budget %d)", tt.nodes, float64(total)/seeds, worst, seeds, tt.limit)
		})
	}
}

func TestEfficiencyReplication(t *testing.T) {
	tests := []struct {
		name  string
		nodes int
		burst bool
	}{
		{"3 nodes one at a time", 3, false},
		{"3 nodes burst", 3, true},
		{"5 nodes one at a time", 5, false},
		{"5 nodes burst", 5, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for seed := range uint64(10) {
				cost, err := measureReplication(raft.New, tt.nodes, seed, smallCommands(10), tt.burst)
				require.NoError(t, err)
				require.NoError(t, cost.checkRPCs(), "seed %d", seed)
				if tt.burst {
					// MIT TestCount's own bound: (iters+1+3) × servers RPCs in all.
					assert.LessOrEqual(t, cost.requests, int64((cost.entries+4)*tt.nodes), "seed %d: MIT TestCount's bound", seed)
				}
				if seed == 0 {
					t.Logf("%s: %d RPCs (%d AppendEntries from the leader) in %s for %d entries: %.2f AppendEntries per follower per entry (budget %d + heartbeats)",
						tt.name, cost.requests, cost.appends, cost.window, cost.entries, cost.perFollowerEntry(), budgetRPCsPerFollowerEntry)
				}
			}
		})
	}
}

// TestEfficiencyBytes: MIT's TestBytes commits one command at a time; the
// burst Starts them all at once, which a leader that pipelines over a
// network that reorders (the simulator's reliable network delays each
// message independently by 1–5 ms) can blow far past the budget, resending
// rejected batches. The reference keeps one batch in flight per follower.
func TestEfficiencyBytes(t *testing.T) {
	tests := []struct {
		name  string
		burst bool
	}{
		{"one at a time (MIT TestBytes)", false},
		{"burst", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var errs []error
			for seed := range uint64(10) {
				cost, err := measureReplication(raft.New, 3, seed, bigCommands(seed), tt.burst)
				require.NoError(t, err)
				if err := cost.checkBytes(); err != nil {
					errs = append(errs, fmt.Errorf("seed %d: %w", seed, err))
				}
				if seed == 0 {
					t.Logf("%s: %d bytes on the wire for %d bytes of commands: %.3f bytes per payload byte (budget %d × payload + %d)",
						tt.name, cost.bytes, cost.payload, float64(cost.bytes)/float64(cost.payload), cost.followers+1, budgetBytesOver)
				}
			}
			require.Empty(t, errs)
		})
	}
}

func TestEfficiencyIdleHeartbeats(t *testing.T) {
	const window = 10 * time.Second
	for _, nodes := range []int{3, 5} {
		t.Run(fmt.Sprintf("%d nodes", nodes), func(t *testing.T) {
			for seed := range uint64(5) {
				per, err := measureIdle(raft.New, nodes, seed, window)
				require.NoError(t, err)
				require.Len(t, per, nodes-1)
				require.NoError(t, checkHeartbeats(per, window), "seed %d", seed)
				for i, n := range per {
					// Followers that hear fewer would time out (§5.2).
					assert.GreaterOrEqual(t, n, int(window/(200*time.Millisecond)), "seed %d follower %d", seed, i)
				}
				if seed == 0 {
					t.Logf("%d nodes: AppendEntries per follower in %s of idleness: %v (%.2f/s; budget %d/s)", nodes, window, per, float64(per[0])/window.Seconds(), budgetHeartbeatsPerSecond)
				}
			}
		})
	}
}

// chatty wraps the reference so that it runs two ticks per tick and sends
// every AppendEntries twice: an implementation that wastes RPCs, bytes and
// heartbeats, which the budgets above must catch.
type chatty struct{ raftapi.Node }

func (c chatty) Tick() { c.Node.Tick(); c.Node.Tick() }

type chattyEnv struct{ raftapi.Env }

func (e chattyEnv) SendAppendEntries(to int, args *raftapi.AppendEntriesArgs, onReply func(*raftapi.AppendEntriesReply)) {
	e.Env.SendAppendEntries(to, args, onReply)
	e.Env.SendAppendEntries(to, args, onReply)
}

func chattyFactory(me, peers int, env raftapi.Env) raftapi.Node {
	return chatty{raft.New(me, peers, chattyEnv{env})}
}

// TestEfficiencyBudgetsCanFail: the checks above fail a wasteful
// implementation.
func TestEfficiencyBudgetsCanFail(t *testing.T) {
	per, err := measureIdle(chattyFactory, 3, 1, 10*time.Second)
	require.NoError(t, err)
	assert.ErrorContains(t, checkHeartbeats(per, 10*time.Second), "budget 10/s")

	cost, err := measureReplication(chattyFactory, 3, 1, smallCommands(10), false)
	require.NoError(t, err)
	assert.ErrorContains(t, cost.checkRPCs(), "RPCs to commit 10 entries")

	cost, err = measureReplication(chattyFactory, 3, 1, bigCommands(1), true)
	require.NoError(t, err)
	assert.ErrorContains(t, cost.checkBytes(), "bytes on the wire")
}

// BenchmarkEfficiency reports the budgets' measures, averaged over seeds
// (one seed per iteration).
func BenchmarkEfficiency(b *testing.B) {
	b.Run("elect/3nodes", func(b *testing.B) {
		var rpcs int64
		seed := uint64(0)
		for b.Loop() {
			n, err := measureElection(raft.New, 3, seed)
			if err != nil {
				b.Fatal(err)
			}
			rpcs += n
			seed++
		}
		b.ReportMetric(float64(rpcs)/float64(b.N), "rpcs/elect")
	})
	for _, burst := range []bool{false, true} {
		b.Run(fmt.Sprintf("entries/3nodes/burst=%t", burst), func(b *testing.B) {
			var sum float64
			seed := uint64(0)
			for b.Loop() {
				cost, err := measureReplication(raft.New, 3, seed, smallCommands(10), burst)
				if err != nil {
					b.Fatal(err)
				}
				sum += cost.perFollowerEntry()
				seed++
			}
			b.ReportMetric(sum/float64(b.N), "rpcs/follower/entry")
		})
	}
	for _, burst := range []bool{false, true} {
		b.Run(fmt.Sprintf("bytes/3nodes/burst=%t", burst), func(b *testing.B) {
			var sum float64
			seed := uint64(0)
			for b.Loop() {
				cost, err := measureReplication(raft.New, 3, seed, bigCommands(seed), burst)
				if err != nil {
					b.Fatal(err)
				}
				sum += float64(cost.bytes) / float64(cost.payload)
				seed++
			}
			b.ReportMetric(sum/float64(b.N), "bytes/payload-byte")
		})
	}
	b.Run("idle/3nodes", func(b *testing.B) {
		const window = 10 * time.Second
		var sum float64
		seed := uint64(0)
		for b.Loop() {
			per, err := measureIdle(raft.New, 3, seed, window)
			if err != nil {
				b.Fatal(err)
			}
			for _, n := range per {
				sum += float64(n) / window.Seconds() / float64(len(per))
			}
			seed++
		}
		b.ReportMetric(sum/float64(b.N), "heartbeats/s")
	})
}
