package traceview

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/trace"
)

// sample is a small hand-built trace: an election, one entry, a drop, a
// partition, a crash and the failure.
func sample() *trace.Trace {
	return &trace.Trace{
		Format: trace.Format, Version: trace.Version,
		Header: trace.Header{Implementation: "student", Scenario: "3A/election", Seed: 42, Nodes: 3,
			Replay: "go test ./labs/3a -run TestElection -seed 42",
			Config: trace.Config{TickMicros: 10000, TickPhase: "offset", DelayMinMicros: 1000, DelayMaxMicros: 5000}},
		Events: []trace.Event{
			{T: 0, Kind: trace.KindNote, Node: -1, Peer: -1, Text: "waiting for a leader"},
			{T: 200000, Kind: trace.KindSend, Node: 0, Peer: 1, Msg: &trace.Message{Kind: trace.MsgRequestVote, Term: 1, Candidate: 0}},
			{T: 200000, Kind: trace.KindSend, Node: 0, Peer: 2, Msg: &trace.Message{Kind: trace.MsgRequestVote, Term: 1, Candidate: 0}, Reason: trace.ReasonLoss},
			{T: 202000, Kind: trace.KindDeliver, Node: 1, Peer: 0, Msg: &trace.Message{Kind: trace.MsgRequestVote, Term: 1, Candidate: 0}},
			{T: 202000, Kind: trace.KindSend, Node: 1, Peer: 0, Msg: &trace.Message{Kind: trace.MsgRequestVoteReply, Term: 1, Granted: true}},
			{T: 204000, Kind: trace.KindDeliver, Node: 0, Peer: 1, Msg: &trace.Message{Kind: trace.MsgRequestVoteReply, Term: 1, Granted: true}},
			{T: 204000, Kind: trace.KindSend, Node: 0, Peer: 1, Msg: &trace.Message{Kind: trace.MsgAppendEntries, Term: 1}},
			{T: 204000, Kind: trace.KindStart, Node: 0, Peer: -1, Index: 1, Term: 1},
			{T: 1200000, Kind: trace.KindPartition, Node: -1, Peer: -1, Groups: [][]int{{0}, {1}, {2}}},
			{T: 1500000, Kind: trace.KindCrash, Node: 2, Peer: -1},
			{T: 1600000, Kind: trace.KindDiscard, Node: 2, Peer: 0, Msg: &trace.Message{Kind: trace.MsgAppendEntries, Term: 1, PrevLogIndex: 1, PrevLogTerm: 1, Entries: 1, LeaderCommit: 1}, Reason: trace.ReasonCrashed},
			{T: 2000000, Kind: trace.KindApply, Node: 1, Peer: -1, Index: 1, Term: 1},
			{T: 3000000, Kind: trace.KindFailure, Node: -1, Peer: -1, Rule: "Election Safety"},
		},
		States: []trace.State{
			{T: 0, Node: 0, Up: true, Role: "follower", VotedFor: -1},
			{T: 0, Node: 1, Up: true, Role: "follower", VotedFor: -1},
			{T: 0, Node: 2, Up: true, Role: "follower", VotedFor: -1},
			{T: 200000, Node: 0, Up: true, Role: "candidate", Term: 1, VotedFor: 0},
			{T: 202000, Node: 1, Up: true, Role: "follower", Term: 1, VotedFor: 0},
			{T: 204000, Node: 0, Up: true, Role: "leader", Term: 1, VotedFor: 0},
			{T: 204000, Node: 0, Up: true, Role: "leader", Term: 1, VotedFor: 0, LastIndex: 1, LastTerm: 1},
			{T: 1500000, Node: 2, Up: false, Role: "follower", VotedFor: -1},
			{T: 2000000, Node: 1, Up: true, Role: "follower", Term: 1, VotedFor: 0, LastIndex: 1, LastTerm: 1, CommitIndex: 1, LastApplied: 1},
		},
		Result: trace.Result{Failure: &trace.Failure{Kind: "safety", Rule: "Election Safety", Paper: "Figure 3",
			Message: "two leaders in term 1: n0 and n1", Nodes: []int{0, 1}, Terms: []int{1}, T: 3000000},
			EndT: 3000000, Hash: "00000000deadbeef"},
	}
}

