package sim_test

import (
	"bytes"
	"math"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/sim/simtest"
	"github.com/raftlab/raftlab/trace"
)

// ---- robustness against the code under test ----

func TestPanicInTurnFailsTheRunNotTheBinary(t *testing.T) {
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		t.OnTick = func(t *simtest.Toy) {
			if t.Me == 1 && t.Ticks == 3 {
				var m map[string]int
				m["boom"]++ //nolint:staticcheck // a deliberate nil-map write, as a student would
			}
		}
	})
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 9}, func(c *sim.Cluster) { c.RunFor(time.Second) })
	require.NotNil(t, res.Failure)
	assert.Equal(t, sim.KindPanic, res.Failure.Kind)
	assert.Equal(t, []int{1}, res.Failure.Nodes)
	report := res.Failure.Error()
	assert.Contains(t, report, "node 1 panicked in Tick: assignment to entry in nil map")
	assert.Contains(t, report, "seed: 9")
	assert.Contains(t, res.Failure.Stack, "simtest/toy.go", "the stack points at the panicking code")
	assert.NotContains(t, res.Failure.Stack, "raftlab/sim.(*Cluster)", "the simulator's own frames are left out")
}

func TestPanicInHandlerNamesTheMessage(t *testing.T) {
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		t.OnTick = func(t *simtest.Toy) {
			if t.Me == 0 && t.Ticks == 1 {
				t.Env.SendAppendEntries(2, &raftapi.AppendEntriesArgs{Term: 1}, nil)
			}
		}
		t.OnAE = func(*simtest.Toy, int, *raftapi.AppendEntriesArgs, *raftapi.AppendEntriesReply) {
			var s []int
			_ = s[5]
		}
	})
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1}, func(c *sim.Cluster) { c.RunFor(time.Second) })
	require.NotNil(t, res.Failure)
	assert.Contains(t, res.Failure.Message, "node 2 panicked in AppendEntries handler (message from node 0): runtime error: index out of range")
}

func TestTurnThatNeverReturnsIsReportedAsAHang(t *testing.T) {
	if runtime.GOARCH == "wasm" {
		// js/wasm runs every goroutine on one thread without preemption:
		// a spinning turn starves the watchdog, so hangs cannot be caught
		// there (the browser sandbox bounds runs by events instead).
		t.Skip("hang detection needs a second thread, which js/wasm does not have")
	}
	var release atomic.Bool
	t.Cleanup(func() { release.Store(true) }) // let the abandoned goroutine end
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		t.OnTick = func(t *simtest.Toy) {
			if t.Me == 2 && t.Ticks == 4 {
				for !release.Load() { // a student's infinite loop
				}
			}
		}
	})
	start := time.Now()
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1, HangBound: 300 * time.Millisecond}, func(c *sim.Cluster) { c.RunFor(time.Second) })
	require.NotNil(t, res.Failure)
	assert.Equal(t, sim.KindHang, res.Failure.Kind)
	assert.Equal(t, []int{2}, res.Failure.Nodes)
	assert.Contains(t, res.Failure.Message, "node 2's Tick did not return within 300ms")
	assert.Less(t, time.Since(start), 5*time.Second, "the watchdog fires soon after the bound")
}

// hangingInspect is a toy whose Inspect deadlocks once asked to, as a
// node guarding its state with a mutex it forgot to unlock would.
type hangingInspect struct {
	*simtest.Toy
	hang    *atomic.Bool
	release *atomic.Bool
}

func (h hangingInspect) Inspect() raftapi.NodeState {
	for h.hang.Load() && !h.release.Load() {
	}
	return h.Toy.Inspect()
}

