package nodehost_test

import (
	"math/rand/v2"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/nodehost"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/wire"
)

// fake is a node whose every method runs a hook the test sets.
type fake struct {
	env     raftapi.Env
	tick    func(f *fake)
	rv      func(f *fake, from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply)
	ae      func(f *fake, from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply)
	get     func(f *fake)
	inspect func(f *fake)
}

func (f *fake) Tick() {
	if f.tick != nil {
		f.tick(f)
	}
}

func (f *fake) RequestVote(from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
	if f.rv != nil {
		f.rv(f, from, a, r)
	}
}

func (f *fake) AppendEntries(from int, a *raftapi.AppendEntriesArgs, r *raftapi.AppendEntriesReply) {
	if f.ae != nil {
		f.ae(f, from, a, r)
	}
}

func (f *fake) InstallSnapshot(_ int, a *raftapi.InstallSnapshotArgs, r *raftapi.InstallSnapshotReply) {
	r.Term = a.Term
}
func (f *fake) Start([]byte) (int, int, bool) { return 1, 1, true }

func (f *fake) GetState() (int, bool) {
	if f.get != nil {
		f.get(f)
	}
	return 0, false
}
func (f *fake) Snapshot(int, []byte) {}

func (f *fake) Inspect() raftapi.NodeState {
	if f.inspect != nil {
		f.inspect(f)
	}
	return raftapi.NodeState{}
}
func (f *fake) InspectLog() raftapi.LogView { return raftapi.LogView{FirstIndex: 1} }

// boot boots node 0 of 3 as incarnation inc over d; setup runs inside the
// factory.
func boot(t *testing.T, d *nodehost.Disk, inc uint64, setup func(f *fake), cfg func(c *nodehost.Config)) (*nodehost.Host, *fake) {
	t.Helper()
	var node *fake
	c := nodehost.Config{ID: 0, Peers: 3, Incarnation: inc, Disk: d, Rand: rand.New(rand.NewPCG(1, 2))}
	if cfg != nil {
		cfg(&c)
	}
	h, err := nodehost.Boot(c, func(me, peers int, env raftapi.Env) raftapi.Node {
		node = &fake{env: env}
		if setup != nil {
			setup(node)
		}
		return node
	})
	require.NoError(t, err)
	return h, node
}

func violation(t *testing.T, err error) *nodehost.Violation {
	t.Helper()
	require.Error(t, err)
	v, ok := nodehost.AsViolation(err)
	require.True(t, ok, "error %v is not a *Violation", err)
	return v
}

