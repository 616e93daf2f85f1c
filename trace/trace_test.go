package trace

import (
	"bytes"
	"encoding/json"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/wire"
)

func TestMsgKindsAreTheWireNames(t *testing.T) {
	require.Len(t, MsgKinds, int(wire.NumKinds))
	for k := range wire.NumKinds {
		assert.Equal(t, k.String(), MsgKinds[k])
	}
}

// TestEventJSON: each kind writes exactly its fields, zeros included, and
// reads back equal.
func TestEventJSON(t *testing.T) {
	tests := []struct {
		e    Event
		json string
		text string
	}{
		{Event{T: 5, Kind: KindSend, Node: 0, Peer: 1, Msg: &Message{Kind: MsgRequestVote, Term: 1}},
			`{"t":5,"kind":"send","node":0,"peer":1,"msg":{"kind":"RequestVote","term":1,"candidate":0,"last_log_index":0,"last_log_term":0}}`,
			"n0 → n1  RequestVote t=1 cand=0 last=0/0"},
		{Event{T: 5, Kind: KindSend, Node: 1, Peer: 0, Msg: &Message{Kind: MsgRequestVoteReply, Term: 2, PreVote: true}, Reason: ReasonLoss},
			`{"t":5,"kind":"send","node":1,"peer":0,"msg":{"kind":"RequestVoteReply","term":2,"prevote":true,"granted":false},"reason":"loss"}`,
			"n1 → n0  RequestVoteReply pre-vote t=2 granted=false  [drop]"},
		{Event{T: 6, Kind: KindSend, Node: 0, Peer: 2, Msg: &Message{Kind: MsgAppendEntries, Term: 3, PrevLogIndex: 4, PrevLogTerm: 2, Entries: 2, LeaderCommit: 4}, Reason: ReasonScenario},
			`{"t":6,"kind":"send","node":0,"peer":2,"msg":{"kind":"AppendEntries","term":3,"prev_log_index":4,"prev_log_term":2,"entries":2,"leader_commit":4},"reason":"scenario"}`,
			"n0 → n2  AppendEntries t=3 prev=4/2 n=2 commit=4  [scripted]  (dropped by the scenario)"},
		{Event{T: 6, Kind: KindSend, Node: 0, Peer: 2, Msg: &Message{Kind: MsgAppendEntries, Term: 3}, Fault: FaultScripted, Text: "scenario: delay 1ms"},
			`{"t":6,"kind":"send","node":0,"peer":2,"msg":{"kind":"AppendEntries","term":3,"prev_log_index":0,"prev_log_term":0,"entries":0,"leader_commit":0},"fault":"scripted","text":"scenario: delay 1ms"}`,
			"n0 → n2  AppendEntries t=3 prev=0/0 heartbeat commit=0  [scripted]  (scenario: delay 1ms)"},
		{Event{T: 7, Kind: KindDeliver, Node: 2, Peer: 0, Msg: &Message{Kind: MsgAppendEntriesReply, Term: 3, XTerm: -1, XIndex: -1, XLen: 5}},
			`{"t":7,"kind":"deliver","node":2,"peer":0,"msg":{"kind":"AppendEntriesReply","term":3,"success":false,"xterm":-1,"xindex":-1,"xlen":5}}`,
			"n2 ← n0  AppendEntriesReply t=3 fail xterm=-1 xindex=-1 xlen=5"},
		{Event{T: 7, Kind: KindDiscard, Node: 2, Peer: 0, Msg: &Message{Kind: MsgAppendEntriesReply, Term: 3, Success: true}, Reason: ReasonStale},
			`{"t":7,"kind":"discard","node":2,"peer":0,"msg":{"kind":"AppendEntriesReply","term":3,"success":true},"reason":"stale-incarnation"}`,
			"n2 discard AppendEntriesReply t=3 ok (peer n0)  (reply to a crashed incarnation)"},
		{Event{T: 8, Kind: KindSend, Node: 0, Peer: 1, Msg: &Message{Kind: MsgInstallSnapshot, Term: 3, LastIncludedIndex: 9, LastIncludedTerm: 2, Bytes: 120}, Fault: FaultDup},
			`{"t":8,"kind":"send","node":0,"peer":1,"msg":{"kind":"InstallSnapshot","term":3,"last_included_index":9,"last_included_term":2,"bytes":120},"fault":"dup"}`,
			"n0 → n1  InstallSnapshot t=3 last=9/2 bytes=120  [dup]"},
		{Event{T: 10, Kind: KindSend, Node: 0, Peer: 1, Msg: &Message{Kind: MsgAppendEntries, Term: 3, Call: 17, PrevLogIndex: 4, PrevLogTerm: 2, LeaderCommit: 4}},
			`{"t":10,"kind":"send","node":0,"peer":1,"msg":{"kind":"AppendEntries","term":3,"call":17,"prev_log_index":4,"prev_log_term":2,"entries":0,"leader_commit":4}}`,
			"n0 → n1  AppendEntries t=3 prev=4/2 heartbeat commit=4 #17"},
		{Event{T: 11, Kind: KindDeliver, Node: 0, Peer: 1, Msg: &Message{Kind: MsgAppendEntriesReply, Term: 3, Call: 17, Success: true}},
			`{"t":11,"kind":"deliver","node":0,"peer":1,"msg":{"kind":"AppendEntriesReply","term":3,"call":17,"success":true}}`,
			"n0 ← n1  AppendEntriesReply t=3 ok reply to #17"},
		{Event{T: 8, Kind: KindStart, Node: 0, Peer: -1},
			`{"t":8,"kind":"start","node":0,"peer":-1,"index":0,"term":0}`, "n0 start index 0 term 0"},
		{Event{T: 8, Kind: KindApply, Node: 1, Peer: -1, Index: 9, Term: 2, Snapshot: true},
			`{"t":8,"kind":"apply","node":1,"peer":-1,"index":9,"term":2,"snapshot":true}`, "n1 apply snapshot through 9/2"},
		{Event{T: 8, Kind: KindSnapshot, Node: 1, Peer: -1, Index: 9},
			`{"t":8,"kind":"snapshot","node":1,"peer":-1,"index":9}`, "n1 snapshot through index 9"},
		{Event{T: 9, Kind: KindPartition, Node: -1, Peer: -1, Groups: [][]int{{0, 1}, {2}}},
			`{"t":9,"kind":"partition","node":-1,"peer":-1,"groups":[[0,1],[2]]}`, "partition  ([[0 1] [2]])"},
		{Event{T: 9, Kind: KindPartition, Node: 1, Peer: 2},
			`{"t":9,"kind":"partition","node":1,"peer":2}`, "n1 partition (peer n2)  (link cut)"},
		{Event{T: 9, Kind: KindHeal, Node: 1, Peer: -1},
			`{"t":9,"kind":"heal","node":1,"peer":-1}`, "n1 heal  (reconnected)"},
		{Event{T: 9, Kind: KindNetwork, Node: -1, Peer: -1, Net: &Network{DropRate: 0.1, DelayMinMicros: 1000, DelayMaxMicros: 27000, LongDelayMicros: 2000000}},
			`{"t":9,"kind":"network","node":-1,"peer":-1,"net":{"drop_rate":0.1,"dup_rate":0,"delay_min_us":1000,"delay_max_us":27000,"long_delay_rate":0,"long_delay_max_us":2000000}}`,
			"network  (drop=0.10 dup=0.00 delay=1ms..27ms long=0.00/2s)"},
		{Event{T: 9, Kind: KindNote, Node: -1, Peer: -1, Text: `say "hi" <now>`},
			`{"t":9,"kind":"note","node":-1,"peer":-1,"text":"say \"hi\" \u003cnow\u003e"}`, `note  (say "hi" <now>)`},
		{Event{T: 9, Kind: KindFailure, Node: -1, Peer: -1},
			`{"t":9,"kind":"failure","node":-1,"peer":-1,"rule":""}`, "failure"},
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			b, err := json.Marshal(tt.e)
			require.NoError(t, err)
			assert.JSONEq(t, tt.json, string(b))
			assert.Equal(t, tt.json, string(b), "field order and compactness")
			var back Event
			require.NoError(t, json.Unmarshal(b, &back))
			assert.True(t, tt.e.Equal(&back), "%+v\n%+v", tt.e, back)
			assert.Equal(t, tt.text, tt.e.String())
		})
	}
}