// The watchdog sees every kind of call: a handler (which runs in the
// node's host) and the factory (which runs before the host exists).
func TestHandlerAndFactoryThatNeverReturnAreHangs(t *testing.T) {
	if runtime.GOARCH == "wasm" {
		t.Skip("hang detection needs a second thread, which js/wasm does not have")
	}
	var release atomic.Bool
	t.Cleanup(func() { release.Store(true) })
	spin := func() {
		for !release.Load() {
		}
	}
	cases := []struct {
		name  string
		setup func(t *simtest.Toy)
		want  string
	}{
		{"handler", func(t *simtest.Toy) {
			t.OnTick = func(t *simtest.Toy) {
				if t.Me == 0 && t.Ticks == 2 {
					t.Env.SendAppendEntries(1, &raftapi.AppendEntriesArgs{Term: 1}, nil)
				}
			}
			t.OnAE = func(*simtest.Toy, int, *raftapi.AppendEntriesArgs, *raftapi.AppendEntriesReply) { spin() }
		}, "node 1's AppendEntries handler (message from node 0) did not return within 300ms"},
		{"factory", func(t *simtest.Toy) {
			if t.Me == 1 {
				spin()
			}
		}, "node 1's Factory (boot) did not return within 300ms"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			res := sim.Run(sim.Config{Nodes: 3, Factory: simtest.ToyFactory(tc.setup), Seed: 1, HangBound: 300 * time.Millisecond},
				func(c *sim.Cluster) { c.RunFor(time.Second) })
			require.NotNil(t, res.Failure)
			assert.Equal(t, sim.KindHang, res.Failure.Kind)
			assert.Equal(t, []int{1}, res.Failure.Nodes)
			assert.Contains(t, res.Failure.Message, tc.want)
		})
	}
}

func TestInspectThatNeverReturnsIsReportedAsAHang(t *testing.T) {
	if runtime.GOARCH == "wasm" {
		t.Skip("hang detection needs a second thread, which js/wasm does not have")
	}
	var hang, release atomic.Bool
	t.Cleanup(func() { release.Store(true) })
	f := func(me, peers int, env raftapi.Env) raftapi.Node {
		n := simtest.ToyFactory(func(t *simtest.Toy) {
			t.OnTick = func(t *simtest.Toy) {
				if t.Me == 1 && t.Ticks == 4 {
					hang.Store(true)
				}
			}
		})(me, peers, env).(*simtest.Toy)
		if me != 1 {
			return n
		}
		return hangingInspect{Toy: n, hang: &hang, release: &release}
	}
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1, HangBound: 300 * time.Millisecond}, func(c *sim.Cluster) { c.RunFor(time.Second) })
	require.NotNil(t, res.Failure)
	assert.Equal(t, sim.KindHang, res.Failure.Kind)
	assert.Contains(t, res.Failure.Message, "node 1's Inspect did not return")
}

func TestGoexitInNodeCodeIsNotAPass(t *testing.T) {
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		t.OnTick = func(t *simtest.Toy) {
			if t.Me == 2 && t.Ticks == 3 {
				runtime.Goexit() // what t.FailNow in a helper would do
			}
		}
	})
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1}, func(c *sim.Cluster) { c.RunFor(time.Second) })
	require.NotNil(t, res.Failure)
	assert.Contains(t, res.Failure.Message, "node 2's Tick called runtime.Goexit")
}

// goexitInspect is a node whose Inspect calls runtime.Goexit once armed.
type goexitInspect struct {
	*simtest.Toy
	armed *atomic.Bool
}

func (n goexitInspect) Inspect() raftapi.NodeState {
	if n.armed.Load() {
		runtime.Goexit() // what t.FailNow in a helper would do
	}
	return n.Toy.Inspect()
}

func TestGoexitInInspectIsNotAPass(t *testing.T) {
	var armed atomic.Bool
	f := func(me, peers int, env raftapi.Env) raftapi.Node {
		n := simtest.ToyFactory(func(t *simtest.Toy) {
			t.OnTick = func(t *simtest.Toy) {
				if t.Me == 2 && t.Ticks == 3 {
					armed.Store(true)
				}
			}
		})(me, peers, env).(*simtest.Toy)
		if me != 2 {
			return n
		}
		return goexitInspect{Toy: n, armed: &armed}
	}
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1}, func(c *sim.Cluster) { c.RunFor(time.Second) })
	require.NotNil(t, res.Failure, "a run whose scenario never finished passed")
	assert.Equal(t, []int{2}, res.Failure.Nodes)
	assert.Contains(t, res.Failure.Message, "node 2's Inspect called runtime.Goexit")
}

