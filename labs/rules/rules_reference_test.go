package rules_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/labs/rules"
	"github.com/raftlab/raftlab/props"
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
)

// runRule runs rl against f in a goroutine of its own (FailNow ends it)
// and returns what it recorded.
func runRule(rl rules.Rule, f raftapi.Factory) *rules.Recorder {
	r := rules.NewRecorder(rl.Name)
	done := make(chan struct{})
	go func() {
		defer close(done)
		rl.Run(r, f)
	}()
	<-done
	r.RunCleanups()
	return r
}

func ruleByName(t *testing.T, name string) rules.Rule {
	t.Helper()
	for _, r := range rules.All() {
		if r.Name == name {
			return r
		}
	}
	require.FailNow(t, "no rule named "+name)
	return rules.Rule{}
}

// TestRecorderPassesReference checks, through the recorder, that the
// reference passes every rule: the recorder itself reports no false
// failures.
func TestRecorderPassesReference(t *testing.T) {
	for _, rl := range rules.All() {
		r := runRule(rl, raft.New)
		assert.False(t, r.Failed(), "%s failed against the reference: %v", rl.Name, r.Messages())
	}
}

// ---- deliberately broken implementations ----

// envWrap lets a mutant change what the node's Env does.
type envWrap struct {
	raftapi.Env
	save  func(inner raftapi.Persister, state, snap []byte) // nil: forward
	apply func(inner raftapi.Env, m raftapi.ApplyMsg)       // nil: forward
	sendA func(inner raftapi.Env, to int, a *raftapi.AppendEntriesArgs, cb func(*raftapi.AppendEntriesReply))
	rnd   func(inner raftapi.Env) *rand.Rand // nil: forward
}

func (e *envWrap) Persister() raftapi.Persister {
	p := e.Env.Persister()
	if e.save == nil {
		return p
	}
	return persWrap{p, e.save}
}

func (e *envWrap) Apply(m raftapi.ApplyMsg) {
	if e.apply != nil {
		e.apply(e.Env, m)
		return
	}
	e.Env.Apply(m)
}

func (e *envWrap) SendAppendEntries(to int, a *raftapi.AppendEntriesArgs, cb func(*raftapi.AppendEntriesReply)) {
	if e.sendA != nil {
		e.sendA(e.Env, to, a, cb)
		return
	}
	e.Env.SendAppendEntries(to, a, cb)
}

func (e *envWrap) Rand() *rand.Rand {
	if e.rnd != nil {
		return e.rnd(e.Env)
	}
	return e.Env.Rand()
}

type persWrap struct {
	raftapi.Persister
	save func(inner raftapi.Persister, state, snap []byte)
}

func (p persWrap) Save(state, snap []byte) { p.save(p.Persister, state, snap) }

// withEnv returns raft.New with the Env changed by mod.
func withEnv(mod func(e *envWrap)) raftapi.Factory {
	return func(me, peers int, env raftapi.Env) raftapi.Node {
		w := &envWrap{Env: env}
		mod(w)
		return raft.New(me, peers, w)
	}
}

// nodeWrap lets a mutant change what the node does.
type nodeWrap struct {
	raftapi.Node
	env   raftapi.Env
	first bool
	rv    func(n raftapi.Node, from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply)
	ae    func(n raftapi.Node, from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply)
	start func(n raftapi.Node, cmd []byte) (int, int, bool)
	get   func(w *nodeWrap) (int, bool)
	turn  func(w *nodeWrap) // at the start of every turn
}

func (w *nodeWrap) begin() {
	if w.turn != nil {
		w.turn(w)
	}
}

func (w *nodeWrap) Tick() { w.begin(); w.Node.Tick() }

func (w *nodeWrap) RequestVote(from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
	w.begin()
	if w.rv != nil {
		w.rv(w.Node, from, a, r)
		return
	}
	w.Node.RequestVote(from, a, r)
}

func (w *nodeWrap) AppendEntries(from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply) {
	w.begin()
	if w.ae != nil {
		w.ae(w.Node, from, a, r)
		return
	}
	w.Node.AppendEntries(from, a, r)
}