func view(t *testing.T, tr *trace.Trace, o Options) string {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, View(&b, tr, o))
	return b.String()
}

// body is the timeline between the column rule and the footer's rule.
func body(out string) []string {
	lines := strings.Split(out, "\n")
	var in bool
	var rows []string
	for _, l := range lines {
		switch {
		case strings.HasPrefix(l, "─────────┼"):
			in = true
		case strings.HasPrefix(l, "──────────"):
			in = false
		case in && !strings.HasPrefix(l, "╌"):
			rows = append(rows, l)
		}
	}
	return rows
}

func TestViewGolden(t *testing.T) {
	out := view(t, sample(), Options{Width: 100})
	want := `     time│ n0                          │ n1                          │ n2
─────────┼─────────────────────────────┼─────────────────────────────┼─────────────────────────────
   0.000s│ ── waiting for a leader
         │ follower t=0 log 0/0 c=0    │ follower t=0 log 0/0 c=0    │ follower t=0 log 0/0 c=0
   0.200s│ →n1 RV t=1 last=0/0         │                             │
         │ →n2 RV t=1 last=0/0 [drop]  │                             │
         │ candidate t=1 voted n0      │                             │
   0.202s│                             │ ←n0 RV t=1 last=0/0         │
         │                             │ →n0 RVR t=1 yes             │
         │                             │ follower t=1 voted n0       │
   0.204s│ ←n1 RVR t=1 yes             │                             │
         │ →n1 AE t=1 prev=0/0 hb c=0  │                             │
         │ ★ leader t=1                │                             │
         │ start i=1 t=1               │                             │
         │ log 1/1                     │                             │
   1.200s│ ═══ partition: n0 | n1 | n2
   1.500s│                             │                             │ ✗ CRASH
         │                             │                             │ down
   1.600s│                             │                             │ ✗←n0 AE t=1 prev=1/1… [down]
   2.000s│                             │ apply i=1 t=1               │
         │                             │ log 1/1 commit 1            │
   3.000s│ ✗ FAILURE Election Safety: two leaders in term 1: n0 and n1
────────────────────────────────────────────────────────────────────────────────────────────────────
FAILED at 3.000s: safety · Election Safety (Figure 3)
  two leaders in term 1: n0 and n1
  nodes n0 n1 · terms 1
end 3.000s · hash 00000000deadbeef · 13 events, 9 state changes · shown 22 of 22 rows
replay:  go test ./labs/3a -run TestElection -seed 42
`
	_, tail, ok := strings.Cut(out, "     time│")
	require.True(t, ok, out)
	assert.Equal(t, want, "     time│"+tail)
	assert.True(t, strings.HasPrefix(out, "raftlab trace · student · scenario 3A/election · seed 42 · 3 nodes\n"+
		"replay:  go test ./labs/3a -run TestElection -seed 42\n"+
		"network: delay 1ms–5ms · tick 10ms offset\nlegend  "), out)
}