func TestTurnGuard(t *testing.T) {
	send := func(f *fake) { f.env.SendRequestVote(1, &raftapi.RequestVoteArgs{Term: 1}, nil) }
	cases := []struct {
		name   string
		use    func(f *fake) // an Env call
		when   string        // "tick", "getstate", "inspect", "between", "dead"
		cause  nodehost.Cause
		method string
		text   string
	}{
		{"send in a turn is fine", send, "tick", 0, "", ""},
		{"StateSize in a turn is fine", func(f *fake) { f.env.Persister().StateSize() }, "tick", 0, "", ""},
		{"send between turns", send, "between", nodehost.CauseOutsideTurn, "SendRequestVote", "node 0 called Env.SendRequestVote outside its turn"},
		{"Apply between turns", func(f *fake) { f.env.Apply(raftapi.ApplyMsg{}) }, "between", nodehost.CauseOutsideTurn, "Apply", "outside its turn"},
		{"Rand from GetState", func(f *fake) { f.env.Rand() }, "getstate", nodehost.CauseOutsideTurn, "Rand", "outside its turn"},
		{"Save from Inspect", func(f *fake) { f.env.Persister().Save([]byte{1}, nil) }, "inspect", nodehost.CauseOutsideTurn, "Persister().Save", "outside its turn"},
		{"StateSize between turns", func(f *fake) { f.env.Persister().StateSize() }, "between", nodehost.CauseOutsideTurn, "Persister().StateSize", "outside its turn"},
		{"SnapshotSize between turns", func(f *fake) { f.env.Persister().SnapshotSize() }, "between", nodehost.CauseOutsideTurn, "Persister().SnapshotSize", "outside its turn"},
		{"send after the crash", send, "dead", nodehost.CauseStale, "SendRequestVote", "node 0 called Env.SendRequestVote after it crashed"},
		{"ReadState after the crash", func(f *fake) { f.env.Persister().ReadState() }, "dead", nodehost.CauseStale, "Persister().ReadState", "after it crashed"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var hooked []*nodehost.Violation
			h, f := boot(t, &nodehost.Disk{}, 1, nil, func(c *nodehost.Config) {
				c.OnViolation = func(v *nodehost.Violation) { hooked = append(hooked, v) }
			})
			var err error
			switch tc.when {
			case "tick":
				f.tick = tc.use
				err = h.Tick()
			case "getstate":
				f.get = tc.use
				_, _, err = h.GetState()
			case "inspect":
				f.inspect = tc.use
				_, err = h.Inspect()
			case "between":
				tc.use(f)
			case "dead":
				h.Kill()
				tc.use(f)
			}
			require.NoError(t, err, "an Env violation outside a turn is not the query's error")
			if tc.text == "" {
				assert.Empty(t, hooked)
				assert.Nil(t, h.Err())
				return
			}
			require.Len(t, hooked, 1)
			v := hooked[0]
			assert.Equal(t, tc.cause, v.Cause)
			assert.Equal(t, nodehost.KindContract, v.Kind)
			assert.Equal(t, "turns", v.Rule)
			assert.Equal(t, 0, v.Node)
			assert.Equal(t, tc.method, v.Method)
			assert.Contains(t, v.Message, tc.text)
			assert.Same(t, v, h.Err(), "Err keeps the first violation no call returned")
		})
	}
}

func TestFactoryRules(t *testing.T) {
	cases := []struct {
		name    string
		factory func(env raftapi.Env) raftapi.Node
		cause   nodehost.Cause
		rule    string
		text    string
		alive   bool
	}{
		{"Persister and Rand are allowed", func(env raftapi.Env) raftapi.Node {
			env.Persister().ReadState()
			env.Persister().StateSize()
			env.Rand().IntN(3)
			return &fake{env: env}
		}, 0, "", "", true},
		{"sending is not", func(env raftapi.Env) raftapi.Node {
			env.SendAppendEntries(1, &raftapi.AppendEntriesArgs{}, nil)
			return &fake{env: env}
		}, nodehost.CauseFactoryEnv, "turns", "node 0 called Env.SendAppendEntries from its Factory", true},
		{"applying is not", func(env raftapi.Env) raftapi.Node {
			env.Apply(raftapi.ApplyMsg{})
			return &fake{env: env}
		}, nodehost.CauseFactoryEnv, "turns", "called Env.Apply from its Factory", true},
		{"a nil node", func(raftapi.Env) raftapi.Node { return nil },
			nodehost.CauseNilNode, "Factory", "the Factory returned a nil Node", false},
		{"a panic", func(raftapi.Env) raftapi.Node { panic("no disk") },
			nodehost.CausePanic, "panic", "node 0 panicked in Factory (boot): no disk", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, err := nodehost.Boot(nodehost.Config{ID: 0, Peers: 3, Incarnation: 1, Disk: &nodehost.Disk{}, Rand: rand.New(rand.NewPCG(1, 1))},
				func(_, _ int, env raftapi.Env) raftapi.Node { return tc.factory(env) })
			require.NotNil(t, h)
			assert.Equal(t, tc.alive, h.Alive())
			if tc.text == "" {
				require.NoError(t, err)
				return
			}
			v := violation(t, err)
			assert.Equal(t, tc.cause, v.Cause)
			assert.Equal(t, tc.rule, v.Rule)
			assert.Contains(t, v.Message, tc.text)
			assert.Empty(t, h.TakeOutbox(), "nothing a factory sends leaves")
		})
	}
}