func (w *nodeWrap) InstallSnapshot(from int, a *raftapi.InstallSnapshotArgs, r *raftapi.InstallSnapshotReply) {
	w.begin()
	w.Node.InstallSnapshot(from, a, r)
}

func (w *nodeWrap) Start(cmd []byte) (int, int, bool) {
	w.begin()
	if w.start != nil {
		return w.start(w.Node, cmd)
	}
	return w.Node.Start(cmd)
}

func (w *nodeWrap) Snapshot(index int, snap []byte) { w.begin(); w.Node.Snapshot(index, snap) }

func (w *nodeWrap) GetState() (int, bool) {
	if w.get != nil {
		return w.get(w)
	}
	return w.Node.GetState()
}

// withNode returns raft.New with the node changed by mod.
func withNode(mod func(w *nodeWrap)) raftapi.Factory {
	return func(me, peers int, env raftapi.Env) raftapi.Node {
		w := &nodeWrap{Node: raft.New(me, peers, env), env: env, first: true}
		mod(w)
		return w
	}
}

func TestBrokenImplementationsFail(t *testing.T) {
	cases := []struct {
		name     string
		f        raftapi.Factory
		mustFail []string
		msg      string // every failure message of mustFail contains this
	}{
		{
			name: "never persists",
			f: withEnv(func(e *envWrap) {
				e.save = func(raftapi.Persister, []byte, []byte) {}
			}),
			mustFail: []string{
				"Persistence_SavedByEndOfEveryTurn", "Persistence_GrantedVoteSurvivesCrash",
				"Persistence_AdoptedTermSurvivesCrash", "Persistence_AcknowledgedEntriesSurviveCrash",
				"Persistence_CandidateAndLeaderStateSurvivesCrash", "Persistence_VoteInAdoptedTermSurvivesCrash",
				"Snapshot_TrimsLogPersistsAndIsNotReappliedAfterRestart",
				"InstallSnapshot_Rule5_SavedWithStateAndNotReappliedAfterRestart",
			},
		},
		{
			name: "grants every vote",
			f: withNode(func(w *nodeWrap) {
				w.rv = func(n raftapi.Node, from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
					n.RequestVote(from, a, r)
					r.VoteGranted = true
				}
			}),
			mustFail: []string{"RequestVote_Rule1_RejectsStaleTerm", "RequestVote_Rule2_OneVotePerTerm", "RequestVote_Rule2_ElectionRestriction"},
		},
		{
			// A fresh generator with the same seed for every draw: every
			// election timeout is the same.
			name: "draws a fixed election timeout",
			f: withEnv(func(e *envWrap) {
				e.rnd = func(raftapi.Env) *rand.Rand { return rand.New(rand.NewPCG(7, 7)) }
			}),
			mustFail: []string{"Followers_ElectionTimeoutIsRandomized"},
			msg:      "a fixed timeout",
		},
		{
			// A generator seeded once per node and restarted for every
			// draw: random per node, but never drawn anew.
			name: "draws its election timeout once per node",
			f: withEnv(func(e *envWrap) {
				var seed uint64
				e.rnd = func(inner raftapi.Env) *rand.Rand {
					if seed == 0 {
						seed = inner.Rand().Uint64() | 1
					}
					return rand.New(rand.NewPCG(seed, seed))
				}
			}),
			mustFail: []string{"Followers_ElectionTimeoutIsRandomized"},
			msg:      "drawn once per node",
		},
		{
			name: "no fast-backup hints",
			f: withNode(func(w *nodeWrap) {
				w.ae = func(n raftapi.Node, from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply) {
					n.AppendEntries(from, a, r)
					if !r.Success {
						r.XTerm, r.XIndex, r.XLen = 0, 0, 0
					}
				}
			}),
			mustFail: []string{"AppendEntries_Rule2_RejectsMissingOrMismatchedPrevEntryWithHints", "AppendEntries_Rule2_PrevLogIndexInsideSnapshot"},
		},
		{
			name: "re-applies its snapshot after a restart",
			f: withNode(func(w *nodeWrap) {
				w.turn = func(w *nodeWrap) {
					if !w.first {
						return
					}
					w.first = false
					if snap := w.env.Persister().ReadSnapshot(); snap != nil {
						s := w.Inspect()
						w.env.Apply(raftapi.ApplyMsg{SnapshotValid: true, Snapshot: snap, SnapshotIndex: s.SnapshotIndex, SnapshotTerm: s.SnapshotTerm})
					}
				}
			}),
			mustFail: []string{"Snapshot_TrimsLogPersistsAndIsNotReappliedAfterRestart", "InstallSnapshot_Rule5_SavedWithStateAndNotReappliedAfterRestart"},
		},
		{
			name: "Start reports an index as if a no-op entry preceded",
			f: withNode(func(w *nodeWrap) {
				w.start = func(n raftapi.Node, cmd []byte) (int, int, bool) {
					i, t, ok := n.Start(cmd)
					return i + 1, t, ok
				}
			}),
			mustFail: []string{"Leaders_StartAppendsWithoutNoOp", "Leaders_SendInstallSnapshotWhenNextIndexInSnapshot"},
		},
		{
			name: "applies every command twice",
			f: withEnv(func(e *envWrap) {
				e.apply = func(inner raftapi.Env, m raftapi.ApplyMsg) {
					inner.Apply(m)
					if m.CommandValid {
						inner.Apply(m)
					}
				}
			}),
			mustFail: []string{"AllServers_AppliesCommittedEntriesInOrder", "Leaders_CommitRuleNeedsMajority", "Leaders_Figure8_NoCommitOfOlderTermByCounting"},
			msg:      "without gaps or repeats",
		},
		{
			name: "sends no heartbeats",
			f: withEnv(func(e *envWrap) {
				e.sendA = func(inner raftapi.Env, to int, a *raftapi.AppendEntriesArgs, cb func(*raftapi.AppendEntriesReply)) {
					if len(a.Entries) > 0 {
						inner.SendAppendEntries(to, a, cb)
					}
				}
			}),
			mustFail: []string{"Leaders_HeartbeatsOnElectionAndWhenIdle"},
		},
		{
			name: "uses the Env outside a turn",
			f: withNode(func(w *nodeWrap) {
				w.get = func(w *nodeWrap) (int, bool) {
					w.env.Rand()
					return w.Node.GetState()
				}
			}),
			mustFail: []string{"Candidates_MajorityOfVotesBecomesLeader"},
			msg:      "outside a turn",
		},
		{
			name: "panics on long AppendEntries",
			f: withNode(func(w *nodeWrap) {
				w.ae = func(n raftapi.Node, from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply) {
					if len(a.Entries) > 3 {
						panic("boom")
					}
					n.AppendEntries(from, a, r)
				}
			}),
			mustFail: []string{"AppendEntries_Rule3_ConflictTruncatesOnlyOnRealConflict"},
			msg:      "panicked in AppendEntries from 1",
		},
	}
	for _, c := range cases {
		t.Run(strings.ReplaceAll(c.name, " ", "_"), func(t *testing.T) {
			for _, name := range c.mustFail {
				rl := ruleByName(t, name)
				r := runRule(rl, c.f)
				if !assert.True(t, r.Failed(), "rule %s passed against an implementation that %s", name, c.name) {
					continue
				}
				t.Logf("%s: %s", name, r.Messages()[0])
				for _, m := range r.Messages() {
					if !strings.HasPrefix(m, "contract") {
						assert.True(t, strings.HasPrefix(m, rl.Paper), "failure message of %s does not start with the rule's citation: %s", name, m)
					}
					assert.Contains(t, m, c.msg)
				}
			}
		})
	}
}

