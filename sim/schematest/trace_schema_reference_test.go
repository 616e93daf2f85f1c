package schematest_test

import (
	"bytes"
	"fmt"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/internal/schemafile"
	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/sim"
	"github.com/raftlab/raftlab/sim/simtest"
	"github.com/raftlab/raftlab/trace"
)

// traceSchema compiles docs/trace.schema.json, the published schema of
// the trace format.
func traceSchema(t *testing.T) *jsonschema.Schema {
	t.Helper()
	s, err := schemafile.Compile(filepath.Join("..", "..", "docs", "trace.schema.json"))
	require.NoError(t, err)
	return s
}

// validate checks the bytes the simulator would write for tr against the
// schema.
func validate(t *testing.T, s *jsonschema.Schema, tr *trace.Trace) error {
	t.Helper()
	b, err := trace.Marshal(tr)
	require.NoError(t, err)
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	require.NoError(t, err)
	return s.Validate(inst)
}

// schemaRuns are runs that between them make every kind of event, every
// reason for a lost message and every fault: the scenarios of the
// determinism test (scripted steps, each nemesis fault alone and together,
// snapshots, skewed and lockstep clocks) with the reference, and toy
// worlds for what the reference does not do: fail a check, panic, get a
// reply after its caller crashed, have a link cut under a message in
// flight, and meet a scenario's interceptor.
func schemaRuns() []struct {
	name string
	cfg  sim.Config
	run  sim.Scenario
	fail string // the failure kind the run must end with, "" for a pass
} {
	type run = struct {
		name string
		cfg  sim.Config
		run  sim.Scenario
		fail string
	}
	// Validating is slow (every event is checked against every rule of
	// its kind), so the nemesis runs for 3s instead of the determinism
	// test's 10s; the runs still write every kind of event between them.
	nemesis := func(f sim.Faults) sim.Scenario {
		return func(c *sim.Cluster) {
			c.WaitLeader(5 * time.Second)
			c.RunNemesis(sim.DrawMix(c.Rand(), f), 3*time.Second)
			c.Quiesce()
			c.CheckLiveness(10*time.Second, 10*time.Second)
		}
	}
	all := sim.Faults{Partitions: true, Unreliable: true, Crashes: true, Pauses: true}
	var runs []run
	for _, k := range simtest.ScenarioKinds() {
		cfg := k.Config
		cfg.Nodes, cfg.Factory, cfg.Seed, cfg.Scenario, cfg.Implementation = 5, raft.New, 1, k.Name, "reference"
		cfg.Replay = "go test ./sim/schematest -run TestEveryTraceValidates"
		sc := k.Run
		switch k.Name {
		case "scripted":
		case "partitions":
			sc = nemesis(sim.Faults{Partitions: true})
		case "unreliable":
			sc = nemesis(sim.Faults{Unreliable: true})
		case "crashes":
			sc = nemesis(sim.Faults{Crashes: true})
		case "pauses":
			sc = nemesis(sim.Faults{Pauses: true})
		default:
			sc = nemesis(all)
		}
		runs = append(runs, run{k.Name, cfg, sc, ""})
	}

	twoLeaders := simtest.ToyFactory(func(t *simtest.Toy) {
		t.OnTick = func(t *simtest.Toy) {
			if t.Ticks == 3 && t.Me < 2 {
				t.State.Role, t.State.Term = raftapi.Leader, 1
			}
		}
	})
	panics := simtest.ToyFactory(func(t *simtest.Toy) {
		t.OnTick = func(t *simtest.Toy) {
			if t.Me == 1 && t.Ticks == 3 {
				panic("boom")
			}
		}
	})
	var received, replies atomic.Int64
	slow := sim.Network{DelayMin: 20 * time.Millisecond, DelayMax: 20 * time.Millisecond}
	runs = append(runs,
		run{"election safety broken", sim.Config{Nodes: 3, Factory: twoLeaders, Seed: 4}, func(c *sim.Cluster) { c.RunFor(time.Second) }, sim.KindSafety},
		run{"panic", sim.Config{Nodes: 3, Factory: panics, Seed: 9}, func(c *sim.Cluster) { c.RunFor(time.Second) }, sim.KindPanic},
		run{"links and crashes under messages in flight", sim.Config{Nodes: 3, Factory: simtest.Pingers(&received, &replies), Seed: 3, Network: slow},
			func(c *sim.Cluster) {
				c.Note("a reply to a crashed incarnation, a message whose link is cut in flight, one-way cuts")
				c.RunFor(15 * time.Millisecond)
				c.Crash(0)
				c.Restart(0)
				c.RunFor(25 * time.Millisecond)
				c.Cut(1, 2)
				c.RunFor(100 * time.Millisecond)
				c.Mend(1, 2)
				c.Isolate(2)
				c.RunFor(100 * time.Millisecond)
				c.Connect(2)
				c.Partition([]int{0}, []int{1})
				c.RunFor(100 * time.Millisecond)
				c.Heal()
				c.Crash(2)
				c.RunFor(100 * time.Millisecond)
				c.Restart(2)
				c.SetNetwork(sim.Unreliable())
				c.RunFor(time.Second)
			}, ""},
		run{"scripted faults", sim.Config{Nodes: 2, Factory: simtest.Pingers(&received, &replies), Seed: 1}, func(c *sim.Cluster) {
			c.Intercept(func(m sim.Msg) sim.Verdict {
				switch m.Term % 3 {
				case 0:
					return sim.Verdict{Drop: true}
				case 1:
					return sim.Verdict{Delay: time.Millisecond, Dup: true, DupDelay: 50 * time.Millisecond}
				}
				return sim.Verdict{}
			})
			c.RunFor(200 * time.Millisecond)
		}, ""},
	)
	return runs
}