func TestOutboxIsFlushedAtTheEndOfTheTurn(t *testing.T) {
	h, f := boot(t, &nodehost.Disk{}, 4, nil, nil)
	args := &raftapi.AppendEntriesArgs{Term: 2, LeaderID: 0, PrevLogIndex: 1, PrevLogTerm: 1,
		Entries: []raftapi.Entry{{Term: 2, Command: []byte("x")}}, LeaderCommit: 1}
	f.tick = func(f *fake) {
		f.env.SendAppendEntries(1, args, nil)
		f.env.SendRequestVote(2, &raftapi.RequestVoteArgs{Term: 3, CandidateID: 0, LastLogIndex: 2, LastLogTerm: 2}, nil)
		args.Term, args.Entries[0].Command[0] = 99, 'y' // copied at the call: changes after it do not travel
	}
	require.NoError(t, h.Tick())
	out := h.TakeOutbox()
	require.Len(t, out, 2)

	ae := out[0]
	assert.Equal(t, wire.Envelope{Kind: wire.KindAppendEntries, From: 0, To: 1, Call: 1, Incarnation: 4, Body: ae.Body}, ae.Envelope)
	assert.Equal(t, nodehost.Fields{Term: 2, Index: 1, IndexTerm: 1, Count: 1, Commit: 1}, ae.Fields)
	var got raftapi.AppendEntriesArgs
	require.NoError(t, wire.DecodeAppendEntriesArgs(ae.Body, &got))
	assert.Equal(t, 2, got.Term)
	assert.Equal(t, []byte("x"), got.Entries[0].Command)

	rv := out[1]
	assert.Equal(t, wire.KindRequestVote, rv.Kind)
	assert.Equal(t, uint64(2), rv.Call, "call ids count up within an incarnation")
	assert.Equal(t, nodehost.Fields{Term: 3, Index: 2, IndexTerm: 2}, rv.Fields)

	assert.Empty(t, h.TakeOutbox(), "taking empties the outbox")

	// Every turn starts with an empty outbox; a query adds nothing.
	require.NoError(t, h.Tick())
	f.tick = nil
	_, _, err := h.GetState()
	require.NoError(t, err)
	assert.Len(t, h.TakeOutbox(), 2)
	require.NoError(t, h.Tick())
	assert.Empty(t, h.TakeOutbox())
}

func TestBadPeerIsReturnedByTheTurn(t *testing.T) {
	for _, to := range []int{-1, 0, 3} {
		h, f := boot(t, &nodehost.Disk{}, 1, nil, nil)
		f.tick = func(f *fake) {
			f.env.SendRequestVote(to, &raftapi.RequestVoteArgs{}, nil)
			f.env.SendRequestVote(1, &raftapi.RequestVoteArgs{}, nil)
		}
		v := violation(t, h.Tick())
		assert.Equal(t, nodehost.CauseBadPeer, v.Cause)
		assert.Equal(t, "peers", v.Rule)
		assert.Equal(t, nodehost.TurnTick, v.Turn)
		assert.Contains(t, v.Message, "peers are numbered 0..2 and a node does not send to itself")
		require.Len(t, h.TakeOutbox(), 1, "to=%d: the bad message is not sent, the good one is", to)
		assert.True(t, h.Alive(), "a bad peer id does not end the incarnation; the driver decides")
	}
}

// request builds an envelope of a request to node 0.
func request(kind wire.Kind, from int, call, inc uint64, body []byte) *wire.Envelope {
	return &wire.Envelope{Kind: kind, From: from, To: 0, Call: call, Incarnation: inc, Body: body}
}

