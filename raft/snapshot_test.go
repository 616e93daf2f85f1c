package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

// Snapshot (§7): trims the log through index and saves the snapshot with
// the state; a no-op at or below the current snapshot, or past lastApplied.
func TestSnapshotTrims(t *testing.T) {
	n, e := newTestNode(t, 3, Options{})
	withLog(n, 0, 0, 1, 1, 2, 2, 3, 3, 3, 4)
	n.commitIndex, n.lastApplied = 6, 6

	n.Snapshot(7, []byte("too far"))
	assert.Equal(t, 0, n.log.snapIndex, "not applied yet: ignored")
	assert.Zero(t, e.p.saves)

	n.Snapshot(4, []byte("s4"))
	assert.Equal(t, 4, n.log.snapIndex)
	assert.Equal(t, 2, n.log.snapTerm)
	assert.Equal(t, []int{3, 3, 3, 4}, termsOf(n))
	assert.Equal(t, []byte{5}, n.log.command(5))
	assert.Equal(t, []byte("s4"), e.p.snap)
	st, err := decodeState(e.p.state)
	require.NoError(t, err)
	assert.Equal(t, 4, st.log.snapIndex)
	assert.Equal(t, 2, st.log.snapTerm)
	assert.Len(t, st.log.terms, 4)

	n.Snapshot(3, []byte("old"))
	n.Snapshot(4, []byte("same"))
	assert.Equal(t, 4, n.log.snapIndex)
	assert.Equal(t, []byte("s4"), e.p.snap)

	n.Snapshot(6, []byte("s6"))
	assert.Equal(t, []int{3, 4}, termsOf(n))
	assert.Equal(t, raftapi.LogView{FirstIndex: 7, Terms: []int{3, 4}, Commands: [][]byte{{7}, {8}}}, n.InspectLog())
	st2 := n.Inspect()
	assert.Equal(t, 8, st2.LastIndex)
	assert.Equal(t, 6, st2.SnapshotIndex)
	assert.Equal(t, 3, st2.SnapshotTerm)
	assert.Empty(t, e.applied)
}

// The receiver side of InstallSnapshot (Figure 13, rules 1–5 as raftapi
// numbers them).
func TestInstallSnapshotReceiver(t *testing.T) {
	tests := []struct {
		name        string
		args        raftapi.InstallSnapshotArgs
		applied     int // the follower's lastApplied (= commitIndex)
		wantSnap    int
		wantTerms   []int
		wantApplied int
		wantApply   bool
	}{
		{name: "older term", args: raftapi.InstallSnapshotArgs{Term: 2, LastIncludedIndex: 6, LastIncludedTerm: 3},
			applied: 2, wantSnap: 2, wantTerms: []int{2, 2, 3, 3}, wantApplied: 2},
		{name: "stale", args: raftapi.InstallSnapshotArgs{Term: 3, LastIncludedIndex: 2, LastIncludedTerm: 1},
			applied: 2, wantSnap: 2, wantTerms: []int{2, 2, 3, 3}, wantApplied: 2},
		{name: "matching entry keeps the rest", args: raftapi.InstallSnapshotArgs{Term: 3, LastIncludedIndex: 4, LastIncludedTerm: 2},
			applied: 2, wantSnap: 4, wantTerms: []int{3, 3}, wantApplied: 4, wantApply: true},
		{name: "conflicting entry discards the log", args: raftapi.InstallSnapshotArgs{Term: 4, LastIncludedIndex: 5, LastIncludedTerm: 4},
			applied: 2, wantSnap: 5, wantTerms: []int{}, wantApplied: 5, wantApply: true},
		{name: "past the log", args: raftapi.InstallSnapshotArgs{Term: 4, LastIncludedIndex: 10, LastIncludedTerm: 4},
			applied: 2, wantSnap: 10, wantTerms: []int{}, wantApplied: 10, wantApply: true},
		{name: "service already past it", args: raftapi.InstallSnapshotArgs{Term: 3, LastIncludedIndex: 4, LastIncludedTerm: 2},
			applied: 5, wantSnap: 4, wantTerms: []int{3, 3}, wantApplied: 5},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, e := newTestNode(t, 3, Options{})
			// Snapshot through 2 (term 1), then indexes 3..6 with terms 2 2 3 3.
			withLog(n, 2, 1, 2, 2, 3, 3)
			n.snapshot = []byte("mine")
			n.commitIndex, n.lastApplied = tc.applied, tc.applied
			args := tc.args
			args.LeaderID = 1
			args.Data = []byte("theirs")
			var r raftapi.InstallSnapshotReply
			n.InstallSnapshot(1, &args, &r)
			assert.Equal(t, max(3, args.Term), r.Term)
			assert.Equal(t, tc.wantSnap, n.log.snapIndex)
			assert.Equal(t, tc.wantTerms, append([]int{}, n.log.terms...))
			assert.Equal(t, tc.wantApplied, n.lastApplied)
			assert.Equal(t, tc.wantApplied, n.commitIndex)
			if tc.wantApply {
				require.Len(t, e.applied, 1)
				assert.Equal(t, raftapi.ApplyMsg{SnapshotValid: true, Snapshot: []byte("theirs"),
					SnapshotIndex: args.LastIncludedIndex, SnapshotTerm: args.LastIncludedTerm}, e.applied[0])
			} else {
				assert.Empty(t, e.applied)
			}
			if tc.wantSnap != 2 {
				assert.Equal(t, []byte("theirs"), e.p.snap, "saved with the state")
				st, err := decodeState(e.p.state)
				require.NoError(t, err)
				assert.Equal(t, tc.wantSnap, st.log.snapIndex)
			}
		})
	}
}

