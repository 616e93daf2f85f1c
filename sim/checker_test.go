package sim_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/sim/simtest"
)

// Each case scripts toy nodes that break one property on purpose, and
// asserts that the matching checker fires with a message a student can act
// on: the rule, the paper section, and the nodes, terms and indexes.
func TestCheckersFire(t *testing.T) {
	type tc struct {
		name     string
		nodes    int
		snapK    int
		setup    func(t *simtest.Toy)
		scenario sim.Scenario
		kind     string
		rule     props.ID
		nodesIn  []int
		contains []string
	}
	run2s := func(c *sim.Cluster) { c.RunFor(2 * time.Second) }
	cases := []tc{
		{
			name: "two leaders in one term (Inspect)",
			setup: func(t *simtest.Toy) {
				t.OnTick = func(t *simtest.Toy) {
					if t.Me <= 1 && t.Ticks == 3 {
						t.State.Role, t.State.Term = raftapi.Leader, 1
					}
				}
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.ElectionSafety,
			nodesIn: []int{0, 1}, contains: []string{"both leader of term 1"},
		},
		{
			name: "two senders of AppendEntries in one term (wire)",
			setup: func(t *simtest.Toy) {
				t.OnTick = func(t *simtest.Toy) {
					if t.Me <= 1 && t.Ticks == 3 {
						t.Env.SendAppendEntries(2, &raftapi.AppendEntriesArgs{Term: 4, LeaderID: t.Me}, nil)
					}
				}
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.ElectionSafety,
			nodesIn: []int{0, 1}, contains: []string{"both sent AppendEntries as leader of term 4", "on the wire"},
		},
		{
			name: "double vote after a restart that forgot votedFor",
			setup: func(t *simtest.Toy) {
				// Grants one vote per term, but keeps votedFor only in memory
				// and hides it from Inspect, so that only the wire shows the
				// second vote.
				voted := false
				t.OnRV = func(t *simtest.Toy, from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
					if !voted {
						voted = true
						r.Term, r.VoteGranted = a.Term, true
					}
				}
				t.OnTick = func(t *simtest.Toy) {
					if t.Ticks == 2 && (t.Me == 0 || t.Me == 1) {
						t.Env.SendRequestVote(2, &raftapi.RequestVoteArgs{Term: 1, CandidateID: t.Me}, nil)
					}
				}
			},
			scenario: func(c *sim.Cluster) {
				c.Isolate(1)
				c.RunFor(100 * time.Millisecond) // node 0 asks and gets node 2's vote
				c.Crash(2)
				c.Restart(2)
				c.Connect(1)
				c.Crash(1)
				c.Restart(1) // node 1 asks again from scratch, in the same term
				c.RunFor(time.Second)
			},
			kind: sim.KindSafety, rule: props.OneVotePerTerm,
			nodesIn: []int{2, 0, 1}, contains: []string{"granted its vote in term 1 to node 0 and then to node 1", "crashed and restarted", "Persister().Save"},
		},
		{
			name: "different entries applied at one index",
			setup: func(t *simtest.Toy) {
				term, cmd := 1, "a"
				if t.Me != 0 {
					term, cmd = 2, "b"
				}
				t.AppendLog(term, cmd)
				t.State.Term = 2
				t.OnTick = func(t *simtest.Toy) {
					if t.Ticks == 1 && t.Me <= 1 {
						t.Env.Apply(raftapi.ApplyMsg{CommandValid: true, Command: t.Cmds[0], CommandIndex: 1, CommandTerm: t.Terms[0]})
					}
				}
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.StateMachineSafety,
			contains: []string{`node 0 applied "a" (term 1) at index 1, but node 1 applied "b" (term 2) there`},
		},
		{
			name: "apply gap",
			setup: func(t *simtest.Toy) {
				t.AppendLog(1, "a")
				t.AppendLog(1, "b")
				t.OnTick = func(t *simtest.Toy) {
					if t.Ticks == 1 && t.Me == 0 {
						t.Env.Apply(raftapi.ApplyMsg{CommandValid: true, Command: t.Cmds[1], CommandIndex: 2, CommandTerm: 1})
					}
				}
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.StateMachineSafety,
			nodesIn: []int{0}, contains: []string{"applied index 2 right after index 0, skipping 1"},
		},
		{
			name: "apply repeat",
			setup: func(t *simtest.Toy) {
				t.AppendLog(1, "a")
				t.OnTick = func(t *simtest.Toy) {
					if t.Ticks <= 2 && t.Me == 0 {
						t.Env.Apply(raftapi.ApplyMsg{CommandValid: true, Command: t.Cmds[0], CommandIndex: 1, CommandTerm: 1})
					}
				}
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.StateMachineSafety,
			nodesIn: []int{0}, contains: []string{"applied index 1 twice"},
		},
		{
			name:  "snapshot moves the service backwards",
			snapK: 1,
			setup: func(t *simtest.Toy) {
				t.AppendLog(1, "a")
				t.AppendLog(1, "b")
				var first []byte
				t.OnSnap = func(t *simtest.Toy, index int, data []byte) {
					if index == 1 {
						first = data
					}
				}
				t.OnTick = func(t *simtest.Toy) {
					if t.Me != 0 {
						return
					}
					switch t.Ticks {
					case 1:
						t.Env.Apply(raftapi.ApplyMsg{CommandValid: true, Command: t.Cmds[0], CommandIndex: 1, CommandTerm: 1})
						t.Env.Apply(raftapi.ApplyMsg{CommandValid: true, Command: t.Cmds[1], CommandIndex: 2, CommandTerm: 1})
					case 5:
						t.Env.Apply(raftapi.ApplyMsg{SnapshotValid: true, Snapshot: first, SnapshotIndex: 1, SnapshotTerm: 1})
					}
				}
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.SnapshotsNeverMoveBackwards,
			nodesIn: []int{0}, contains: []string{"snapshot through index 1 after the service had applied through 2"},
		},
		{
			name: "commit without a majority",
			setup: func(t *simtest.Toy) {
				if t.Me == 0 {
					t.AppendLog(1, "lonely")
				}
				t.OnTick = func(t *simtest.Toy) {
					if t.Ticks == 1 && t.Me == 0 {
						t.Env.Apply(raftapi.ApplyMsg{CommandValid: true, Command: t.Cmds[0], CommandIndex: 1, CommandTerm: 1})
					}
				}
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.CommitNeedsMajority,
			contains: []string{"only nodes [0] hold it, not a majority of 2"},
		},
		{
			name: "log matching: same index and term, different command",
			setup: func(t *simtest.Toy) {
				cmd := "x"
				if t.Me == 1 {
					cmd = "y"
				}
				t.AppendLog(1, cmd)
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.LogMatching,
			nodesIn: []int{0, 1}, contains: []string{"index 1 and term 1, but with different commands"},
		},
		{
			name: "log matching: same entry, different history",
			setup: func(t *simtest.Toy) {
				if t.Me == 0 {
					t.AppendLog(1, "a")
				} else {
					t.AppendLog(2, "a")
				}
				t.AppendLog(3, "b")
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.LogMatching,
			contains: []string{"both hold entry (index 2, term 3), but the entries before it differ"},
		},
		{
			name: "leader completeness",
			setup: func(t *simtest.Toy) {
				t.AppendLog(1, "committed")
				if t.Me == 0 {
					t.State.Role, t.State.CommitIndex = raftapi.Leader, 1
				}
				t.OnTick = func(t *simtest.Toy) {
					if t.Me == 1 && t.Ticks == 5 { // becomes leader of term 2 having lost the entry
						t.Terms, t.Cmds = nil, nil
						t.State = raftapi.NodeState{Role: raftapi.Leader, Term: 2, VotedFor: 1}
					}
				}
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.LeaderCompleteness,
			nodesIn: []int{1}, contains: []string{"leads term 2 but its log lacks entry 1 (term 1)", "§5.4.1"},
		},
		{
			name: "term goes down",
			setup: func(t *simtest.Toy) {
				t.OnTick = func(t *simtest.Toy) {
					if t.Me == 0 {
						t.State.Term = 5 - t.Ticks
					}
				}
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.TermsNeverDecrease,
			nodesIn: []int{0}, contains: []string{"went down from 4 to 3"},
		},
		{
			name: "term lost across a restart",
			setup: func(t *simtest.Toy) {
				t.OnTick = func(t *simtest.Toy) {
					if t.Me == 0 && t.Ticks == 1 {
						t.State.Term = 7 // never saved
					}
				}
			},
			scenario: func(c *sim.Cluster) {
				c.RunFor(100 * time.Millisecond)
				c.Crash(0)
				c.Restart(0)
				c.RunFor(time.Second)
			},
			kind: sim.KindSafety, rule: props.TermsNeverDecrease,
			nodesIn: []int{0}, contains: []string{"restarted with currentTerm 0, below the 7"},
		},
		{
			name: "commit index beyond the log",
			setup: func(t *simtest.Toy) {
				t.AppendLog(1, "a")
				t.OnTick = func(t *simtest.Toy) {
					if t.Me == 1 && t.Ticks == 2 {
						t.State.CommitIndex = 3
					}
				}
			},
			scenario: run2s, kind: sim.KindSafety, rule: props.CommitWithinLog,
			nodesIn: []int{1}, contains: []string{"commitIndex is 3, beyond its last log entry 1"},
		},
		{
			name: "CommandTerm that is not the entry's term",
			setup: func(t *simtest.Toy) {
				t.AppendLog(1, "a")
				t.OnTick = func(t *simtest.Toy) {
					if t.Me == 0 && t.Ticks == 1 {
						t.Env.Apply(raftapi.ApplyMsg{CommandValid: true, Command: t.Cmds[0], CommandIndex: 1}) // CommandTerm left 0, as MIT's ApplyMsg has none
					}
				}
			},
			scenario: run2s, kind: sim.KindContract, rule: props.ApplyMsg,
			nodesIn: []int{0}, contains: []string{"applied index 1 with CommandTerm 0, but its log does not hold an entry of that term there"},
		},
		{
			name: "snapshot index saved, snapshot dropped",
			setup: func(t *simtest.Toy) {
				if st := t.Env.Persister().ReadState(); st != nil {
					t.State.SnapshotIndex, t.State.SnapshotTerm, t.State.Term = 5, 1, 1
					t.State.LastIndex, t.State.LastTerm, t.State.CommitIndex, t.State.LastApplied = 5, 1, 5, 5
				}
				t.OnTick = func(t *simtest.Toy) {
					if t.Me == 0 && t.Ticks == 1 {
						t.State.SnapshotIndex, t.State.SnapshotTerm, t.State.Term = 5, 1, 1
						t.State.LastIndex, t.State.LastTerm = 5, 1
						t.Env.Persister().Save([]byte{5}, nil) // the snapshot itself is not saved
					}
				}
			},
			scenario: func(c *sim.Cluster) {
				c.RunFor(100 * time.Millisecond)
				c.Crash(0)
				c.Restart(0)
				c.RunFor(time.Second)
			},
			kind: sim.KindSafety, rule: props.Durability,
			nodesIn: []int{0}, contains: []string{"restarted with its snapshot through index 5, but the snapshot it saved, from which its service restored, goes through 0"},
		},
		{
			name: "log not saved before a crash",
			setup: func(t *simtest.Toy) {
				if st := t.Env.Persister().ReadState(); st != nil {
					t.State.Term = int(st[0])
				}
				t.OnTick = func(t *simtest.Toy) {
					if t.Me == 0 && t.Ticks == 1 {
						t.AppendLog(3, "unsaved")
						t.Env.Persister().Save([]byte{3}, nil) // saves the term only
					}
				}
			},
			scenario: func(c *sim.Cluster) {
				c.RunFor(100 * time.Millisecond)
				c.Crash(0)
				c.Restart(0)
				c.RunFor(time.Second)
			},
			kind: sim.KindSafety, rule: props.Durability,
			nodesIn: []int{0}, contains: []string{"a different number of log entries", "last log entry 0/0", "last log entry 1/3"},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n := c.nodes
			if n == 0 {
				n = 3
			}
			res := sim.Run(sim.Config{Nodes: n, Factory: simtest.ToyFactory(c.setup), Seed: 1, SnapshotEvery: c.snapK,
				Scenario: t.Name(), Implementation: "toy", Replay: "go test -run " + t.Name()}, c.scenario)
			f := res.Failure
			require.NotNil(t, f, "the %s checker did not fire", c.rule)
			t.Log("\n" + f.Error())
			assert.Equal(t, c.kind, f.Kind)
			// The report cites the catalogue's name and section, the same
			// for every check of the rule.
			assert.Equal(t, c.rule.Name(), f.Rule)
			assert.Equal(t, c.rule.Section(), f.Paper)
			if c.nodesIn != nil {
				assert.ElementsMatch(t, c.nodesIn, f.Nodes)
			}
			report := f.Error()
			for _, s := range c.contains {
				assert.Contains(t, report, s)
			}
			assert.Contains(t, report, "seed: 1")
			assert.Contains(t, report, "replay:   go test -run "+t.Name())
			assert.Contains(t, report, "last ")
			assert.Contains(t, report, "nodes at the failure:")
		})
	}
}

// A correct toy cluster (nothing happens) passes every checker: the
// checkers do not fire on their own.
func TestCheckersQuietOnIdleCluster(t *testing.T) {
	res := sim.Run(sim.Config{Nodes: 5, Factory: simtest.ToyFactory(nil), Seed: 3}, func(c *sim.Cluster) { c.RunFor(10 * time.Second) })
	require.Nil(t, res.Failure)
	assert.Equal(t, int64(5*1000), res.Stats.Events, "5 nodes tick 100 times a simulated second")
}
