package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

func ents(terms ...int) []raftapi.Entry {
	es := make([]raftapi.Entry, len(terms))
	for k, t := range terms {
		es[k] = raftapi.Entry{Term: t, Command: []byte{byte(100 + k)}}
	}
	return es
}

// The follower's side of AppendEntries: the receiver rules and the hints,
// exactly as raftapi.AppendEntriesReply defines them (Figure 2, §5.3).
func TestAppendEntriesReceiver(t *testing.T) {
	type log struct {
		snapIndex, snapTerm int
		terms               []int
	}
	plain := log{terms: []int{1, 1, 2, 2, 3}} // indexes 1..5
	snap := log{snapIndex: 3, snapTerm: 2, terms: []int{2, 3}}
	tests := []struct {
		name       string
		log        log
		commit     int
		args       raftapi.AppendEntriesArgs
		want       raftapi.AppendEntriesReply
		wantTerms  []int
		wantCommit int
	}{
		{name: "older term", log: plain,
			args: raftapi.AppendEntriesArgs{Term: 2, PrevLogIndex: 5, PrevLogTerm: 3},
			want: raftapi.AppendEntriesReply{Term: 3, XTerm: -1, XIndex: -1, XLen: 6}, wantTerms: plain.terms},
		{name: "too short", log: plain,
			args: raftapi.AppendEntriesArgs{Term: 3, PrevLogIndex: 7, PrevLogTerm: 3},
			want: raftapi.AppendEntriesReply{Term: 3, XTerm: -1, XIndex: -1, XLen: 6}, wantTerms: plain.terms},
		{name: "conflict at prev", log: plain,
			args: raftapi.AppendEntriesArgs{Term: 4, PrevLogIndex: 4, PrevLogTerm: 3},
			want: raftapi.AppendEntriesReply{Term: 4, XTerm: 2, XIndex: 3, XLen: 6}, wantTerms: plain.terms},
		{name: "append", log: plain,
			args: raftapi.AppendEntriesArgs{Term: 4, PrevLogIndex: 5, PrevLogTerm: 3, Entries: ents(4, 4)},
			want: raftapi.AppendEntriesReply{Term: 4, Success: true, XTerm: -1, XIndex: -1, XLen: 8}, wantTerms: []int{1, 1, 2, 2, 3, 4, 4}},
		{name: "truncate at a real conflict", log: plain,
			args: raftapi.AppendEntriesArgs{Term: 4, PrevLogIndex: 2, PrevLogTerm: 1, Entries: ents(2, 4)},
			want: raftapi.AppendEntriesReply{Term: 4, Success: true, XTerm: -1, XIndex: -1, XLen: 5}, wantTerms: []int{1, 1, 2, 4}},
		{name: "stale request keeps later entries", log: plain,
			args: raftapi.AppendEntriesArgs{Term: 3, PrevLogIndex: 1, PrevLogTerm: 1, Entries: ents(1, 2)},
			want: raftapi.AppendEntriesReply{Term: 3, Success: true, XTerm: -1, XIndex: -1, XLen: 6}, wantTerms: plain.terms},
		{name: "commit up to the last new entry only", log: plain, commit: 1,
			args: raftapi.AppendEntriesArgs{Term: 3, PrevLogIndex: 2, PrevLogTerm: 1, Entries: ents(2), LeaderCommit: 5},
			want: raftapi.AppendEntriesReply{Term: 3, Success: true, XTerm: -1, XIndex: -1, XLen: 6}, wantTerms: plain.terms, wantCommit: 3},
		{name: "heartbeat commits up to prev", log: plain,
			args: raftapi.AppendEntriesArgs{Term: 3, PrevLogIndex: 4, PrevLogTerm: 2, LeaderCommit: 5},
			want: raftapi.AppendEntriesReply{Term: 3, Success: true, XTerm: -1, XIndex: -1, XLen: 6}, wantTerms: plain.terms, wantCommit: 4},
		{name: "commit never goes back", log: plain, commit: 4,
			args: raftapi.AppendEntriesArgs{Term: 3, PrevLogIndex: 1, PrevLogTerm: 1, LeaderCommit: 5},
			want: raftapi.AppendEntriesReply{Term: 3, Success: true, XTerm: -1, XIndex: -1, XLen: 6}, wantTerms: plain.terms, wantCommit: 4},
		{name: "prev inside the snapshot", log: snap, commit: 3,
			args: raftapi.AppendEntriesArgs{Term: 3, PrevLogIndex: 2, PrevLogTerm: 1, Entries: ents(2, 2, 3)},
			want: raftapi.AppendEntriesReply{Term: 3, XTerm: -1, XIndex: -1, XLen: 4}, wantTerms: snap.terms, wantCommit: 3},
		{name: "prev at the snapshot", log: snap, commit: 3,
			args: raftapi.AppendEntriesArgs{Term: 3, PrevLogIndex: 3, PrevLogTerm: 2, Entries: ents(2, 3, 3)},
			want: raftapi.AppendEntriesReply{Term: 3, Success: true, XTerm: -1, XIndex: -1, XLen: 7}, wantTerms: []int{2, 3, 3}, wantCommit: 3},
		{name: "conflict after the snapshot", log: snap, commit: 3,
			args: raftapi.AppendEntriesArgs{Term: 4, PrevLogIndex: 5, PrevLogTerm: 4},
			want: raftapi.AppendEntriesReply{Term: 4, XTerm: 3, XIndex: 5, XLen: 6}, wantTerms: snap.terms, wantCommit: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, e := newTestNode(t, 3, Options{})
			withLog(n, tc.log.snapIndex, tc.log.snapTerm, tc.log.terms...)
			n.commitIndex, n.lastApplied = max(tc.commit, n.log.snapIndex), max(tc.commit, n.log.snapIndex)
			var r raftapi.AppendEntriesReply
			n.AppendEntries(1, &tc.args, &r)
			assert.Equal(t, tc.want, r)
			assert.Equal(t, tc.wantTerms, termsOf(n))
			assert.Equal(t, max(tc.wantCommit, tc.commit, tc.log.snapIndex), n.commitIndex)
			assert.Equal(t, n.commitIndex, n.lastApplied, "applied at the end of the turn")
			assert.Len(t, e.applied, n.commitIndex-max(tc.commit, tc.log.snapIndex))
			if tc.args.Term >= 3 {
				assert.Equal(t, tc.args.LeaderID, n.leader)
			}
		})
	}
}