func TestEmptySnapshotIsNoSnapshot(t *testing.T) {
	var restored [][]byte
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		if t.Me == 0 {
			restored = append(restored, t.Env.Persister().ReadSnapshot())
		}
		t.OnTick = func(t *simtest.Toy) {
			if t.Me == 0 && t.Ticks == 1 {
				t.Env.Persister().Save([]byte("state"), []byte{})
			}
		}
	})
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1}, func(c *sim.Cluster) {
		c.RunFor(100 * time.Millisecond)
		c.Crash(0)
		c.Restart(0)
		c.RunFor(100 * time.Millisecond)
	})
	require.Nil(t, res.Failure)
	require.Len(t, restored, 2)
	assert.Nil(t, restored[1])
}

func TestEnvUsedAfterCrashIsAContractViolation(t *testing.T) {
	var stale raftapi.Env
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		if t.Me == 0 && stale == nil {
			stale = t.Env
		}
	})
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1}, func(c *sim.Cluster) {
		c.RunFor(100 * time.Millisecond)
		c.Crash(0)
		c.Restart(0)
		stale.SendAppendEntries(1, &raftapi.AppendEntriesArgs{Term: 1}, nil) // as a leftover goroutine would
		c.RunFor(100 * time.Millisecond)
	})
	require.NotNil(t, res.Failure)
	assert.Equal(t, sim.KindContract, res.Failure.Kind)
	assert.Contains(t, res.Failure.Message, "node 0 called Env.SendAppendEntries after it crashed")
}

func TestEnvUsedOutsideTurnIsAContractViolation(t *testing.T) {
	var env raftapi.Env
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		if t.Me == 1 {
			env = t.Env
		}
	})
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1}, func(c *sim.Cluster) {
		c.RunFor(100 * time.Millisecond)
		env.Apply(raftapi.ApplyMsg{CommandValid: true, CommandIndex: 1}) // between turns
		c.RunFor(100 * time.Millisecond)
	})
	require.NotNil(t, res.Failure)
	assert.Contains(t, res.Failure.Message, "node 1 called Env.Apply outside its turn")
}

// StateSize belongs to the Env like every Persister method: the simulator
// (through nodehost) and the rule harness now agree that it is guarded.
func TestStateSizeOutsideTurnIsAContractViolation(t *testing.T) {
	var p raftapi.Persister
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		if t.Me == 1 {
			p = t.Env.Persister()
		}
	})
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1}, func(c *sim.Cluster) {
		c.RunFor(100 * time.Millisecond)
		_ = p.StateSize() // between turns
		c.RunFor(100 * time.Millisecond)
	})
	require.NotNil(t, res.Failure)
	assert.Equal(t, sim.KindContract, res.Failure.Kind)
	assert.Contains(t, res.Failure.Message, "node 1 called Env.Persister().StateSize outside its turn")
}

func TestFactoryMayNotSend(t *testing.T) {
	f := simtest.ToyFactory(func(t *simtest.Toy) { t.Env.SendRequestVote((t.Me+1)%t.Peers, &raftapi.RequestVoteArgs{Term: 1}, nil) })
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1}, func(c *sim.Cluster) { c.RunFor(time.Second) })
	require.NotNil(t, res.Failure)
	assert.Contains(t, res.Failure.Message, "called Env.SendRequestVote from its Factory")
}

func TestNilNodeFromFactory(t *testing.T) {
	res := sim.Run(sim.Config{Nodes: 3, Factory: func(int, int, raftapi.Env) raftapi.Node { return nil }, Seed: 1},
		func(c *sim.Cluster) { c.RunFor(time.Second) })
	require.NotNil(t, res.Failure)
	assert.Contains(t, res.Failure.Message, "returned a nil Node")
}