func TestRequestRunsTheHandlerAndRepliesLast(t *testing.T) {
	h, f := boot(t, &nodehost.Disk{}, 1, nil, nil)
	f.rv = func(f *fake, from int, a *raftapi.RequestVoteArgs, r *raftapi.RequestVoteReply) {
		f.env.SendAppendEntries(2, &raftapi.AppendEntriesArgs{Term: a.Term}, nil)
		r.Term, r.VoteGranted = a.Term, from == 1
	}
	out, err := h.Deliver(request(wire.KindRequestVote, 1, 77, 5, wire.AppendRequestVoteArgs(nil, &raftapi.RequestVoteArgs{Term: 6, CandidateID: 1})))
	require.NoError(t, err)
	assert.Equal(t, nodehost.Ran, out)
	msgs := h.TakeOutbox()
	require.Len(t, msgs, 2)
	assert.Equal(t, wire.KindAppendEntries, msgs[0].Kind)
	reply := msgs[1]
	assert.Equal(t, wire.Envelope{Kind: wire.KindRequestVoteReply, From: 0, To: 1, Call: 77, Incarnation: 5, Body: reply.Body}, reply.Envelope,
		"the reply carries the caller's call id and incarnation back")
	assert.Equal(t, nodehost.Fields{Term: 6, OK: true}, reply.Fields)
}

func TestRepliesAreRoutedByCallAndIncarnation(t *testing.T) {
	aeReply := func(term int) []byte {
		return wire.AppendAppendEntriesReply(nil, &raftapi.AppendEntriesReply{Term: term, Success: true})
	}
	cases := []struct {
		name    string
		env     func(sent []nodehost.Message) *wire.Envelope
		outcome nodehost.Outcome
		ran     []int // the callbacks (by the peer they were sent to) that ran, with the reply's term
	}{
		{"a reply runs its call's callback", func(s []nodehost.Message) *wire.Envelope {
			return &wire.Envelope{Kind: wire.KindAppendEntriesReply, From: 2, To: 0, Call: s[1].Call, Incarnation: 1, Body: aeReply(7)}
		}, nodehost.Ran, []int{2}},
		{"a reply for another incarnation is dropped", func(s []nodehost.Message) *wire.Envelope {
			return &wire.Envelope{Kind: wire.KindAppendEntriesReply, From: 2, To: 0, Call: s[1].Call, Incarnation: 2, Body: aeReply(7)}
		}, nodehost.DroppedStale, nil},
		{"a reply to an unknown call is dropped", func(s []nodehost.Message) *wire.Envelope {
			return &wire.Envelope{Kind: wire.KindAppendEntriesReply, From: 2, To: 0, Call: 99, Incarnation: 1, Body: aeReply(7)}
		}, nodehost.DroppedNoCall, nil},
		{"a reply from a node the call did not go to is dropped", func(s []nodehost.Message) *wire.Envelope {
			return &wire.Envelope{Kind: wire.KindAppendEntriesReply, From: 1, To: 0, Call: s[1].Call, Incarnation: 1, Body: aeReply(7)}
		}, nodehost.DroppedNoCall, nil},
		{"a reply of the wrong kind is dropped", func(s []nodehost.Message) *wire.Envelope {
			return &wire.Envelope{Kind: wire.KindInstallSnapshotReply, From: 2, To: 0, Call: s[1].Call, Incarnation: 1,
				Body: wire.AppendInstallSnapshotReply(nil, &raftapi.InstallSnapshotReply{Term: 7})}
		}, nodehost.DroppedNoCall, nil},
		{"a reply to a call without a callback is dropped", func(s []nodehost.Message) *wire.Envelope {
			return &wire.Envelope{Kind: wire.KindRequestVoteReply, From: 1, To: 0, Call: s[2].Call, Incarnation: 1,
				Body: wire.AppendRequestVoteReply(nil, &raftapi.RequestVoteReply{Term: 7})}
		}, nodehost.DroppedNoCallback, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, f := boot(t, &nodehost.Disk{}, 1, nil, nil)
			var ran []int
			f.tick = func(f *fake) {
				for _, to := range []int{1, 2} {
					f.env.SendAppendEntries(to, &raftapi.AppendEntriesArgs{Term: 1}, func(r *raftapi.AppendEntriesReply) {
						ran = append(ran, to)
						assert.Equal(t, 7, r.Term)
						f.env.SendAppendEntries(to, &raftapi.AppendEntriesArgs{Term: 2}, nil) // the Env is open in a callback
					})
				}
				f.env.SendRequestVote(1, &raftapi.RequestVoteArgs{Term: 1}, nil)
			}
			require.NoError(t, h.Tick())
			sent := append([]nodehost.Message(nil), h.TakeOutbox()...)
			f.tick = nil
			out, err := h.Deliver(tc.env(sent))
			require.NoError(t, err)
			assert.Equal(t, tc.outcome, out)
			assert.Equal(t, tc.ran, ran)
			if out == nodehost.Ran {
				assert.Len(t, h.TakeOutbox(), 1, "the callback's turn has its own outbox")
			}
		})
	}
}