func TestViewFilters(t *testing.T) {
	tests := []struct {
		name       string
		o          Options
		want, not  []string
		rows       int
		firstLabel string
	}{
		{name: "node", o: Options{Nodes: []int{2}},
			want: []string{"→n2 RV t=1 last=0/0 [drop]", "✗ CRASH", "partition", "FAILURE"},
			not:  []string{"→n1 RV", "←n0 RV", "apply"}, rows: 8},
		{name: "kind", o: Options{Kinds: []string{trace.KindSend, trace.KindApply}},
			want: []string{"→n1 RV", "→n0 RVR", "apply i=1"}, not: []string{"←n0", "candidate", "CRASH", "FAILURE"}, rows: 5},
		{name: "kind state", o: Options{Kinds: []string{KindState}},
			want: []string{"★ leader t=1", "candidate t=1"}, not: []string{"→n1"}, rows: 7},
		{name: "hide", o: Options{Hide: []string{trace.KindSend, KindState}},
			want: []string{"←n0 RV", "CRASH"}, not: []string{"→n1 RV", "★ leader"}, rows: 9},
		{name: "window", o: Options{From: time.Second, To: 2 * time.Second},
			want: []string{"partition", "CRASH", "apply i=1", "before"}, not: []string{"FAILURE", "→n1 RV"}, rows: 6},
		{name: "last", o: Options{Last: 3},
			want: []string{"apply i=1", "log 1/1 commit 1", "FAILURE", "before", "★ leader t=1 log 1/1 c=0"}, not: []string{"CRASH", "→n1"}, rows: 3},
		{name: "nothing", o: Options{From: 5 * time.Second},
			want: []string{"(no events match the filters)"}, rows: 1},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.o.Width = 120
			out := view(t, sample(), tt.o)
			for _, w := range tt.want {
				assert.Contains(t, out, w)
			}
			rows := body(out)
			text := strings.Join(rows, "\n")
			for _, n := range tt.not {
				assert.NotContains(t, text, n)
			}
			if strings.Contains(out, "before") {
				rows = rows[1:] // the state row giving the context
			}
			assert.Len(t, rows, tt.rows, out)
		})
	}
}

func TestViewNodeFilterNarrowsColumns(t *testing.T) {
	out := view(t, sample(), Options{Nodes: []int{1}, Kinds: []string{KindState, trace.KindApply}, Width: 80})
	assert.Contains(t, out, "     time│ n1\n")
	assert.NotContains(t, out, "│ n0")
}

func TestViewBadOptions(t *testing.T) {
	for _, o := range []Options{
		{Kinds: []string{"sned"}},
		{Hide: []string{"Send"}},
		{Nodes: []int{3}},
		{Nodes: []int{-1}},
		{From: 2 * time.Second, To: time.Second},
		{Last: -1},
	} {
		err := View(&bytes.Buffer{}, sample(), o)
		require.ErrorIs(t, err, ErrOption, "%+v", o)
	}
	require.Error(t, View(&bytes.Buffer{}, nil, Options{}))
}

func TestViewWidth(t *testing.T) {
	for _, w := range []int{20, 40, 60, 100, 160} {
		out := view(t, sample(), Options{Width: w})
		for l := range strings.SplitSeq(strings.TrimSuffix(out, "\n"), "\n") {
			assert.LessOrEqual(t, utf8.RuneCountInString(l), w, "width %d: %q", w, l)
		}
	}
	out := view(t, sample(), Options{Width: 60})
	assert.Contains(t, out, "│ →n2 RV … [drop]│", "the fault survives truncation")
	assert.Contains(t, out, "…")
}

func TestViewColour(t *testing.T) {
	plain := view(t, sample(), Options{Width: 100})
	assert.NotContains(t, plain, "\x1b[")

	col := view(t, sample(), Options{Width: 100, Color: true})
	assert.Contains(t, col, sgrBoldRed+"✗ FAILURE Election Safety")
	assert.Contains(t, col, sgrRed+" [drop]"+sgrReset)
	assert.Contains(t, col, sgrLeader+"★ leader t=1")
	assert.Contains(t, col, sgrYellow+"candidate t=1")
	assert.Equal(t, plain, stripSGR(col), "colour changes nothing but the escapes")
}

func stripSGR(s string) string {
	var b strings.Builder
	for {
		i := strings.Index(s, "\x1b[")
		if i < 0 {
			return b.String() + s
		}
		b.WriteString(s[:i])
		j := strings.IndexByte(s[i:], 'm')
		s = s[i+j+1:]
	}
}

func TestViewStates(t *testing.T) {
	out := view(t, sample(), Options{States: true, Nodes: []int{0}})
	assert.Contains(t, out, "   0.204s  n0   up   ★ leader      1    n0       0/0       0       0       0/0")
	assert.Contains(t, out, "shown 4 of 9 rows")
	assert.NotContains(t, out, "  n1  ")
}