func TestFloodingNodeHitsTheEventBudget(t *testing.T) {
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		t.OnTick = func(t *simtest.Toy) {
			for range 1000 {
				t.Env.SendRequestVote((t.Me+1)%t.Peers, &raftapi.RequestVoteArgs{}, nil)
			}
		}
	})
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1, MaxEvents: 100_000}, func(c *sim.Cluster) { c.RunFor(time.Minute) })
	require.NotNil(t, res.Failure)
	assert.Contains(t, res.Failure.Message, "flooding the network")
}

// ---- determinism ----

// nondeterministic is a toy whose behaviour depends on state outside the
// simulation (a counter shared across runs), as a student's use of the
// wall clock or a global would.
func TestNondeterminismIsReportedWithTheFirstDifference(t *testing.T) {
	var runs atomic.Int64
	f := func(me, peers int, env raftapi.Env) raftapi.Node {
		if me == 0 {
			runs.Add(1)
		}
		run := runs.Load()
		return simtest.ToyFactory(func(t *simtest.Toy) {
			t.OnTick = func(t *simtest.Toy) {
				if t.Me == 0 && t.Ticks == 10+int(run) {
					t.Env.SendRequestVote(1, &raftapi.RequestVoteArgs{Term: 1}, nil)
				}
			}
		})(me, peers, env)
	}
	_, nd := sim.CheckDeterminism(sim.Config{Nodes: 3, Factory: f, Seed: 5}, func(c *sim.Cluster) { c.RunFor(time.Second) })
	require.NotNil(t, nd)
	assert.Equal(t, sim.KindNondeterminism, nd.Kind)
	assert.Contains(t, nd.Message, "first at event 0")
	assert.Contains(t, nd.Message, "map iteration order, goroutines, the wall clock")
}

// ---- the network ----

func TestNetworkDropAndDuplicationRates(t *testing.T) {
	for _, tc := range []struct {
		name      string
		drop, dup float64
	}{
		{"reliable", 0, 0},
		{"drop 10%", 0.1, 0},
		{"drop 30% dup 20%", 0.3, 0.2},
		{"dup 50%", 0, 0.5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var received, replies atomic.Int64
			cfg := sim.Config{Nodes: 4, Factory: simtest.Pingers(&received, &replies), Seed: 11,
				Network: sim.Network{DropRate: tc.drop, DupRate: tc.dup, DelayMin: time.Millisecond, DelayMax: 3 * time.Millisecond}}
			res := sim.Run(cfg, func(c *sim.Cluster) { c.RunFor(100 * time.Second) }) // 40,000 requests
			require.Nil(t, res.Failure)
			s := res.Stats
			sent := float64(s.Requests())
			require.InDelta(t, 40_000, sent, 8)
			// Requests and replies both cross the network, so both are
			// dropped and duplicated at the configured rates.
			total := float64(s.TotalRPCs())
			assert.InDelta(t, tc.drop, float64(s.Dropped)/total, 0.01, "drop rate")
			assert.InDelta(t, tc.dup, float64(s.Duplicated)/(total-float64(s.Dropped)), 0.01, "duplication rate")
			wantReceived := sent * (1 - tc.drop) * (1 + tc.dup)
			assert.InDelta(t, wantReceived, float64(received.Load()), 0.02*sent, "requests delivered")
			if tc.drop == 0 && tc.dup == 0 {
				assert.InDelta(t, sent, received.Load(), 4, "a reliable network delivers every request once (but those still in flight)")
				assert.InDelta(t, sent, replies.Load(), 4, "and every reply once")
				assert.LessOrEqual(t, received.Load(), int64(sent))
			}
		})
	}
}