// The leader's side of fast backup, as raftapi.AppendEntriesReply
// defines it (§5.3).
func TestNextIndexFromHint(t *testing.T) {
	n, _ := newTestNode(t, 3, Options{})
	// Leader log: indexes 1..10 with terms 1 1 1 4 4 5 5 6 6 6.
	withLog(n, 0, 0, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6)
	compacted, _ := newTestNode(t, 3, Options{})
	// The same log with 1..6 compacted: indexes 7..10, terms 5 6 6 6.
	withLog(compacted, 6, 5, 5, 6, 6, 6)
	tests := []struct {
		name string
		n    *node
		r    raftapi.AppendEntriesReply
		want int
	}{
		{name: "follower too short", n: n, r: raftapi.AppendEntriesReply{XTerm: -1, XIndex: -1, XLen: 4}, want: 4},
		{name: "leader lacks XTerm", n: n, r: raftapi.AppendEntriesReply{XTerm: 2, XIndex: 2, XLen: 9}, want: 2},
		{name: "leader has XTerm", n: n, r: raftapi.AppendEntriesReply{XTerm: 4, XIndex: 4, XLen: 9}, want: 6},
		{name: "leader has XTerm at its end", n: n, r: raftapi.AppendEntriesReply{XTerm: 6, XIndex: 8, XLen: 12}, want: 11},
		{name: "XTerm is the snapshot's term", n: compacted, r: raftapi.AppendEntriesReply{XTerm: 5, XIndex: 6, XLen: 9}, want: 8},
		{name: "XTerm compacted away", n: compacted, r: raftapi.AppendEntriesReply{XTerm: 4, XIndex: 4, XLen: 9}, want: 4},
	}
	for _, tc := range tests {
		assert.Equal(t, tc.want, tc.n.nextIndexFromHint(&tc.r), tc.name)
	}
}