// The leader sends its snapshot to a follower whose next entry it
// compacted, and takes matchIndex from the snapshot it sent (§7).
func TestLeaderSendsSnapshot(t *testing.T) {
	n, e := newTestNode(t, 3, Options{})
	lead(t, n, e, 2)
	for i := range 10 {
		n.Start([]byte{byte(i)})
	}
	// Follower 2 acknowledges each batch it is sent (the first entry,
	// then the nine started meanwhile); the batch sent to follower 1 is
	// lost.
	batches := 0
	for s := take(e); len(s) > 0; s = take(e) {
		for _, m := range s {
			if m.to == 2 {
				batches++
				m.aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
			}
		}
	}
	require.Equal(t, 2, batches)
	require.Equal(t, 10, n.commitIndex)
	n.Snapshot(8, []byte("s8"))
	// The retry starts at index 1, which is compacted: the snapshot goes
	// instead.
	for range retryTicks {
		n.Tick()
	}
	var s []sent
	for _, m := range take(e) {
		if m.to == 1 {
			s = append(s, m)
		}
	}
	require.Len(t, s, 1)
	require.NotNil(t, s[0].is)
	assert.Equal(t, raftapi.InstallSnapshotArgs{Term: 2, LeaderID: 0, LastIncludedIndex: 8, LastIncludedTerm: 2, Data: []byte("s8")}, *s[0].is)
	for range retryTicks - 1 {
		n.Tick()
		for _, m := range take(e) {
			assert.NotEqual(t, 1, m.to, "no resend while the snapshot is in flight")
		}
	}
	n.Start([]byte("new"))
	for _, m := range take(e) {
		assert.NotEqual(t, 1, m.to, "no entries while the snapshot is in flight")
	}
	s[0].isOK(&raftapi.InstallSnapshotReply{Term: 2})
	assert.Equal(t, 8, n.prs[1].match)
	after := take(e)
	require.Len(t, after, 1)
	assert.Equal(t, 8, after[0].ae.PrevLogIndex)
	assert.Len(t, after[0].ae.Entries, 3)
	// A duplicated reply changes nothing.
	s[0].isOK(&raftapi.InstallSnapshotReply{Term: 2})
	assert.Equal(t, 8, n.prs[1].match)
	assert.Empty(t, take(e))
}

// A late acknowledgement that arrives while the snapshot is in flight
// raises matchIndex past the snapshot but sends nothing (the snapshot is
// the one request in flight); once the snapshot's reply ends probing,
// replication goes on after matchIndex, not after the snapshot.
func TestLateAckWhileSnapshotInFlight(t *testing.T) {
	n, e := newTestNode(t, 3, Options{})
	lead(t, n, e, 2)
	n.Start([]byte{1})
	for i := 2; i <= 6; i++ {
		n.Start([]byte{byte(i)})
	}
	// Each follower acknowledges the first entry and gets the other five
	// in one batch; follower 2 acknowledges it, follower 1's is late.
	var late sent
	for _, m := range take(e) {
		require.Len(t, m.ae.Entries, 1)
		m.aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	}
	for _, m := range take(e) {
		assert.Equal(t, 1, m.ae.PrevLogIndex)
		require.Len(t, m.ae.Entries, 5)
		if m.to == 2 {
			m.aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
		} else {
			late = m
		}
	}
	require.NotNil(t, late.ae)
	require.Equal(t, 6, n.commitIndex)
	n.Snapshot(4, []byte("s4"))
	for range retryTicks {
		n.Tick()
	}
	var is []sent
	for _, m := range take(e) {
		if m.to == 1 {
			is = append(is, m)
		}
	}
	require.Len(t, is, 1)
	require.NotNil(t, is[0].is, "the batch seems lost and the next entry is compacted: a snapshot")
	late.aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	assert.Equal(t, 6, n.prs[1].match)
	assert.Empty(t, take(e), "nothing more while the snapshot is in flight")
	is[0].isOK(&raftapi.InstallSnapshotReply{Term: 2})
	assert.Equal(t, 6, n.prs[1].match)
	assert.Empty(t, take(e))
	n.Start([]byte{7})
	s := take(e)
	require.Len(t, s, 2, "the new entry leaves for both followers")
	for _, m := range s {
		require.NotNil(t, m.ae)
		assert.Equal(t, 6, m.ae.PrevLogIndex, "follower %d: replication goes on after matchIndex", m.to)
		assert.Len(t, m.ae.Entries, 1)
	}
}
