package raft_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
)

// The reference's own end-to-end tests, as simulator scenarios: the
// simulator's checkers (Election Safety, Log Matching, State Machine
// Safety, durability across restarts, ...) run after every turn, and each
// test asserts what it is about on top. The efficiency budgets (RPCs to
// elect, AppendEntries per entry, bytes, idle heartbeats) are in
// efficiency_test.go.

// tick is one tick of the reference's clock, the unit of its timeouts.
const tick = raftapi.TickInterval

func cmd(i int) []byte { return fmt.Appendf(nil, "cmd-%d", i) }

// scenarioConfig is a reliable-network world of n nodes of the reference
// built by f.
func scenarioConfig(t *testing.T, n int, f raftapi.Factory, seed uint64) sim.Config {
	return sim.Config{Nodes: n, Factory: f, Seed: seed, Implementation: "reference", Scenario: t.Name(),
		Replay: fmt.Sprintf("go test ./raft -run '^%s$'", t.Name())}
}

// runSimScenario runs s and fails the test with the run's report if the run
// failed: a checker fired, a wait timed out, or the scenario's own expect
// did not hold.
func runSimScenario(t *testing.T, cfg sim.Config, s sim.Scenario) *sim.Result {
	t.Helper()
	res := sim.Run(cfg, s)
	require.Nil(t, res.Failure, "seed %d: %v", cfg.Seed, res.Failure)
	return res
}

// expect fails the run (from the scenario's goroutine, where t.FailNow
// must not be called) unless ok.
func expect(c *sim.Cluster, ok bool, format string, args ...any) {
	if !ok {
		c.Failf(props.ScenarioError, format, args...)
	}
}

// one is MIT's cfg.one: cmd is committed and applied by every live node.
func one(c *sim.Cluster, cmd []byte) int {
	live := 0
	for i := range c.N() {
		if c.Up(i) {
			live++
		}
	}
	return c.Submit(cmd, live, 10*time.Second)
}

// leader waits for a working leader.
func leader(c *sim.Cluster) int { return c.WaitLeader(10 * time.Second) }

// sameLogs checks that the live nodes' logs end at the same index and term
// (with Log Matching, checked after every turn, the logs are then equal).
func sameLogs(c *sim.Cluster) {
	for i := 1; i < c.N(); i++ {
		a, b := c.State(0), c.State(i)
		expect(c, a.LastIndex == b.LastIndex && a.LastTerm == b.LastTerm,
			"node 0's log ends at %d/%d, node %d's at %d/%d", a.LastIndex, a.LastTerm, i, b.LastIndex, b.LastTerm)
	}
}

// A leader is elected among three nodes for many seeds and keeps its
// leadership on a healthy network (§5.2). (The RPC budget of the first
// election is TestEfficiencyFirstElection.)
func TestScenarioLeaderStays(t *testing.T) {
	for seed := range uint64(50) {
		runSimScenario(t, scenarioConfig(t, 3, raft.New, seed), func(c *sim.Cluster) {
			l := leader(c)
			term, _ := c.GetState(l)
			c.RunFor(5 * time.Second) // quiet: the leader stays
			term2, ok := c.GetState(l)
			expect(c, ok && term2 == term, "seed %d: the leader of term %d lost leadership on a healthy network (now term %d, leader %v)", seed, term, term2, ok)
		})
	}
}

// 100 commands commit one by one at the indexes Start returned, then 500
// pipelined Starts commit together; the logs agree (§5.3).
func TestScenarioCommits100(t *testing.T) {
	runSimScenario(t, scenarioConfig(t, 3, raft.New, 1), func(c *sim.Cluster) {
		for i := range 100 {
			idx := one(c, cmd(i))
			expect(c, idx == i+1, "command %d committed at index %d, want %d", i, idx, i+1)
		}
		sameLogs(c)
		l := leader(c)
		var last int
		for i := range 500 {
			idx, _, ok := c.Start(l, cmd(1000+i))
			expect(c, ok, "node %d stopped leading in the middle of a burst", l)
			last = idx
		}
		c.WaitApplied(last, 3, 2*time.Second)
		sameLogs(c)
	})
}