func TestEveryTraceValidates(t *testing.T) {
	schema := traceSchema(t)
	seen := map[string]bool{} // kind, kind/reason, kind/fault, message kinds
	for _, r := range schemaRuns() {
		t.Run(r.name, func(t *testing.T) {
			cfg := r.cfg
			cfg.RecordTrace = true
			res := sim.Run(cfg, r.run)
			t.Logf("%d events, %d states", len(res.Trace.Events), len(res.Trace.States))
			if r.fail == "" {
				require.Nil(t, res.Failure)
			} else {
				require.NotNil(t, res.Failure)
				require.Equal(t, r.fail, res.Failure.Kind)
			}
			require.NotNil(t, res.Trace)
			require.NoError(t, validate(t, schema, res.Trace))
			for _, e := range res.Trace.Events {
				seen[e.Kind] = true
				if e.Reason != "" {
					seen[e.Kind+"/"+e.Reason] = true
				}
				if e.Fault != "" {
					seen[e.Kind+"/"+e.Fault] = true
				}
				if e.Msg != nil {
					seen[e.Msg.Kind] = true
					if e.Msg.Call != 0 {
						seen[e.Msg.Kind+"/call"] = true
					}
				}
				if e.Snapshot {
					seen["apply/snapshot"] = true
				}
			}
			for _, st := range res.Trace.States {
				if !st.NextIndex.IsZero() && !st.MatchIndex.IsZero() {
					seen["state/progress"] = true
				}
			}
		})
	}
	// The runs exercise every part of the schema that the simulator can
	// write, so a schema that forgot one would have failed above.
	want := slices.Concat(trace.Kinds, trace.MsgKinds, []string{
		"send/" + trace.ReasonLoss, "send/" + trace.ReasonCut, "send/" + trace.ReasonScenario,
		"send/" + trace.FaultDup, "send/" + trace.FaultLongDelay, "send/" + trace.FaultScripted,
		"discard/" + trace.ReasonCrashed, "discard/" + trace.ReasonStale, "discard/" + trace.ReasonCut,
		"apply/snapshot", "state/progress",
	})
	for _, k := range trace.MsgKinds {
		want = append(want, k+"/call")
	}
	for _, w := range want {
		assert.True(t, seen[w], "no run wrote %s", w)
	}
}