func TestEqual(t *testing.T) {
	a := Event{Kind: KindPartition, Node: -1, Peer: -1, Groups: [][]int{{0}, {1, 2}}}
	b := a
	b.Groups = [][]int{{0}, {1, 2}}
	assert.True(t, a.Equal(&b))
	b.Groups = [][]int{{0, 1}, {2}}
	assert.False(t, a.Equal(&b))
	m := Event{Kind: KindSend, Msg: &Message{Kind: MsgAppendEntries, Term: 1}}
	n := m
	n.Msg = &Message{Kind: MsgAppendEntries, Term: 1}
	assert.True(t, m.Equal(&n), "messages compare by value")
	n.Msg.Entries = 1
	assert.False(t, m.Equal(&n))
	n.Msg = nil
	assert.False(t, m.Equal(&n))
}

func sampleTrace() *Trace {
	return &Trace{Format: Format, Version: Version,
		Header: Header{Implementation: "reference", Scenario: "x", Seed: 1, Nodes: 3, Replay: "go test ./x -seed 1", Build: CurrentBuild(),
			Config: Config{TickMicros: 10000, TickPhase: "offset"}},
		Events: []Event{
			{T: 0, Kind: KindNote, Node: -1, Peer: -1, Text: "hello"},
			{T: 5, Kind: KindSend, Node: 0, Peer: 1, Msg: &Message{Kind: MsgRequestVote, Term: 1}},
			{T: 9, Kind: KindPartition, Node: -1, Peer: -1, Groups: [][]int{{0, 1}, {2}}},
		},
		States: []State{{T: 0, Node: 0, Up: true, Role: "follower", VotedFor: -1},
			{T: 7, Seq: 2, Node: 1, Up: true, Role: "leader", Term: 1, VotedFor: 1,
				NextIndex: NewIndexes([]int{1, 1, 3}), MatchIndex: NewIndexes([]int{0, 0, -2})}},
		Result: Result{OK: true, EndT: 10, Hash: "0123456789abcdef"},
	}
}