// Replication costs about one AppendEntries per follower per entry and
// bytes close to the payload, on 5 nodes as on 3 (TestEfficiencyBytes
// measures 3 nodes against the tighter budget).
func TestScenarioReplicationCost(t *testing.T) {
	for _, n := range []int{3, 5} {
		var rpcs, bytesSent int64
		payload := 0
		runSimScenario(t, scenarioConfig(t, n, raft.New, 7), func(c *sim.Cluster) {
			leader(c)
			c.RunFor(50 * tick)
			st := c.Stats()
			rpcs0, bytes0 := st.Requests(), totalBytes(st)
			for i := range 10 {
				p := bytes.Repeat([]byte{byte(i)}, 5000)
				payload += len(p) * (n - 1)
				one(c, p)
			}
			rpcs, bytesSent = st.Requests()-rpcs0, totalBytes(st)-bytes0
		})
		t.Logf("%d nodes: 10 × 5000 B: %d RPCs, %d bytes (payload to followers %d)", n, rpcs, bytesSent, payload)
		assert.LessOrEqual(t, bytesSent, int64(3*payload+50_000), "bytes for %d nodes", n)
		assert.LessOrEqual(t, rpcs, int64(3*10*(n-1)), "RPCs for 10 sequential entries, %d nodes", n)
	}
}

func totalBytes(s *sim.Stats) int64 {
	var b int64
	for _, x := range s.Bytes {
		b += x
	}
	return b
}

// After a crash of the whole cluster everything persisted comes back
// (Figure 2), commitIndex starts at 0 again, and a new command commits the
// old ones with it.
func TestScenarioRestartAll(t *testing.T) {
	runSimScenario(t, scenarioConfig(t, 3, raft.New, 3), func(c *sim.Cluster) {
		for i := range 20 {
			one(c, cmd(i))
		}
		before := make([]raftapi.NodeState, 3)
		for i := range 3 {
			before[i] = c.State(i)
		}
		c.CrashAll()
		c.RestartAll()
		for i := range 3 {
			st := c.State(i)
			expect(c, st.Term == before[i].Term && st.VotedFor == before[i].VotedFor && st.LastIndex == before[i].LastIndex,
				"node %d restarted with term %d, vote %d, last index %d; it had %d, %d, %d", i, st.Term, st.VotedFor, st.LastIndex, before[i].Term, before[i].VotedFor, before[i].LastIndex)
			expect(c, st.CommitIndex == 0, "node %d restarted with commitIndex %d; it is volatile", i, st.CommitIndex)
		}
		idx := one(c, cmd(20))
		expect(c, idx == 21, "the first command after the restart committed at %d, want 21", idx)
	})
}

// A crashed leader is replaced; when it comes back its log is brought in
// line (§5.2, §5.3).
func TestScenarioLeaderFailover(t *testing.T) {
	runSimScenario(t, scenarioConfig(t, 5, raft.New, 4), func(c *sim.Cluster) {
		one(c, cmd(0))
		l := leader(c)
		c.Crash(l)
		one(c, cmd(1)) // by the four live nodes
		one(c, cmd(2))
		c.Restart(l)
		idx := one(c, cmd(3))
		c.WaitApplied(idx, 5, 2*time.Second)
		sameLogs(c)
	})
}

// Followers whose logs diverge from the leader's, after minority leaders
// appended entries nobody else has, are repaired (§5.3, with the
// fast-backup hints).
func TestScenarioDivergentLogs(t *testing.T) {
	runSimScenario(t, scenarioConfig(t, 5, raft.New, 5), func(c *sim.Cluster) {
		one(c, cmd(0))
		for round := range 5 {
			l := leader(c)
			f := (l + 1) % 5
			var rest []int
			for i := range 5 {
				if i != l && i != f {
					rest = append(rest, i)
				}
			}
			c.Partition([]int{l, f}, rest) // the leader keeps one follower: a minority
			for k := range 30 {
				c.Start(l, cmd(100*round+k))
			}
			c.RunFor(5 * tick)
			var nl int
			ok := c.RunUntil(10*time.Second, func() bool {
				var ok bool
				nl, ok = c.Leader()
				return ok && nl != l && nl != f
			})
			expect(c, ok, "round %d: the majority %v elected no leader", round, rest)
			for k := range 10 {
				c.Start(nl, cmd(100*round+50+k))
			}
			c.RunFor(20 * tick)
			c.Heal()
			one(c, cmd(100*round+99))
		}
		sameLogs(c)
	})
}