func TestPartitionsCutBothWaysAndOneWay(t *testing.T) {
	var received, replies atomic.Int64
	cfg := sim.Config{Nodes: 3, Factory: simtest.Pingers(&received, &replies), Seed: 2}
	res := sim.Run(cfg, func(c *sim.Cluster) {
		c.Partition([]int{0}, []int{1, 2}) // 0→1 and 2→0 are cut; 1→2 flows
		c.RunFor(time.Second)
		assert.InDelta(t, 100, received.Load(), 1, "only 1→2 crosses")
		assert.InDelta(t, 100, replies.Load(), 1)
		c.Heal()
		c.Cut(1, 2) // one-way: 1's requests to 2 are lost
		received.Store(0)
		replies.Store(0)
		c.RunFor(time.Second)
		assert.InDelta(t, 200, received.Load(), 2, "0→1 and 2→0 flow, 1→2 does not")
	})
	require.Nil(t, res.Failure)
}

func TestLongReorderingDelaysSomeMessages(t *testing.T) {
	var received, replies atomic.Int64
	cfg := sim.Config{Nodes: 2, Factory: simtest.Pingers(&received, &replies), Seed: 4,
		Network: sim.Network{DelayMin: time.Millisecond, DelayMax: 2 * time.Millisecond, LongDelayRate: 0.5, LongDelayMax: 10 * time.Second}}
	res := sim.Run(cfg, func(c *sim.Cluster) {
		c.RunFor(time.Second)
		sent := c.Stats().Requests()
		assert.Less(t, received.Load(), sent*3/4, "about half the requests are still held back")
		c.SetNetwork(sim.Reliable())
		c.RunFor(11 * time.Second)
	})
	require.Nil(t, res.Failure)
	assert.InDelta(t, res.Stats.Requests(), received.Load(), 2, "held-back messages arrive eventually")
}

// ---- crashes ----

func TestCrashKeepsOnlyWhatWasSaved(t *testing.T) {
	var restored [][]byte
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		if t.Me != 0 {
			return
		}
		restored = append(restored, t.Env.Persister().ReadState())
		t.OnTick = func(t *simtest.Toy) {
			switch t.Ticks {
			case 1:
				t.Env.Persister().Save([]byte("saved"), nil)
			case 2:
				t.Cmds = append(t.Cmds, []byte("only in memory"))
			}
		}
	})
	res := sim.Run(sim.Config{Nodes: 3, Factory: f, Seed: 1, NoChecks: true}, func(c *sim.Cluster) {
		c.RunFor(100 * time.Millisecond)
		c.Crash(0)
		c.RunFor(100 * time.Millisecond)
		c.Restart(0)
	})
	require.Nil(t, res.Failure)
	require.Len(t, restored, 2)
	assert.Nil(t, restored[0], "a first boot finds no state")
	assert.Equal(t, []byte("saved"), restored[1], "a restart finds exactly the last Save")
}

func TestRepliesToACrashedIncarnationAreNeverDelivered(t *testing.T) {
	var replies atomic.Int64
	var sent atomic.Bool
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		t.OnTick = func(t *simtest.Toy) {
			if t.Me == 0 && sent.CompareAndSwap(false, true) {
				t.Env.SendRequestVote(1, &raftapi.RequestVoteArgs{Term: 1}, func(*raftapi.RequestVoteReply) { replies.Add(1) })
			}
		}
	})
	cfg := sim.Config{Nodes: 2, Factory: f, Seed: 1, LockstepTicks: true, RecordTrace: true,
		Network: sim.Network{DelayMin: 20 * time.Millisecond, DelayMax: 20 * time.Millisecond}}
	res := sim.Run(cfg, func(c *sim.Cluster) {
		c.RunFor(15 * time.Millisecond) // node 0 sent at 10 ms; the reply arrives at 50 ms
		c.Crash(0)
		c.Restart(0)
		c.RunFor(time.Second)
	})
	require.Nil(t, res.Failure)
	assert.Zero(t, replies.Load())
	var discarded []trace.Event
	for _, e := range res.Trace.Events {
		if e.Kind == trace.KindDiscard {
			discarded = append(discarded, e)
		}
	}
	require.Len(t, discarded, 1)
	assert.Equal(t, trace.ReasonStale, discarded[0].Reason)
}