// A leader sends each new entry to each follower once: the first Start
// sends it at once; Starts while that batch is in flight send nothing, not
// even after a few ticks, and their entries leave together when the reply
// comes. Duplicated and reordered replies send nothing more (no RPC
// storms).
func TestLeaderSendsEachEntryOnce(t *testing.T) {
	n, e := newTestNode(t, 3, Options{})
	lead(t, n, e, 2)
	sentTo := map[int][]int{} // follower -> indexes of the entries it was sent, in order
	record := func(s []sent) {
		for _, m := range s {
			require.NotNil(t, m.ae)
			for k := range m.ae.Entries {
				sentTo[m.to] = append(sentTo[m.to], m.ae.PrevLogIndex+1+k)
			}
		}
	}
	idx, term, ok := n.Start([]byte{0})
	require.True(t, ok)
	assert.Equal(t, 1, idx)
	assert.Equal(t, 2, term)
	first := take(e)
	require.Len(t, first, 2, "one AppendEntries per follower for the first Start")
	for _, m := range first {
		assert.Equal(t, 0, m.ae.PrevLogIndex)
		require.Len(t, m.ae.Entries, 1)
	}
	record(first)
	for i := 1; i < 5; i++ {
		idx, _, ok := n.Start([]byte{byte(i)})
		require.True(t, ok)
		assert.Equal(t, i+1, idx)
		assert.Empty(t, take(e), "Start %d: nothing sent while a batch is in flight", idx)
		n.Tick()
		assert.Empty(t, take(e), "nothing resent while a reply is pending")
	}
	// The first batch is acknowledged, in reverse order and twice: each
	// first acknowledgement sends that follower the four entries started
	// meanwhile, in one AppendEntries; the duplicates send nothing.
	var second []sent
	for k := len(first) - 1; k >= 0; k-- {
		first[k].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
		s := take(e)
		require.Len(t, s, 1, "the accumulated batch, at the reply")
		assert.Equal(t, first[k].to, s[0].to)
		assert.Equal(t, 1, s[0].ae.PrevLogIndex)
		assert.Len(t, s[0].ae.Entries, 4)
		assert.Equal(t, 1, s[0].ae.LeaderCommit)
		first[k].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
		assert.Empty(t, take(e), "a duplicated reply sends nothing")
		record(s)
		second = append(second, s...)
	}
	assert.Equal(t, 1, n.commitIndex)
	for _, m := range second {
		m.aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
		m.aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	}
	assert.Equal(t, []int{5, 5, 5}, n.Inspect().MatchIndex)
	assert.Equal(t, 5, n.commitIndex)
	assert.Empty(t, take(e))
	assert.Equal(t, map[int][]int{1: {1, 2, 3, 4, 5}, 2: {1, 2, 3, 4, 5}}, sentTo, "each entry sent to each follower exactly once")
	n.Tick()
	s := take(e)
	require.Len(t, s, 2, "the new commit index goes out at the next tick")
	for _, m := range s {
		assert.Empty(t, m.ae.Entries)
		assert.Equal(t, 5, m.ae.LeaderCommit)
	}
	for range heartbeatTicks - 1 {
		n.Tick()
	}
	assert.Empty(t, take(e))
	n.Tick()
	assert.Len(t, take(e), 2, "then a heartbeat per heartbeat interval")
}

// While a batch is in flight, a heartbeat carries no entries and is
// anchored at matchIndex, which the follower is known to hold, so that it
// cannot be rejected because the batch has not arrived yet.
func TestHeartbeatDuringBatch(t *testing.T) {
	n, e := newTestNode(t, 2, Options{})
	lead(t, n, e, 2)
	n.Start([]byte("a"))
	a := take(e)
	require.Len(t, a, 1)
	a[0].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	n.Tick() // the commit index goes out
	require.Len(t, take(e), 1)
	n.Start([]byte("b"))
	b := take(e)
	require.Len(t, b, 1)
	assert.Equal(t, 1, b[0].ae.PrevLogIndex)
	// The heartbeat timer is reset by each send, so the retry timer of
	// the batch comes first when both are equal; make the heartbeat due
	// first by pretending the batch went out later.
	n.prs[1].batchAt = n.now + 1
	for range heartbeatTicks {
		n.Tick()
	}
	hb := take(e)
	require.Len(t, hb, 1, "a heartbeat while the batch is in flight")
	assert.Empty(t, hb[0].ae.Entries)
	assert.Equal(t, 1, hb[0].ae.PrevLogIndex, "anchored at matchIndex")
	hb[0].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	assert.Empty(t, take(e), "the heartbeat's reply sends no second batch")
	b[0].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	assert.Equal(t, 2, n.commitIndex)
}