func TestDuplicatedReplyRunsTheCallbackAgain(t *testing.T) {
	h, f := boot(t, &nodehost.Disk{}, 1, nil, nil)
	runs := 0
	f.tick = func(f *fake) {
		f.env.SendRequestVote(1, &raftapi.RequestVoteArgs{Term: 1}, func(*raftapi.RequestVoteReply) { runs++ })
	}
	require.NoError(t, h.Tick())
	e := &wire.Envelope{Kind: wire.KindRequestVoteReply, From: 1, To: 0, Call: h.TakeOutbox()[0].Call, Incarnation: 1,
		Body: wire.AppendRequestVoteReply(nil, &raftapi.RequestVoteReply{Term: 1})}
	for range 2 {
		out, err := h.Deliver(e)
		require.NoError(t, err)
		assert.Equal(t, nodehost.Ran, out)
	}
	assert.Equal(t, 2, runs, "the contract: onReply may run more than once if the network duplicates")
}

func TestOldCallsAreForgottenBeyondMaxPending(t *testing.T) {
	h, f := boot(t, &nodehost.Disk{}, 1, nil, func(c *nodehost.Config) { c.MaxPending = 128 })
	runs := 0
	f.tick = func(f *fake) {
		f.env.SendRequestVote(1, &raftapi.RequestVoteArgs{}, func(*raftapi.RequestVoteReply) { runs++ })
	}
	var calls []uint64
	for range 300 {
		require.NoError(t, h.Tick())
		calls = append(calls, h.TakeOutbox()[0].Call)
	}
	body := wire.AppendRequestVoteReply(nil, &raftapi.RequestVoteReply{})
	deliver := func(call uint64) nodehost.Outcome {
		out, err := h.Deliver(&wire.Envelope{Kind: wire.KindRequestVoteReply, From: 1, To: 0, Call: call, Incarnation: 1, Body: body})
		require.NoError(t, err)
		return out
	}
	assert.Equal(t, nodehost.DroppedNoCall, deliver(calls[0]), "the oldest call is forgotten")
	assert.Equal(t, nodehost.DroppedNoCall, deliver(calls[299-128]), "at most MaxPending calls are remembered")
	assert.Equal(t, nodehost.Ran, deliver(calls[299-64]), "at least MaxPending-64 calls are remembered")
	assert.Equal(t, nodehost.Ran, deliver(calls[299]))
	assert.Equal(t, 2, runs)
}

func TestStaleIncarnation(t *testing.T) {
	disk := &nodehost.Disk{}
	old, f := boot(t, disk, 1, nil, nil)
	cb := 0
	f.tick = func(f *fake) {
		f.env.Persister().Save([]byte("term 3"), nil)
		f.env.SendRequestVote(1, &raftapi.RequestVoteArgs{Term: 3}, func(*raftapi.RequestVoteReply) { cb++ })
	}
	require.NoError(t, old.Tick())
	call := old.TakeOutbox()[0].Call
	old.Kill()
	assert.False(t, old.Alive())
	assert.ErrorIs(t, old.Tick(), nodehost.ErrDead)
	_, err := old.Deliver(&wire.Envelope{Kind: wire.KindRequestVoteReply, From: 1, To: 0, Call: call, Incarnation: 1,
		Body: wire.AppendRequestVoteReply(nil, &raftapi.RequestVoteReply{Term: 3})})
	assert.ErrorIs(t, err, nodehost.ErrDead)

	var restored []byte
	neu, _ := boot(t, disk, 2, func(f *fake) { restored = f.env.Persister().ReadState() }, nil)
	assert.Equal(t, []byte("term 3"), restored, "the disk outlives the incarnation")
	out, err := neu.Deliver(&wire.Envelope{Kind: wire.KindRequestVoteReply, From: 1, To: 0, Call: call, Incarnation: 1,
		Body: wire.AppendRequestVoteReply(nil, &raftapi.RequestVoteReply{Term: 3})})
	require.NoError(t, err)
	assert.Equal(t, nodehost.DroppedStale, out, "replies to a crashed incarnation never reach a later one")
	assert.Zero(t, cb)

	f.env.Persister().Save([]byte("zombie"), nil) // a goroutine of the dead incarnation
	assert.Equal(t, []byte("term 3"), disk.State(), "a dead incarnation cannot write the disk")
	require.NotNil(t, old.Err())
	assert.Equal(t, nodehost.CauseStale, old.Err().Cause)
	assert.Nil(t, neu.Err())
}