func TestRoundTripAndLayout(t *testing.T) {
	tr := sampleTrace()
	b, err := Marshal(tr)
	require.NoError(t, err)
	back, err := Decode(bytes.NewReader(b))
	require.NoError(t, err)
	assert.Equal(t, tr, back)
	assert.True(t, json.Valid(b))
	assert.Contains(t, string(b), "\n  {\"t\":5,\"kind\":\"send\",\"node\":0,\"peer\":1,\"msg\":{", "one event a line")
	assert.Contains(t, string(b), "\n \"version\": 2,\n")
	assert.Contains(t, string(b), `"next_index":[1,1,3],"match_index":[0,0,-2]}`, "a leader's progress as arrays")
	assert.NotContains(t, string(b), `"voted_for":-1,"last_index":0,"last_term":0,"commit":0,"applied":0,"snapshot_index":0,"snapshot_term":0,"next`, "no progress for a follower")

	empty := sampleTrace()
	empty.Events, empty.States = []Event{}, []State{}
	b, err = Marshal(empty)
	require.NoError(t, err)
	assert.Contains(t, string(b), "\"events\": [],\n \"states\": [],\n")
	_, err = Decode(bytes.NewReader(b))
	require.NoError(t, err)
}

func TestDecodeRefuses(t *testing.T) {
	v1 := `{"format":"raftlab-trace","version":1,"header":{"replay":"go test ./labs/3a -run TestElection -seed 4","nodes":3},
		"events":[{"t":0,"kind":"send","node":0,"peer":1,"msg":"RequestVote t=1 cand=0 last=0/0","detail":"x"}]}`
	group := strings.Replace(mustMarshal(t, sampleTrace()), "[[0,1],[2]]", "[[0,1],[5]]", 1)
	tests := []struct {
		name, in string
		is       error
		want     []string
	}{
		{"v1", v1, ErrVersion, []string{"this trace has format version 1, and this build of raftlab reads only version 2",
			"re-run the test or command that wrote it with this build of raftlab to get a version 2 trace",
			"(its replay command: go test ./labs/3a -run TestElection -seed 4)"}},
		{"v3", `{"format":"raftlab-trace","version":3}`, ErrVersion, []string{"format version 3"}},
		{"not a trace", `{"name":"x"}`, ErrNotTrace, []string{`its "format" field is ""`}},
		{"format of another type", `{"format":7}`, ErrNotTrace, nil},
		{"garbage", `{"format":`, nil, []string{"not valid JSON"}},
		{"empty", " \n", nil, []string{"the trace is empty"}},
		{"unknown field", strings.Replace(mustMarshal(t, sampleTrace()), `"text":"hello"`, `"text":"hello","detail":"x"`, 1), nil, []string{`unknown field "detail"`}},
		{"group names no node of the cluster", group, nil, []string{"has node 5 in a group, but the cluster has 3 nodes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Decode(strings.NewReader(tt.in))
			require.Error(t, err)
			if tt.is != nil {
				require.ErrorIs(t, err, tt.is)
			}
			for _, w := range tt.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
}

func mustMarshal(t *testing.T, tr *Trace) string {
	b, err := Marshal(tr)
	require.NoError(t, err)
	return string(b)
}

// TestCurrentBuild: under go test there is no VCS information (the
// toolchain stamps it only into go build/go install binaries), but the
// module and the toolchain are always known.
func TestCurrentBuild(t *testing.T) {
	b := CurrentBuild()
	assert.Equal(t, runtime.Version(), b.Go)
	assert.Equal(t, runtime.GOOS, b.OS)
	assert.Equal(t, runtime.GOARCH, b.Arch)
	assert.Equal(t, "github.com/raftlab/raftlab", b.Module)
	assert.Equal(t, "(devel)", b.Version)
	assert.Empty(t, b.Revision, "go test stamps no VCS revision")
}

func TestIndexes(t *testing.T) {
	for _, v := range [][]int{nil, {0}, {1, 2, 3}, {-1, 1 << 40, 0}} {
		x := NewIndexes(v)
		assert.Equal(t, v, x.Ints())
		assert.Equal(t, len(v) == 0, x.IsZero())
		assert.True(t, x == NewIndexes(slices.Clone(v)), "lists compare by their elements")
	}
	assert.False(t, NewIndexes([]int{1, 2}) == NewIndexes([]int{1, 3}))
	var x Indexes
	require.NoError(t, json.Unmarshal([]byte("[4,5]"), &x))
	assert.Equal(t, []int{4, 5}, x.Ints())
	require.Error(t, json.Unmarshal([]byte(`"4,5"`), &x))
}