func TestQueuedSnapshotTurnDiesWithACrash(t *testing.T) {
	var snaps atomic.Int64
	var applied atomic.Bool
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		t.AppendLog(1, "a")
		t.OnSnap = func(*simtest.Toy, int, []byte) { snaps.Add(1) }
		t.OnTick = func(t *simtest.Toy) {
			if applied.CompareAndSwap(false, true) {
				t.Env.Apply(raftapi.ApplyMsg{CommandValid: true, Command: t.Cmds[0], CommandIndex: 1, CommandTerm: 1})
			}
		}
	})
	res := sim.Run(sim.Config{Nodes: 1, Factory: f, Seed: 1, SnapshotEvery: 1}, func(c *sim.Cluster) {
		c.RunUntil(time.Second, func() bool { return c.LastApplied(0) == 1 })
		c.Crash(0) // the Snapshot turn the service queued has not run yet
		c.Restart(0)
		c.RunFor(time.Second)
	})
	require.Nil(t, res.Failure)
	assert.Zero(t, snaps.Load())
}

// ---- clocks and pauses ----

func TestClockSkewAndPhase(t *testing.T) {
	ticksIn := func(cfg sim.Config) (times [][]time.Duration) {
		times = make([][]time.Duration, cfg.Nodes)
		var c *sim.Cluster
		cfg.Factory = simtest.ToyFactory(func(t *simtest.Toy) {
			t.OnTick = func(t *simtest.Toy) { times[t.Me] = append(times[t.Me], c.Now()) }
		})
		res := sim.Run(cfg, func(cl *sim.Cluster) { c = cl; c.RunFor(10 * time.Second) })
		require.Nil(t, res.Failure)
		return times
	}
	lock := ticksIn(sim.Config{Nodes: 3, Seed: 1, LockstepTicks: true})
	for i := range lock {
		assert.Len(t, lock[i], 1000)
		assert.Equal(t, lock[0][:50], lock[i][:50], "lockstep: every node ticks at the same instants")
	}
	skew := ticksIn(sim.Config{Nodes: 5, Seed: 1, ClockSkew: 0.2})
	distinct := map[int]bool{}
	for i := range skew {
		n := len(skew[i])
		assert.GreaterOrEqual(t, n, 830, "node %d ticks at most 1.2× slower", i)
		assert.LessOrEqual(t, n, 1250, "node %d ticks at most 1.2× faster", i)
		distinct[n] = true
	}
	assert.Greater(t, len(distinct), 1, "skewed nodes tick at different rates")
}

func TestPausedNodeGetsNoTicksAndItsMessagesWait(t *testing.T) {
	var received, replies atomic.Int64
	res := sim.Run(sim.Config{Nodes: 2, Factory: simtest.Pingers(&received, &replies), Seed: 1}, func(c *sim.Cluster) {
		c.RunFor(time.Second)
		before := received.Load()
		c.Pause(1)
		c.RunFor(time.Second)
		assert.InDelta(t, before+1, received.Load(), 1, "node 1 neither ticks nor receives while paused")
		c.Resume(1)
		c.RunFor(time.Millisecond)
		assert.InDelta(t, before+100, received.Load(), 2, "the held messages arrive at resume")
	})
	require.Nil(t, res.Failure)
}

// ---- the failure report ----

func TestFailureReportNamesEverythingNeededToReplay(t *testing.T) {
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		t.OnTick = func(t *simtest.Toy) {
			if t.Me <= 1 && t.Ticks == 3 {
				t.State.Role, t.State.Term = raftapi.Leader, 1
			}
		}
	})
	cfg := sim.Config{Nodes: 3, Factory: f, Seed: 77, Implementation: "toy", Scenario: "two-leaders",
		Replay: "go test ./raft -run 'TestElection/InitialElection$' -seed=77", TimelineLen: 5}
	res := sim.Run(cfg, func(c *sim.Cluster) { c.Note("hello"); c.RunFor(time.Second) })
	require.NotNil(t, res.Failure)
	report := res.Failure.Error()
	for _, want := range []string{
		"SAFETY: Election Safety (§5.2) at simulated time",
		"involved: nodes [",
		"scenario: two-leaders   implementation: toy   seed: 77",
		"replay:   go test ./raft -run 'TestElection/InitialElection$' -seed=77",
		"nodes at the failure:",
		"n0 up      leader",
		"last 2 events:",
	} {
		assert.Contains(t, report, want)
	}
	assert.True(t, math.Abs(res.End.Seconds()-0.03) < 0.02, "the run stops at the failure (%s)", res.End)
}