func TestPersisterSemantics(t *testing.T) {
	cases := []struct {
		name            string
		state, snapshot []byte
		wantState       []byte
		wantSnapshot    []byte
	}{
		{"both saved", []byte("s"), []byte("snap"), []byte("s"), []byte("snap")},
		{"a nil snapshot is no snapshot", []byte("s"), nil, []byte("s"), nil},
		// The simulator read []byte{} back as nil and the rule harness as
		// []byte{}; the contract's "nil means no snapshot" decides: nil.
		{"an empty snapshot is no snapshot", []byte("s"), []byte{}, []byte("s"), nil},
		{"an empty state reads back as none", []byte{}, []byte("snap"), nil, []byte("snap")},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			disk := &nodehost.Disk{}
			disk.Set([]byte("old state"), []byte("old snapshot"))
			h, f := boot(t, disk, 1, nil, nil)
			state, snap := append([]byte(nil), tc.state...), append([]byte(nil), tc.snapshot...)
			if tc.snapshot == nil {
				snap = nil
			}
			var gotState, gotSnap []byte
			var stateSize, snapSize int
			f.tick = func(f *fake) {
				p := f.env.Persister()
				p.Save(state, snap)
				if len(state) > 0 {
					state[0] = 'X' // Save copied
				}
				gotState, gotSnap = p.ReadState(), p.ReadSnapshot()
				stateSize, snapSize = p.StateSize(), p.SnapshotSize()
				if len(gotState) > 0 {
					gotState[0] = 'Y' // reads are copies
				}
			}
			require.NoError(t, h.Tick())
			if tc.wantState == nil {
				assert.Nil(t, gotState)
			} else {
				assert.Equal(t, tc.wantState[1:], gotState[1:])
				assert.Equal(t, tc.wantState, disk.State())
			}
			if tc.wantSnapshot == nil {
				assert.Nil(t, gotSnap, "Save replaces both: the old snapshot is gone")
				assert.Nil(t, disk.Snapshot())
			} else {
				assert.Equal(t, tc.wantSnapshot, gotSnap)
			}
			assert.Equal(t, len(tc.wantState), stateSize)
			assert.Equal(t, len(tc.wantSnapshot), snapSize)
			assert.Equal(t, 1, disk.Saves())
		})
	}
}

