package wire

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

func TestRoundTrip(t *testing.T) {
	rv := raftapi.RequestVoteArgs{Term: 7, CandidateID: 2, LastLogIndex: 1 << 40, LastLogTerm: -1, PreVote: true}
	var rv2 raftapi.RequestVoteArgs
	require.NoError(t, DecodeRequestVoteArgs(AppendRequestVoteArgs(nil, &rv), &rv2))
	assert.Equal(t, rv, rv2)

	rvr := raftapi.RequestVoteReply{Term: 3, VoteGranted: true, PreVote: true}
	var rvr2 raftapi.RequestVoteReply
	require.NoError(t, DecodeRequestVoteReply(AppendRequestVoteReply(nil, &rvr), &rvr2))
	assert.Equal(t, rvr, rvr2)

	ae := raftapi.AppendEntriesArgs{Term: 4, LeaderID: 1, PrevLogIndex: 9, PrevLogTerm: 3, LeaderCommit: 8,
		Entries: []raftapi.Entry{{Term: 4, Command: []byte("x")}, {Term: 4, Command: []byte{}}, {Term: 4}}}
	var ae2 raftapi.AppendEntriesArgs
	enc := AppendAppendEntriesArgs(nil, &ae)
	require.NoError(t, DecodeAppendEntriesArgs(enc, &ae2))
	assert.Equal(t, ae, ae2)
	ae2.Entries[0].Command[0] = 'y'
	assert.Equal(t, byte('x'), ae.Entries[0].Command[0], "decoded commands must not alias the sender's")

	aer := raftapi.AppendEntriesReply{Term: 4, Success: false, XTerm: -1, XIndex: -1, XLen: 12}
	var aer2 raftapi.AppendEntriesReply
	require.NoError(t, DecodeAppendEntriesReply(AppendAppendEntriesReply(nil, &aer), &aer2))
	assert.Equal(t, aer, aer2)

	is := raftapi.InstallSnapshotArgs{Term: 5, LeaderID: 0, LastIncludedIndex: 100, LastIncludedTerm: 4, Data: []byte("snap")}
	var is2 raftapi.InstallSnapshotArgs
	require.NoError(t, DecodeInstallSnapshotArgs(AppendInstallSnapshotArgs(nil, &is), &is2))
	assert.Equal(t, is, is2)

	isr := raftapi.InstallSnapshotReply{Term: 9}
	var isr2 raftapi.InstallSnapshotReply
	require.NoError(t, DecodeInstallSnapshotReply(AppendInstallSnapshotReply(nil, &isr), &isr2))
	assert.Equal(t, isr, isr2)
}

func TestTruncatedInputIsAnError(t *testing.T) {
	ae := raftapi.AppendEntriesArgs{Term: 4, Entries: []raftapi.Entry{{Term: 4, Command: []byte("hello")}}}
	enc := AppendAppendEntriesArgs(nil, &ae)
	for n := range len(enc) {
		var out raftapi.AppendEntriesArgs
		assert.Error(t, DecodeAppendEntriesArgs(enc[:n], &out), "prefix of %d bytes", n)
	}
	var out raftapi.AppendEntriesArgs
	assert.Error(t, DecodeAppendEntriesArgs(append(enc, 0), &out), "trailing bytes")
}

func BenchmarkAppendEntriesRoundTrip(b *testing.B) {
	ae := raftapi.AppendEntriesArgs{Term: 4, LeaderID: 1, PrevLogIndex: 900, PrevLogTerm: 3, LeaderCommit: 899}
	for range 8 {
		ae.Entries = append(ae.Entries, raftapi.Entry{Term: 4, Command: make([]byte, 16)})
	}
	var buf []byte
	var out raftapi.AppendEntriesArgs
	b.ReportAllocs()
	for b.Loop() {
		buf = AppendAppendEntriesArgs(buf[:0], &ae)
		if err := DecodeAppendEntriesArgs(buf, &out); err != nil {
			b.Fatal(err)
		}
	}
}