// electionOnly is a node that has done the election stage and nothing
// after it, as a student's node is between the two stages: it answers
// heartbeats, adopts terms and resets its timer, but stores no entries.
func electionOnly() raftapi.Factory {
	return withNode(func(w *nodeWrap) {
		w.ae = func(n raftapi.Node, from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply) {
			hb := *a
			hb.Entries, hb.LeaderCommit = nil, 0
			n.AppendEntries(from, &hb, r)
			if len(a.Entries) > 0 {
				r.Success = false
			}
		}
	})
}

// When a rule test of a later stage fails in a setup step because an
// earlier stage's behaviour is missing, the message says so and names the
// rule tests to make pass first; a failure of the rule itself does not.
func TestSetupFailuresNameTheStageTheyNeed(t *testing.T) {
	cases := []struct {
		name    string
		rule    string
		f       raftapi.Factory
		want    []string
		notWant []string
	}{
		{
			name: "snapshot rule against a node with elections only",
			rule: "InstallSnapshot_Rule3_MatchingEntryKeepsFollowingEntries",
			f:    electionOnly(),
			want: []string{
				"this test's setup needs the replication stage first: following a leader's log relies on",
				props.AppendNewEntries.Cite(),
				"AppendEntries_Rule4_AppendsNewEntries",
				"The step that failed: ",
			},
		},
		{
			name: "replication rule against a node that never becomes leader",
			rule: "Leaders_SendEntriesFromNextIndex",
			f: withNode(func(w *nodeWrap) {
				w.get = func(w *nodeWrap) (int, bool) { term, _ := w.Node.GetState(); return term, false }
			}),
			want: []string{
				"this test's setup needs the election stage first: winning an election relies on",
				"Candidates_MajorityOfVotesBecomesLeader",
			},
		},
		{
			name: "election rule whose setup vote fails, in its own stage",
			rule: "RequestVote_Rule1_RejectsStaleTerm",
			f: withNode(func(w *nodeWrap) {
				w.rv = func(raftapi.Node, int, *raftapi.RequestVoteArgs, *raftapi.RequestVoteReply) {}
			}),
			want: []string{
				"this test's setup (a vote in term 3, which makes the node adopt term 3) relies on " + props.HigherTermConvertsToFollower.Cite(),
				"AllServers_HigherTermConvertsToFollower",
				"The step that failed: ",
			},
			notWant: []string{"stage first"},
		},
		{
			// The first rule a student meets needs nothing of
			// AppendEntries: a node that has no AppendEntries yet fails it
			// only if its RequestVote is wrong.
			name: "RequestVote rule 1 against a node without AppendEntries fails as its own rule",
			rule: "RequestVote_Rule1_RejectsStaleTerm",
			f: withNode(func(w *nodeWrap) {
				w.ae = func(raftapi.Node, int, *raftapi.AppendEntriesArgs, *raftapi.AppendEntriesReply) {}
				w.rv = func(n raftapi.Node, from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
					n.RequestVote(from, a, r)
					r.Term = a.Term // the bug: the reply carries the candidate's term
				}
			}),
			want:    []string{"replied to RequestVote(term 2, candidate 2, last log 0/0) with Term 2"},
			notWant: []string{"setup"},
		},
		{
			name:    "a setup step that does what the rule checks fails as the rule",
			rule:    "AppendEntries_Rule4_AppendsNewEntries",
			f:       electionOnly(),
			want:    []string{"setup: "},
			notWant: []string{"this test's setup"},
		},
		{
			name: "a failure after the setup is the rule's own",
			rule: "RequestVote_Rule1_RejectsStaleTerm",
			f: withNode(func(w *nodeWrap) {
				w.rv = func(n raftapi.Node, from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
					n.RequestVote(from, a, r)
					r.VoteGranted = true
				}
			}),
			want:    []string{"a node in term 3 granted RequestVote"},
			notWant: []string{"setup"},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			rl := ruleByName(t, tc.rule)
			rec := runRule(rl, tc.f)
			require.True(t, rec.Failed(), "%s passed against a node that lacks what it needs", tc.rule)
			require.NotEmpty(t, rec.Messages())
			msg := rec.Messages()[0]
			t.Log(msg)
			assert.True(t, strings.HasPrefix(msg, rl.Paper+": "), "the message starts with the rule's citation: %s", msg)
			for _, w := range tc.want {
				assert.Contains(t, msg, w)
			}
			for _, w := range tc.notWant {
				assert.NotContains(t, msg, w)
			}
		})
	}
}
