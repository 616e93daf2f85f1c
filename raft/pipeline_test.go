package raft

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

// aesTo returns the AppendEntries in s sent to follower to.
func aesTo(s []sent, to int) []sent {
	var out []sent
	for _, x := range s {
		if x.ae != nil && x.to == to {
			out = append(out, x)
		}
	}
	return out
}

// A pipelining leader sends each new entry at once from Start to every
// follower, with earlier requests still unanswered, and nextIndex moves on
// as each request leaves.
func TestPipelinedSendsFromStartAtOnce(t *testing.T) {
	n, e := newTestNode(t, 3, Options{Flow: Pipelined})
	lead(t, n, e, 2)
	for k := 1; k <= 3; k++ {
		idx, _, ok := n.Start([]byte{byte(k)})
		require.True(t, ok)
		out := take(e)
		for _, f := range []int{1, 2} {
			got := aesTo(out, f)
			require.Len(t, got, 1, "Start %d: one AppendEntries to follower %d, at once", k, f)
			assert.Equal(t, idx-1, got[0].ae.PrevLogIndex)
			assert.Len(t, got[0].ae.Entries, 1)
			assert.Equal(t, idx+1, n.prs[f].next, "nextIndex advances when the request leaves")
		}
	}
}

// A refusal moves nextIndex back by the hints and resends everything after
// it in one request; the refusals of the other requests sent before that
// are stale and send nothing (no resend storm).
func TestPipelinedRefusalResendsOnce(t *testing.T) {
	n, e := newTestNode(t, 3, Options{Flow: Pipelined})
	lead(t, n, e, 2)
	var reqs []sent
	for k := 1; k <= 3; k++ {
		n.Start([]byte{byte(k)})
		reqs = append(reqs, aesTo(take(e), 1)...)
	}
	require.Len(t, reqs, 3)
	// The first request was lost: the follower refuses the second and the
	// third, its log being too short.
	refuse := &raftapi.AppendEntriesReply{Term: 2, XTerm: -1, XIndex: -1, XLen: 1}
	reqs[1].aeOK(refuse)
	resent := aesTo(take(e), 1)
	require.Len(t, resent, 1, "one resend after the first refusal")
	assert.Equal(t, 0, resent[0].ae.PrevLogIndex)
	assert.Len(t, resent[0].ae.Entries, 3, "everything from the hint on")
	reqs[2].aeOK(refuse)
	assert.Empty(t, take(e), "a refusal of a request sent before nextIndex moved back is stale")
	resent[0].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	assert.Equal(t, 3, n.prs[1].match)
}

// A follower with TrimInsideSnapshot accepts a request that reaches into
// its snapshot, storing what follows the snapshot; with HintsOnlyOnRefusal
// its success leaves the hints at zero, and its refusal still fills them.
func TestFollowerTrimsInsideSnapshot(t *testing.T) {
	n, _ := newTestNode(t, 3, Options{TrimInsideSnapshot: true, HintsOnlyOnRefusal: true})
	withLog(n, 3, 2, 2, 2) // snapshot through 3 (term 2), entries 4 and 5 of term 2
	n.term = 3
	args := raftapi.AppendEntriesArgs{Term: 3, LeaderID: 1, PrevLogIndex: 1, PrevLogTerm: 1, Entries: ents(2, 2, 2, 2, 3), LeaderCommit: 6}
	var r raftapi.AppendEntriesReply
	n.AppendEntries(1, &args, &r)
	assert.Equal(t, raftapi.AppendEntriesReply{Term: 3, Success: true}, r)
	assert.Equal(t, []int{2, 2, 3}, termsOf(n), "entries 4-6 after the snapshot")
	assert.Equal(t, 6, n.commitIndex)

	args = raftapi.AppendEntriesArgs{Term: 3, LeaderID: 1, PrevLogIndex: 9, PrevLogTerm: 3}
	r = raftapi.AppendEntriesReply{}
	n.AppendEntries(1, &args, &r)
	assert.Equal(t, raftapi.AppendEntriesReply{Term: 3, XTerm: -1, XIndex: -1, XLen: 7}, r)
}

// A stop-and-wait leader counts heartbeats as in flight: Start sends
// nothing while one is unanswered; its reply lets one request go with
// every entry started meanwhile; a request unanswered for retryTicks goes
// again.
func TestOneRequestInFlight(t *testing.T) {
	n, e := newTestNode(t, 3, Options{Flow: OneRequestInFlight})
	lead(t, n, e, 2)
	for range heartbeatTicks {
		n.Tick()
	}
	hb := aesTo(take(e), 1)
	require.Len(t, hb, 1)
	require.Empty(t, hb[0].ae.Entries, "a heartbeat")
	n.Start([]byte("a"))
	n.Start([]byte("b"))
	assert.Empty(t, aesTo(take(e), 1), "nothing while the heartbeat is in flight")
	hb[0].aeOK(&raftapi.AppendEntriesReply{Term: 2, Success: true})
	batch := aesTo(take(e), 1)
	require.Len(t, batch, 1, "the heartbeat's reply lets one request go")
	assert.Equal(t, 0, batch[0].ae.PrevLogIndex)
	assert.Len(t, batch[0].ae.Entries, 2, "with everything started meanwhile")
	for range retryTicks {
		n.Tick()
	}
	again := aesTo(take(e), 1)
	require.Len(t, again, 1, "unanswered for retryTicks: sent again")
	assert.Equal(t, 0, again[0].ae.PrevLogIndex)
	assert.Len(t, again[0].ae.Entries, 2)
}