func TestViewRaw(t *testing.T) {
	out := view(t, sample(), Options{Raw: true, Width: 200})
	assert.Contains(t, out, "→n1 RequestVote t=1 cand=0 last=0/0")
	assert.Contains(t, out, "→n1 AppendEntries t=1 prev=0/0 heartbeat commit=0")
}

// TestViewOddTraces: whatever a decoded trace holds, View prints something
// and does not panic.
func TestViewOddTraces(t *testing.T) {
	odd := []*trace.Trace{
		{},
		{Header: trace.Header{Nodes: 0}, Events: []trace.Event{{Kind: trace.KindSend, Node: -1, Peer: -1}}},
		{Header: trace.Header{Nodes: 2}, Events: []trace.Event{
			{Kind: trace.KindSend, Node: -1, Peer: 1, Msg: &trace.Message{Kind: trace.MsgAppendEntries}},
			{Kind: trace.KindDeliver, Node: 1, Peer: -1},
			{Kind: "mystery", Node: 0, Peer: 1, Msg: &trace.Message{Kind: "x\x1b[1m"}, Text: "y", Reason: "\x1b", Fault: "\n"},
			{Kind: trace.KindDiscard, Node: 0, Peer: 1, Reason: "odd\x1b[2J"},
			{Kind: trace.KindPartition, Node: -1, Peer: -1, Groups: [][]int{{0, 7, -3}}},
			{Kind: trace.KindPartition, Node: -1, Peer: -1, Groups: [][]int{{}}},
			{Kind: trace.KindPartition, Node: -1, Peer: -1},
			{Kind: trace.KindNetwork, Node: -1, Peer: -1},
			{Kind: trace.KindFailure, Node: -1, Peer: -1},
			{T: 5, Kind: trace.KindNote, Node: -1, Peer: -1, Text: "escape \x1b[31m and\nnewline"},
		}, States: []trace.State{{Node: 7, Role: "leader"}, {Node: -1}, {Node: 1}, {Node: 1, Up: true}}},
		{Header: trace.Header{Nodes: 3}, States: []trace.State{}, Result: trace.Result{OK: true}},
		{Header: trace.Header{Nodes: 1}, Events: []trace.Event{{Kind: trace.KindSend, Node: 0, Peer: 0, Msg: &trace.Message{Kind: strings.Repeat("é", 500)}, Fault: strings.Repeat("f", 300)}}},
	}
	for i, tr := range odd {
		for _, o := range []Options{{}, {Width: 1}, {Width: 7, Color: true}, {Last: 1}, {States: true}, {Kinds: []string{KindState}}} {
			var b bytes.Buffer
			require.NotPanics(t, func() { _ = View(&b, tr, o) }, "trace %d options %+v", i, o)
			assert.NotContains(t, stripSGR(b.String()), "\x1b", "trace %d: escapes from the trace are neutralised", i)
		}
	}
}

// FuzzView decodes arbitrary JSON as a trace and views it.
func FuzzView(f *testing.F) {
	b, err := json.Marshal(sample())
	require.NoError(f, err)
	f.Add(b, 80, 2)
	f.Add([]byte(`{"format":"raftlab-trace","version":2,"header":{"nodes":2},"events":[{"kind":"send","node":-1,"peer":1}],"states":[{"node":-1}]}`), 30, 0)
	f.Fuzz(func(t *testing.T, data []byte, width, last int) {
		tr, err := trace.Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		_ = View(&bytes.Buffer{}, tr, Options{Width: width % 300, Last: last % 50})
	})
}