// TestSchemaRefuses: the schema is not vacuous; it refuses what the
// format does not allow.
func TestSchemaRefuses(t *testing.T) {
	schema := traceSchema(t)
	var received, replies atomic.Int64
	res := sim.Run(sim.Config{Nodes: 3, Factory: simtest.Pingers(&received, &replies), Seed: 3, RecordTrace: true},
		func(c *sim.Cluster) { c.RunFor(100 * time.Millisecond) })
	require.Nil(t, res.Failure)
	require.NoError(t, validate(t, schema, res.Trace))
	send := slices.IndexFunc(res.Trace.Events, func(e trace.Event) bool { return e.Kind == trace.KindSend })
	require.GreaterOrEqual(t, send, 0)

	tests := []struct {
		name   string
		at     string // where the schema must find the fault
		mutate func(tr *trace.Trace)
	}{
		{"version 1", "'/version'", func(tr *trace.Trace) { tr.Version = 1 }},
		{"no build", "'/header/build'", func(tr *trace.Trace) { tr.Header.Build = trace.Build{} }},
		{"unknown reason", fmt.Sprintf("'/events/%d", send), func(tr *trace.Trace) { tr.Events[send].Reason = "other" }},
		{"a discard's reason on a send", fmt.Sprintf("'/events/%d", send), func(tr *trace.Trace) { tr.Events[send].Reason = trace.ReasonCrashed }},
		{"lost and duplicated", fmt.Sprintf("'/events/%d", send), func(tr *trace.Trace) {
			tr.Events[send].Reason, tr.Events[send].Fault = trace.ReasonLoss, trace.FaultDup
		}},
		{"send without its message", fmt.Sprintf("'/events/%d", send), func(tr *trace.Trace) { tr.Events[send].Msg = nil }},
		{"a message field of another kind", fmt.Sprintf("'/events/%d/msg", send), func(tr *trace.Trace) { tr.Events[send].Msg.Entries = 3 }},
		{"unknown message kind", fmt.Sprintf("'/events/%d/msg/kind'", send), func(tr *trace.Trace) { tr.Events[send].Msg.Kind = "Ping" }},
		{"partition without groups", fmt.Sprintf("'/events/%d", len(res.Trace.Events)), func(tr *trace.Trace) {
			tr.Events = append(tr.Events, trace.Event{T: res.Trace.Result.EndT, Kind: trace.KindPartition, Node: -1, Peer: -1})
		}},
		{"note without text", fmt.Sprintf("'/events/%d", len(res.Trace.Events)), func(tr *trace.Trace) {
			tr.Events = append(tr.Events, trace.Event{T: res.Trace.Result.EndT, Kind: trace.KindNote, Node: -1, Peer: -1})
		}},
		{"failed without a failure", "'/result'", func(tr *trace.Trace) { tr.Result.OK = false }},
		{"short hash", "'/result/hash'", func(tr *trace.Trace) { tr.Result.Hash = "abc" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b, err := trace.Marshal(res.Trace)
			require.NoError(t, err)
			tr, err := trace.Decode(bytes.NewReader(b)) // a deep copy
			require.NoError(t, err)
			tt.mutate(tr)
			err = validate(t, schema, tr)
			require.Error(t, err)
			assert.Contains(t, err.Error(), "- at "+tt.at)
		})
	}
}

// TestCallsPairRepliesWithRequests: in a trace of the reference under
// every fault, every reply carries the call id of a request its receiver
// sent earlier to its sender, of the matching kind, and every request's
// call is new for its sender's incarnation; a leader's states carry its
// nextIndex and matchIndex, one per node.
func TestCallsPairRepliesWithRequests(t *testing.T) {
	cfg := sim.Config{Nodes: 5, Factory: raft.New, Seed: 2, RecordTrace: true, SnapshotEvery: 10}
	res := sim.Run(cfg, func(c *sim.Cluster) {
		c.WaitLeader(5 * time.Second)
		c.RunNemesis(sim.DrawMix(c.Rand(), sim.Faults{Partitions: true, Unreliable: true, Crashes: true}), 3*time.Second)
	})
	require.Nil(t, res.Failure)
	replyTo := map[string]string{
		trace.MsgRequestVoteReply: trace.MsgRequestVote, trace.MsgAppendEntriesReply: trace.MsgAppendEntries,
		trace.MsgInstallSnapshotReply: trace.MsgInstallSnapshot,
	}
	type call struct {
		from, to int
		id       uint64
	}
	sent := map[call]string{} // the kind of each request sent, since its sender's last restart
	replies := 0
	for i, e := range res.Trace.Events {
		if e.Kind == trace.KindRestart {
			for c := range sent {
				if c.from == e.Node {
					delete(sent, c)
				}
			}
		}
		if e.Msg == nil {
			continue
		}
		require.NotZero(t, e.Msg.Call, "event %d: %s has no call id", i, e.String())
		want, isReply := replyTo[e.Msg.Kind]
		switch {
		case e.Kind == trace.KindSend && !isReply:
			c := call{e.Node, e.Peer, e.Msg.Call}
			_, dup := sent[c]
			require.False(t, dup, "event %d: %s reuses call #%d of n%d", i, e.String(), e.Msg.Call, e.Node)
			sent[c] = e.Msg.Kind
		case e.Kind == trace.KindDeliver && isReply:
			replies++
			kind, ok := sent[call{e.Node, e.Peer, e.Msg.Call}]
			require.True(t, ok, "event %d: %s answers no request n%d sent to n%d", i, e.String(), e.Node, e.Peer)
			require.Equal(t, want, kind, "event %d: %s answers a %s", i, e.String(), kind)
		}
	}
	assert.Positive(t, replies)
	leaders := 0
	for _, st := range res.Trace.States {
		if st.Role != raftapi.Leader.String() || !st.Up {
			assert.True(t, st.NextIndex.IsZero(), "n%d is a %s and has a nextIndex: %+v", st.Node, st.Role, st)
			continue
		}
		leaders++
		assert.Len(t, st.NextIndex.Ints(), cfg.Nodes, "n%d's nextIndex at %dus", st.Node, st.T)
		assert.Len(t, st.MatchIndex.Ints(), cfg.Nodes, "n%d's matchIndex at %dus", st.Node, st.T)
	}
	assert.Positive(t, leaders)
}