// A partitioned leader steps down with CheckQuorum (thesis §6.2) within
// two of its quorum periods (40 ticks each), and does not without it.
func TestScenarioCheckQuorum(t *testing.T) {
	for _, on := range []bool{false, true} {
		runSimScenario(t, scenarioConfig(t, 3, raft.NewFactory(raft.Options{CheckQuorum: on}), 8), func(c *sim.Cluster) {
			one(c, cmd(0))
			l := leader(c)
			c.Isolate(l)
			c.RunFor((2*40 + 1) * tick)
			_, still := c.GetState(l)
			expect(c, still == !on, "CheckQuorum=%v: the isolated leader still leads: %v", on, still)
			c.Heal()
			one(c, cmd(1))
		})
	}
}

// With PreVote (thesis §9.6) a node cut off from the cluster does not
// inflate its term, and on its return it does not depose the leader;
// without it, it does inflate.
func TestScenarioPreVote(t *testing.T) {
	for _, on := range []bool{false, true} {
		runSimScenario(t, scenarioConfig(t, 3, raft.NewFactory(raft.Options{PreVote: on}), 9), func(c *sim.Cluster) {
			one(c, cmd(0))
			l := leader(c)
			f := (l + 1) % 3
			termBefore, _ := c.GetState(f)
			c.Isolate(f)
			c.RunFor(10 * time.Second)
			termAfter, _ := c.GetState(f)
			if on {
				expect(c, termAfter == termBefore, "PreVote: the isolated node's term went from %d to %d", termBefore, termAfter)
			} else {
				expect(c, termAfter > termBefore+5, "without PreVote the isolated node's term should inflate: %d → %d", termBefore, termAfter)
			}
			c.Heal()
			one(c, cmd(1))
			if on {
				nl, _ := c.Leader()
				lt, _ := c.GetState(l)
				expect(c, nl == l && lt == termBefore, "PreVote: the returning node deposed the leader (leader %d in term %d; was %d in term %d)", nl, lt, l, termBefore)
			}
		})
	}
}

// Both options at once, with leaders isolated again and again: each steps
// down.
func TestScenarioPreVoteCheckQuorum(t *testing.T) {
	runSimScenario(t, scenarioConfig(t, 5, raft.NewFactory(raft.Options{PreVote: true, CheckQuorum: true}), 10), func(c *sim.Cluster) {
		for i := range 30 {
			one(c, cmd(i))
			if i%10 == 5 {
				l := leader(c)
				c.Isolate(l)
				c.RunFor(100 * tick)
				_, still := c.GetState(l)
				expect(c, !still, "command %d: the isolated leader %d still leads after 100 ticks", i, l)
				c.Heal()
			}
		}
	})
}

// Snapshots (§7): the service snapshots every 10 entries; a follower that
// was down gets the leader's snapshot by InstallSnapshot and then the
// rest; every restarted node comes back from its snapshot; the saved
// state stays small.
func TestScenarioSnapshots(t *testing.T) {
	cfg := scenarioConfig(t, 3, raft.New, 11)
	cfg.SnapshotEvery = 10
	runSimScenario(t, cfg, func(c *sim.Cluster) {
		one(c, cmd(0))
		l := leader(c)
		f := (l + 1) % 3
		c.Crash(f)
		for i := range 55 {
			one(c, cmd(i+1))
		}
		expect(c, c.State(l).SnapshotIndex == 50, "the leader's snapshot goes through %d, want 50", c.State(l).SnapshotIndex)
		c.Restart(f)
		last := one(c, cmd(100))
		expect(c, c.Stats().RPCs[sim.MsgInstallSnapshot] > 0, "no InstallSnapshot was sent to the follower that missed compacted entries")
		st := c.State(f)
		expect(c, st.SnapshotIndex >= 50 && st.LastApplied == last && c.LastApplied(f) == last,
			"the follower has snapshot %d, lastApplied %d (service %d), want ≥ 50 and %d", st.SnapshotIndex, st.LastApplied, c.LastApplied(f), last)

		// Restart everyone: each comes back from its snapshot, and the
		// checkers see that nothing is applied twice.
		for i := range 3 {
			c.Crash(i)
			c.Restart(i)
			st := c.State(i)
			expect(c, st.LastApplied == st.SnapshotIndex && st.CommitIndex == st.SnapshotIndex,
				"node %d restarted with lastApplied %d, commitIndex %d, snapshot %d", i, st.LastApplied, st.CommitIndex, st.SnapshotIndex)
		}
		one(c, cmd(101))
		for i := range 3 {
			expect(c, c.Stats().Nodes[i].State < 400, "node %d saves %d bytes of Raft state: the log is not compacted", i, c.Stats().Nodes[i].State)
		}
	})
}