// TestViewReadsTheTypedFields: tags, groups and the build come from the
// fields, not from text.
func TestViewReadsTheTypedFields(t *testing.T) {
	ae := &trace.Message{Kind: trace.MsgAppendEntries, Term: 2, PrevLogIndex: 3, PrevLogTerm: 1, Entries: 2, LeaderCommit: 3}
	tr := &trace.Trace{Format: trace.Format, Version: trace.Version,
		Header: trace.Header{Nodes: 4, Build: trace.Build{Module: "github.com/raftlab/raftlab", Version: "(devel)", Revision: "abc123", Modified: true, Go: "go1.26.0", OS: "linux", Arch: "amd64"}},
		Events: []trace.Event{
			{T: 1, Kind: trace.KindSend, Node: 0, Peer: 1, Msg: ae, Reason: trace.ReasonCut},
			{T: 2, Kind: trace.KindSend, Node: 0, Peer: 2, Msg: ae, Reason: trace.ReasonScenario},
			{T: 3, Kind: trace.KindSend, Node: 0, Peer: 3, Msg: ae, Fault: trace.FaultLongDelay},
			{T: 4, Kind: trace.KindDiscard, Node: 1, Peer: 0, Msg: ae, Reason: trace.ReasonStale},
			{T: 5, Kind: trace.KindDiscard, Node: 2, Peer: 0, Msg: ae, Reason: trace.ReasonCut},
			{T: 6, Kind: trace.KindSend, Node: 1, Peer: 0, Msg: &trace.Message{Kind: trace.MsgRequestVote, Term: 3, Candidate: 2, PreVote: true}},
			{T: 7, Kind: trace.KindSend, Node: 1, Peer: 0, Msg: &trace.Message{Kind: trace.MsgAppendEntriesReply, Term: 3, XTerm: -1, XIndex: -1, XLen: 4}},
			{T: 8, Kind: trace.KindApply, Node: 3, Peer: -1, Index: 9, Term: 2, Snapshot: true},
			{T: 9, Kind: trace.KindPartition, Node: -1, Peer: -1, Groups: [][]int{{3, 0}, {1, 2}}},
			{T: 9, Kind: trace.KindPartition, Node: 1, Peer: 2},
			{T: 9, Kind: trace.KindHeal, Node: 1, Peer: -1},
			{T: 9, Kind: trace.KindNetwork, Node: -1, Peer: -1, Net: &trace.Network{DropRate: 0.3, DelayMinMicros: 1000, DelayMaxMicros: 5000}},
		},
		Result: trace.Result{OK: true}}
	out := view(t, tr, Options{Width: 200})
	for _, w := range []string{
		"build:   github.com/raftlab/raftlab (devel) · rev abc123 (modified) · go1.26.0 linux/amd64",
		"→n1 AE t=2 prev=3/1 n=2 c=3 [cut]",
		"→n2 AE t=2 prev=3/1 n=2 c=3 [scripted drop]",
		"→n3 AE t=2 prev=3/1 n=2 c=3 [long-delay]",
		"✗←n0 AE t=2 prev=3/1 n=2 c=3 [stale]",
		"✗←n0 AE t=2 prev=3/1 n=2 c=3 [cut]",
		"→n0 RV pre t=3 cand=2 last=0/0",
		"→n0 AER t=3 fail xt=-1 xi=-1 xl=4",
		"apply snapshot 9/2",
		"═══ partition: n3 n0 | n1 n2",
		"═══ partition: n1→n2 link cut",
		"═══ heal: n1 reconnected",
		"═══ network: drop=0.30 dup=0.00 delay=1ms..5ms long=0.00/0s",
	} {
		assert.Contains(t, out, w)
	}
	raw := view(t, tr, Options{Width: 200, Raw: true})
	assert.Contains(t, raw, "→n0 RequestVote pre-vote t=3 cand=2 last=0/0")
}