// matchIndex comes from the acknowledged request, not from the leader's
// log when the reply arrives, and never goes back (§5.3, Figure 2).
func TestMatchIndexFromRequest(t *testing.T) {
	n, e := newTestNode(t, 3, Options{})
	lead(t, n, e, 2)
	n.Start([]byte("a"))
	first := take(e)
	n.Start([]byte("b"))
	n.Start([]byte("c"))
	take(e)
	first[0].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	assert.Equal(t, 1, n.prs[first[0].to].match)
	assert.Equal(t, 1, n.commitIndex, "the leader and one follower are a majority of three")
	// A later rejection of an old request is stale.
	first[0].aeOK(&raftapi.AppendEntriesReply{Term: 2, XTerm: -1, XIndex: -1, XLen: 1})
	assert.Equal(t, 1, n.prs[first[0].to].match)
	assert.Equal(t, stateReplicate, n.prs[first[0].to].state)
	// A reply from an older term's request is ignored; a higher term
	// deposes the leader.
	first[1].aeOK(&raftapi.AppendEntriesReply{Term: 5})
	assert.Equal(t, raftapi.Follower, n.role)
	assert.Equal(t, 5, n.term)
	assert.Equal(t, raftapi.None, n.votedFor)
}

// A rejection moves nextIndex by the hints and probes again, one request
// at a time.
func TestLeaderBacktracks(t *testing.T) {
	n, e := newTestNode(t, 3, Options{})
	withLog(n, 0, 0, 1, 1, 1, 4, 4, 5, 5, 6, 6, 6)
	n.term = 6
	n.campaign(false)
	n.finish()
	for _, s := range take(e) {
		s.rvOK(&raftapi.RequestVoteReply{Term: 7, VoteGranted: true})
	}
	probes := take(e)
	require.Len(t, probes, 2)
	p := probes[0]
	assert.Equal(t, 10, p.ae.PrevLogIndex)
	assert.Empty(t, p.ae.Entries)
	// The follower has 1 1 1 4 4 4 4 (term 4 runs from index 4).
	p.aeOK(&raftapi.AppendEntriesReply{Term: 7, XTerm: -1, XIndex: -1, XLen: 8})
	s := take(e)
	require.Len(t, s, 1)
	assert.Equal(t, 7, s[0].ae.PrevLogIndex)
	s[0].aeOK(&raftapi.AppendEntriesReply{Term: 7, XTerm: 4, XIndex: 4, XLen: 8})
	s = take(e)
	require.Len(t, s, 1)
	assert.Equal(t, 5, s[0].ae.PrevLogIndex, "one past the leader's last entry of term 4")
	assert.Len(t, s[0].ae.Entries, 5)
	n.Tick()
	assert.Empty(t, take(e), "one probe at a time")
	s[0].aeOK(&raftapi.AppendEntriesReply{Term: 7, Success: true})
	assert.Equal(t, 10, n.prs[p.to].match)
	assert.Equal(t, 0, n.commitIndex, "Figure 8: no commit of earlier terms by counting")
	n.Start([]byte("x"))
	out := take(e)
	require.Len(t, out, 1, "the other follower's probe is still outstanding")
	out[0].aeOK(&raftapi.AppendEntriesReply{Term: 7, Success: true})
	assert.Equal(t, 11, n.commitIndex, "an entry of the current term commits the earlier ones")
	assert.Len(t, e.applied, 11)
}

// A lost batch is resent after retryTicks, from matchIndex, together with
// the entries started meanwhile; a late reply to the first copy sends
// nothing more.
func TestLeaderRetriesLostEntries(t *testing.T) {
	n, e := newTestNode(t, 2, Options{})
	lead(t, n, e, 2)
	for i := range 3 {
		n.Start([]byte{byte(i)})
	}
	lost := take(e)
	require.Len(t, lost, 1, "one batch in flight")
	require.Len(t, lost[0].ae.Entries, 1)
	for range retryTicks - 1 {
		n.Tick()
	}
	assert.Empty(t, take(e))
	n.Tick()
	s := take(e)
	require.Len(t, s, 1)
	assert.Equal(t, 0, s[0].ae.PrevLogIndex)
	assert.Len(t, s[0].ae.Entries, 3)
	// The first copy was late, not lost: its reply counts, and sends
	// nothing, since the resent batch is in flight.
	lost[0].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	assert.Equal(t, 1, n.prs[1].match)
	assert.Equal(t, 1, n.commitIndex)
	assert.Empty(t, take(e))
	s[0].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	assert.Equal(t, 3, n.commitIndex)
	assert.Empty(t, take(e))
}