// The same seed gives the same run, event for event.
func TestScenarioDeterministic(t *testing.T) {
	s := func(c *sim.Cluster) {
		for i := range 20 {
			one(c, cmd(i))
			if i == 10 {
				c.Crash(leader(c))
			}
		}
	}
	res, f := sim.CheckDeterminism(scenarioConfig(t, 5, raft.NewFactory(raft.Options{PreVote: true}), 12), s)
	require.Nil(t, res.Failure)
	require.Nil(t, f, "%v", f)
}

// A randomized run: a lossy, duplicating, reordering network, crashes,
// restarts and partitions, with and without snapshots and options. The
// simulator checks safety and durability after every turn; the test also
// compares each restarted node with its state at the crash and, once the
// faults stop, checks progress.
func TestScenarioRandomized(t *testing.T) {
	seeds := 40
	if testing.Short() {
		seeds = 8
	}
	for seed := range uint64(seeds) {
		r := rand.New(rand.NewPCG(seed, 99))
		o := raft.Options{PreVote: r.IntN(2) == 0, CheckQuorum: r.IntN(2) == 0}
		n := 3 + 2*r.IntN(2)
		cfg := scenarioConfig(t, n, raft.NewFactory(o), seed)
		cfg.Network = sim.Unreliable()
		if r.IntN(2) == 0 {
			cfg.SnapshotEvery = 5 + r.IntN(10)
		}
		var next, committed int
		runSimScenario(t, cfg, func(c *sim.Cluster) {
			saved := make([]raftapi.NodeState, n)
			for step := range 3000 {
				if l, ok := c.Leader(); ok && r.IntN(3) == 0 {
					c.Start(l, cmd(next))
					next++
				}
				if step%100 == 99 {
					switch i := r.IntN(n); r.IntN(4) {
					case 0:
						if c.Up(i) {
							saved[i] = c.State(i)
							c.Crash(i)
						}
					case 1:
						c.Heal()
						c.Isolate(i)
					case 2:
						c.Heal()
					}
				}
				if step%100 == 49 {
					for i := range n {
						if !c.Up(i) {
							c.Restart(i)
							st := c.State(i)
							expect(c, st.Term == saved[i].Term && st.VotedFor == saved[i].VotedFor &&
								st.LastIndex == saved[i].LastIndex && st.SnapshotIndex == saved[i].SnapshotIndex,
								"node %d restarted with term %d vote %d last %d snapshot %d; at its crash %d %d %d %d",
								i, st.Term, st.VotedFor, st.LastIndex, st.SnapshotIndex, saved[i].Term, saved[i].VotedFor, saved[i].LastIndex, saved[i].SnapshotIndex)
						}
					}
				}
				c.RunFor(tick)
			}
			// Faults stop: everything commits everywhere.
			c.Heal()
			c.SetNetwork(sim.Reliable())
			c.RestartAll()
			one(c, cmd(-1))
			committed = c.MaxApplied()
		})
		require.Greater(t, committed, next/4, "seed %d (%+v, %d nodes): too little progress", seed, o, n)
		t.Logf("seed %d: %d nodes %+v snapEvery %d: %d commands started, %d committed", seed, n, o, cfg.SnapshotEvery, next, committed)
	}
}

// BenchmarkScenarioCommit measures the cost of committing one entry on
// three nodes, one Start per tick, in the simulator with its checkers.
func BenchmarkScenarioCommit(b *testing.B) {
	payload := bytes.Repeat([]byte{'x'}, 100)
	var rpcs int64
	res := sim.Run(sim.Config{Nodes: 3, Factory: raft.New, Seed: 13}, func(c *sim.Cluster) {
		l := c.WaitLeader(10 * time.Second)
		b.ReportAllocs()
		b.ResetTimer()
		rpcs = c.Stats().Requests()
		for range b.N {
			c.Start(l, payload)
			c.RunFor(tick)
		}
		b.StopTimer()
		rpcs = c.Stats().Requests() - rpcs
	})
	if res.Failure != nil {
		b.Fatal(res.Failure)
	}
	b.ReportMetric(float64(rpcs)/float64(b.N), "rpcs/op")
}