// ---- traces ----

func TestTraceRoundTrip(t *testing.T) {
	var received, replies atomic.Int64
	cfg := sim.Config{Nodes: 3, Factory: simtest.Pingers(&received, &replies), Seed: 3, RecordTrace: true, Network: sim.Unreliable()}
	res := sim.Run(cfg, func(c *sim.Cluster) {
		c.RunFor(500 * time.Millisecond)
		c.Partition([]int{0}, []int{1, 2})
		c.RunFor(500 * time.Millisecond)
		c.Crash(1)
		c.Restart(1)
	})
	require.Nil(t, res.Failure)
	b, err := trace.Marshal(res.Trace)
	require.NoError(t, err)
	back, err := trace.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, res.Trace, back)
	kinds := map[string]int{}
	for _, e := range back.Events {
		kinds[e.Kind]++
	}
	for _, k := range []string{trace.KindSend, trace.KindDeliver, trace.KindPartition, trace.KindCrash, trace.KindRestart} {
		assert.Positive(t, kinds[k], "trace has %s events", k)
	}
}

func TestInterceptorScriptsExactSchedules(t *testing.T) {
	var received atomic.Int64
	var terms []int
	f := simtest.ToyFactory(func(t *simtest.Toy) {
		t.OnTick = func(t *simtest.Toy) {
			if t.Me == 0 && t.Ticks <= 3 {
				t.Env.SendAppendEntries(1, &raftapi.AppendEntriesArgs{Term: 1, PrevLogIndex: t.Ticks}, nil)
			}
		}
		t.OnAE = func(_ *simtest.Toy, _ int, a *raftapi.AppendEntriesArgs, _ *raftapi.AppendEntriesReply) {
			received.Add(1)
			terms = append(terms, a.PrevLogIndex)
		}
	})
	res := sim.Run(sim.Config{Nodes: 2, Factory: f, Seed: 1, RecordTrace: true}, func(c *sim.Cluster) {
		c.Intercept(func(m sim.Msg) sim.Verdict {
			switch {
			case m.Kind == sim.MsgAppendEntries && m.PrevLogIndex == 1:
				return sim.Verdict{Delay: time.Millisecond, Dup: true, DupDelay: 200 * time.Millisecond} // a stale duplicate
			case m.Kind == sim.MsgAppendEntries && m.PrevLogIndex == 2:
				return sim.Verdict{Drop: true}
			}
			return sim.Verdict{}
		})
		c.RunFor(time.Second)
	})
	require.Nil(t, res.Failure)
	assert.Equal(t, []int{1, 3, 1}, terms, "the first request, the third, then the held-back duplicate of the first; the second was dropped")
	scripted, dropped := 0, 0
	for _, e := range res.Trace.Events {
		if e.Fault == trace.FaultScripted {
			scripted++
		}
		if e.Reason == trace.ReasonScenario {
			dropped++
		}
	}
	assert.Equal(t, 1, scripted, "the delayed and duplicated request")
	assert.Equal(t, 1, dropped, "the dropped request")
}

// Submit with no leader to offer to reports the election, not agreement:
// the toy never leads, so Start is refused everywhere.
func TestSubmitWithoutALeaderReportsLeaderElection(t *testing.T) {
	res := sim.Run(sim.Config{Nodes: 3, Factory: simtest.ToyFactory(nil), Seed: 1}, func(c *sim.Cluster) {
		c.Submit([]byte("x"), 3, time.Second)
	})
	require.NotNil(t, res.Failure)
	assert.Equal(t, props.LeaderElection.Name(), res.Failure.Rule)
	assert.Contains(t, res.Failure.Message, `command "x" could not even be offered within 1s`)
}