// withCalls is a leader's heartbeat round with call numbers, and states
// with its progress: one that changed the log too, and one that moved
// only the progress (a reply's effect).
func withCalls() *trace.Trace {
	tr := &trace.Trace{
		Format: trace.Format, Version: trace.Version,
		Header: trace.Header{Implementation: "student", Scenario: "x", Seed: 1, Nodes: 3},
		Events: []trace.Event{
			{T: 100000, Kind: trace.KindSend, Node: 0, Peer: 1, Msg: &trace.Message{Kind: trace.MsgAppendEntries, Term: 1, Call: 5, Entries: 1}},
			{T: 102000, Kind: trace.KindDeliver, Node: 1, Peer: 0, Msg: &trace.Message{Kind: trace.MsgAppendEntries, Term: 1, Call: 5, Entries: 1}},
			{T: 102000, Kind: trace.KindSend, Node: 1, Peer: 0, Msg: &trace.Message{Kind: trace.MsgAppendEntriesReply, Term: 1, Call: 5, Success: true}},
			{T: 104000, Kind: trace.KindDeliver, Node: 0, Peer: 1, Msg: &trace.Message{Kind: trace.MsgAppendEntriesReply, Term: 1, Call: 5, Success: true}},
		},
		States: []trace.State{
			{T: 100000, Seq: 0, Node: 0, Up: true, Role: "leader", Term: 1, VotedFor: 0, LastIndex: 1, LastTerm: 1,
				NextIndex: trace.NewIndexes([]int{2, 1, 1}), MatchIndex: trace.NewIndexes([]int{1, 0, 0})},
			{T: 102000, Seq: 2, Node: 1, Up: true, Role: "follower", Term: 1, VotedFor: 0, LastIndex: 1, LastTerm: 1},
			{T: 104000, Seq: 4, Node: 0, Up: true, Role: "leader", Term: 1, VotedFor: 0, LastIndex: 1, LastTerm: 1,
				NextIndex: trace.NewIndexes([]int{2, 2, 1}), MatchIndex: trace.NewIndexes([]int{1, 1, 0})},
		},
		Result: trace.Result{OK: true, EndT: 200000, Hash: "00000000deadbeef"},
	}
	return tr
}

func TestViewPairsRepliesWithRequests(t *testing.T) {
	out := view(t, withCalls(), Options{Width: 120})
	rows := body(out)
	require.Len(t, rows, 6, out) // four events, two state changes: the progress-only state is left out
	assert.Contains(t, rows[0], "│ →n1 AE t=1 prev=0/0 n=1 c=0 #5")
	assert.Contains(t, rows[1], "│ ★ leader t=1 log 1/1 c=0")
	assert.Contains(t, rows[2], "←n0 AE t=1 prev=0/0 n=1 c=0 #5")
	assert.Contains(t, rows[3], "→n0 AER t=1 ok ↩#5")
	assert.Contains(t, rows[4], "follower t=1 log 1/1 c=0")
	assert.Contains(t, rows[5], "│ ←n1 AER t=1 ok ↩#5", "the reply shows in the requester's column, under its request")
	assert.Contains(t, out, "↩#7 a reply to its receiver's request #7")

	raw := view(t, withCalls(), Options{Width: 200, Raw: true})
	assert.Contains(t, raw, "←n1 AppendEntriesReply t=1 ok reply to #5")

	old := withCalls()
	for i := range old.Events {
		old.Events[i].Msg.Call = 0
	}
	out = view(t, old, Options{Width: 120})
	assert.NotContains(t, out, "#5")
	assert.NotContains(t, out, "↩#7", "no call legend for a trace without calls")
}

func TestViewStatesShowLeaderProgress(t *testing.T) {
	out := view(t, withCalls(), Options{States: true, Width: 160})
	assert.Contains(t, out, "leader's nextIndex/matchIndex per peer")
	assert.Contains(t, out, "   0.100s  n0   up   ★ leader      1    n0       1/1       0       0       0/0  n1 1/0 n2 1/0")
	assert.Contains(t, out, "   0.104s  n0   up   ★ leader      1    n0       1/1       0       0       0/0  n1 2/1 n2 1/0",
		"the state that moved only the progress is a row of the table")
	assert.Contains(t, out, "shown 3 of 3 rows")
	for _, l := range strings.Split(out, "\n") {
		if strings.Contains(l, "n1   up   follower") {
			assert.True(t, strings.HasSuffix(l, "0/0"), "a follower has no progress column: %q", l)
		}
	}
	assert.NotContains(t, view(t, sample(), Options{States: true}), "nextIndex", "no progress column for a trace without progress")
}