func TestPanicAndGoexitAreViolations(t *testing.T) {
	cases := []struct {
		name  string
		run   func(h *nodehost.Host, f *fake) error
		cause nodehost.Cause
		kind  string
		rule  string
		text  string
	}{
		{"a panic in Tick", func(h *nodehost.Host, f *fake) error {
			f.tick = func(f *fake) {
				f.env.SendRequestVote(1, &raftapi.RequestVoteArgs{}, nil)
				var m map[int]int
				m[1]++ //nolint:staticcheck // a deliberate nil-map write, as a student would
			}
			return h.Tick()
		}, nodehost.CausePanic, nodehost.KindPanic, "panic", "node 0 panicked in Tick: assignment to entry in nil map"},
		{"a panic in a handler names the sender", func(h *nodehost.Host, f *fake) error {
			f.ae = func(*fake, int, *raftapi.AppendEntriesArgs, *raftapi.AppendEntriesReply) { panic("boom") }
			_, err := h.Deliver(request(wire.KindAppendEntries, 2, 1, 1, wire.AppendAppendEntriesArgs(nil, &raftapi.AppendEntriesArgs{})))
			return err
		}, nodehost.CausePanic, nodehost.KindPanic, "panic", "node 0 panicked in AppendEntries handler (message from node 2): boom"},
		{"a panic in Inspect", func(h *nodehost.Host, f *fake) error {
			f.inspect = func(*fake) { panic("inspect") }
			_, err := h.Inspect()
			return err
		}, nodehost.CausePanic, nodehost.KindPanic, "panic", "node 0 panicked in Inspect: inspect"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			h, f := boot(t, &nodehost.Disk{}, 1, nil, nil)
			v := violation(t, tc.run(h, f))
			assert.Equal(t, tc.cause, v.Cause)
			assert.Equal(t, tc.kind, v.Kind)
			assert.Equal(t, tc.rule, v.Rule)
			assert.Contains(t, v.Message, tc.text)
			assert.Contains(t, v.Stack, "host_test.go", "the stack shows the node's code")
			assert.NotContains(t, v.Stack, "nodehost.(*Host)", "and not the host's")
			assert.False(t, h.Alive(), "a panic ends the incarnation")
			assert.Empty(t, h.TakeOutbox(), "a panicking turn sends nothing")
			assert.ErrorIs(t, h.Tick(), nodehost.ErrDead)
		})
	}

	t.Run("Goexit", func(t *testing.T) {
		h, f := boot(t, &nodehost.Disk{}, 1, nil, nil)
		f.tick = func(*fake) { runtime.Goexit() }
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = h.Tick()
			t.Error("Goexit cannot be stopped: Tick does not return")
		}()
		<-done
		v := h.Err()
		require.NotNil(t, v, "the Goexit is recorded for the driver")
		assert.Equal(t, nodehost.CauseGoexit, v.Cause)
		assert.Equal(t, "turns return", v.Rule)
		assert.Contains(t, v.Message, "node 0's Tick called runtime.Goexit")
		assert.False(t, h.Alive())
	})
}

func TestWatchdogView(t *testing.T) {
	h, f := boot(t, &nodehost.Disk{}, 1, nil, nil)
	_, _, busy := h.Current()
	assert.False(t, busy)
	turns := h.Turns()
	var kind nodehost.TurnKind
	var peer int
	f.ae = func(*fake, int, *raftapi.AppendEntriesArgs, *raftapi.AppendEntriesReply) {
		kind, peer, busy = h.Current()
	}
	_, err := h.Deliver(request(wire.KindAppendEntries, 2, 1, 1, wire.AppendAppendEntriesArgs(nil, &raftapi.AppendEntriesArgs{})))
	require.NoError(t, err)
	assert.True(t, busy)
	assert.Equal(t, nodehost.TurnAppendEntries, kind)
	assert.Equal(t, 2, peer)
	assert.Equal(t, "AppendEntries handler (message from node 2)", kind.Describe(peer))
	assert.Equal(t, turns+1, h.Turns())
	_, _, busy = h.Current()
	assert.False(t, busy)
}

func TestMalformedMessagesAreErrorsNotViolations(t *testing.T) {
	h, _ := boot(t, &nodehost.Disk{}, 1, nil, nil)
	for _, e := range []*wire.Envelope{
		request(wire.KindRequestVote, 1, 1, 1, []byte{0xff}),
		{Kind: wire.KindRequestVote, From: 1, To: 2, Body: wire.AppendRequestVoteArgs(nil, &raftapi.RequestVoteArgs{})},
		{Kind: wire.KindRequestVote, From: 0, To: 0, Body: wire.AppendRequestVoteArgs(nil, &raftapi.RequestVoteArgs{})},
		{Kind: wire.KindRequestVote, From: 5, To: 0, Body: wire.AppendRequestVoteArgs(nil, &raftapi.RequestVoteArgs{})},
	} {
		_, err := h.Deliver(e)
		require.Error(t, err)
		_, isViolation := nodehost.AsViolation(err)
		assert.False(t, isViolation, "%v", err)
	}
	assert.True(t, h.Alive())
}