// Batching: a far-behind follower gets entries in batches capped at
// maxBatchEntries, one batch in flight at a time.
func TestLeaderBatches(t *testing.T) {
	require.Equal(t, 256, maxBatchEntries)
	n, e := newTestNode(t, 2, Options{})
	lead(t, n, e, 2)
	n.prs[1].becomeProbe(n.prs[1].next)
	const total = 2*maxBatchEntries + 88
	for range total {
		n.log.append(2, []byte("x"))
	}
	n.prs[1].wantSend = true
	n.finish()
	for k, want := range []int{maxBatchEntries, maxBatchEntries, 88} {
		s := take(e)
		require.Len(t, s, 1, "batch %d: one request in flight", k)
		assert.Equal(t, k*maxBatchEntries, s[0].ae.PrevLogIndex)
		assert.Len(t, s[0].ae.Entries, want)
		n.Tick()
		assert.Empty(t, take(e), "batch %d: nothing more before the reply", k)
		s[0].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	}
	assert.Equal(t, total, n.prs[1].match)
	assert.Empty(t, take(e))
}

// Inspect does not allocate for a follower.
func TestInspectCheap(t *testing.T) {
	n, _ := newTestNode(t, 3, Options{})
	withLog(n, 0, 0, 1, 1, 2)
	allocs := testing.AllocsPerRun(100, func() {
		_ = n.Inspect()
		_ = n.InspectLog()
	})
	assert.Zero(t, allocs)
}

// The per-follower state machine (progress.go): which replies end probing,
// which rejections are stale, and that nextIndex and matchIndex only move
// as the transitions say.
func TestProgressTransitions(t *testing.T) {
	var p progress
	p.reset(5) // Figure 2: nextIndex = last log index + 1, matchIndex = 0
	assert.Equal(t, progress{state: stateProbe, next: 6}, p)
	assert.False(t, p.awaitingReply(), "nothing sent yet")

	p.sentProbe(6, 8, 3) // entries 6..8 after the consistency check at 5
	assert.True(t, p.awaitingReply())
	assert.Equal(t, 3, p.sentAt)
	for _, tc := range []struct {
		prev, last int
		ends       bool
	}{{5, 8, true}, {5, 7, false}, {4, 8, false}, {2, 2, false}} {
		assert.Equal(t, tc.ends, p.endsProbe(tc.prev, tc.last), "success for (%d, %d] while the probe (5, 8] is out", tc.prev, tc.last)
	}
	assert.True(t, p.staleRejection(4), "not the probe's")
	assert.False(t, p.staleRejection(5), "the probe's")

	assert.True(t, p.acked(8, 4))
	assert.False(t, p.acked(8, 5), "a duplicate")
	assert.False(t, p.acked(7, 5), "matchIndex never falls")
	assert.Equal(t, 8, p.match)
	assert.Equal(t, 4, p.batchAt)

	p.becomeReplicate(8)
	assert.Equal(t, stateReplicate, p.state)
	assert.Equal(t, 9, p.next)
	assert.False(t, p.batchInFlight())
	assert.True(t, p.endsProbe(2, 2), "nothing to end in replicate")
	p.sentBatch(12, 6)
	assert.True(t, p.batchInFlight())
	assert.Equal(t, 13, p.next)
	assert.True(t, p.staleRejection(8), "the follower holds matchIndex")
	assert.False(t, p.staleRejection(12), "a heartbeat after the batch, rejected")

	p.becomeProbe(p.match + 1) // the batch presumed lost
	assert.Equal(t, progress{state: stateProbe, match: 8, next: 9, sentAt: 3, probeLast: 8, batchAt: 6}, p)
	assert.False(t, p.batchInFlight())

	p.becomeSnapshot(9, 7)
	assert.Equal(t, stateSnapshot, p.state)
	assert.True(t, p.awaitingReply())
	assert.False(t, p.endsProbe(8, 8), "only the snapshot's reply ends it")
	assert.True(t, p.acked(10, 8), "a late acknowledgement still counts")
	p.becomeReplicate(5) // the reply to a snapshot through 5: after matchIndex
	assert.Equal(t, 11, p.next)
	assert.Equal(t, stateReplicate, p.state)
}
