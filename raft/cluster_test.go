package raft

import (
	"bytes"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raftapi"
)

func cmd(i int) []byte { return []byte(fmt.Sprintf("cmd-%d", i)) }

// A leader is elected among three nodes, cheaply, for many seeds (§5.2).
func TestClusterElectsLeader(t *testing.T) {
	maxRPCs := 0
	defer func() { t.Logf("at most %d RPCs to elect the first leader", maxRPCs) }()
	for seed := range uint64(50) {
		c := newCluster(t, 3, New, seed)
		l := c.waitLeader()
		assert.LessOrEqual(t, c.rpcs, 30, "seed %d: RPCs to elect the first leader", seed)
		maxRPCs = max(maxRPCs, c.rpcs)
		term, _ := c.nodes[l].GetState()
		c.steps(500) // 5 s of quiet: the leader stays
		term2, ok := c.nodes[l].GetState()
		require.True(t, ok, "seed %d: leader lost leadership on a healthy network", seed)
		require.Equal(t, term, term2)
	}
}

// 100 commands commit and are applied on all nodes, and the logs agree
// (§5.3).
func TestClusterCommits100(t *testing.T) {
	c := newCluster(t, 3, New, 1)
	for i := range 100 {
		require.Equal(t, i+1, c.one(cmd(i)))
	}
	for i := 1; i < 3; i++ {
		require.Equal(t, c.nodes[0].InspectLog(), c.nodes[i].InspectLog())
	}
	// Pipelined: many Starts in one go, then all commit.
	l := c.leader()
	var last int
	for i := range 500 {
		last, _, _ = c.nodes[l].Start(cmd(1000 + i))
	}
	require.True(t, c.run(200, func() bool { return c.appliedAll(last) }))
}

// Replication is efficient (§5.3 says what, this checks how much): about
// one AppendEntries per follower per entry plus heartbeats, and bytes close
// to the payload, and an idle leader sends at most 10 heartbeats/s.
func TestClusterEfficiency(t *testing.T) {
	for _, n := range []int{3, 5} {
		c := newCluster(t, n, New, 7)
		c.waitLeader()
		c.steps(50)
		rpcs0, bytes0 := c.rpcs, c.bytes
		payload := 0
		for i := range 10 {
			p := bytes.Repeat([]byte{byte(i)}, 5000)
			payload += len(p) * (n - 1)
			c.one(p)
		}
		t.Logf("%d nodes: 10 x 5000 B: %d RPCs, %d bytes (payload to followers %d)", n, c.rpcs-rpcs0, c.bytes-bytes0, payload)
		assert.LessOrEqual(t, c.bytes-bytes0, 3*payload/(n-1)*(n-1)+50_000, "bytes for %d nodes", n)
		assert.LessOrEqual(t, c.rpcs-rpcs0, 3*10*(n-1), "RPCs for 10 sequential entries, %d nodes", n)

		// Idle: 10 simulated seconds.
		rpcs0 = c.rpcs
		c.steps(1000)
		perFollowerPerSec := float64(c.rpcs-rpcs0) / float64(n-1) / 10
		t.Logf("%d nodes: idle: %.1f heartbeats per follower per second", n, perFollowerPerSec)
		assert.LessOrEqual(t, perFollowerPerSec, 10.0, "idle heartbeats per follower per second")
		assert.GreaterOrEqual(t, perFollowerPerSec, 5.0)
	}
}

// After a crash of the whole cluster, everything persisted comes back
// (Figure 2), and a new command commits the old ones with it.
func TestClusterRestartAll(t *testing.T) {
	c := newCluster(t, 3, New, 3)
	for i := range 20 {
		c.one(cmd(i))
	}
	before := make([]raftapi.NodeState, 3)
	for i := range 3 {
		before[i] = c.nodes[i].Inspect()
		c.crash(i)
	}
	for i := range 3 {
		c.restart(i)
		st := c.nodes[i].Inspect()
		assert.Equal(t, before[i].Term, st.Term)
		assert.Equal(t, before[i].VotedFor, st.VotedFor)
		assert.Equal(t, before[i].LastIndex, st.LastIndex)
		assert.Equal(t, 0, st.CommitIndex)
	}
	require.Equal(t, 21, c.one(cmd(20)))
}

// A crashed leader is replaced; its log, when it comes back, is brought in
// line (§5.2, §5.3).
func TestClusterLeaderFailover(t *testing.T) {
	c := newCluster(t, 5, New, 4)
	c.one(cmd(0))
	l := c.leader()
	c.crash(l)
	// The old leader appended entries nobody else has.
	c.one(cmd(1))
	c.one(cmd(2))
	c.restart(l)
	idx := c.one(cmd(3))
	require.True(t, c.run(200, func() bool { return c.appliedAll(idx) }))
	require.Equal(t, c.nodes[(l+1)%5].InspectLog(), c.nodes[l].InspectLog())
}

// Followers whose logs diverge from the leader's are repaired with the
// fast-backup hints (§5.3), under partitions and minority leaders.
func TestClusterDivergentLogs(t *testing.T) {
	c := newCluster(t, 5, New, 5)
	c.one(cmd(0))
	for round := range 5 {
		l := c.leader()
		// Leave the leader with one follower: a minority.
		f := (l + 1) % 5
		for i := range 5 {
			for j := range 5 {
				minority := (i == l || i == f) != (j == l || j == f)
				c.cut[i][j] = minority
			}
		}
		for k := range 30 {
			c.nodes[l].Start(cmd(100*round + k))
		}
		c.steps(5)
		// The majority elects a leader and commits on its own.
		require.True(t, c.run(1000, func() bool {
			nl := c.leader()
			return nl >= 0 && nl != l && nl != f
		}))
		nl := c.leader()
		for k := range 10 {
			c.nodes[nl].Start(cmd(100*round + 50 + k))
		}
		c.steps(20)
		c.heal()
		c.one(cmd(100*round + 99))
	}
	for i := 1; i < 5; i++ {
		require.Equal(t, c.nodes[0].InspectLog(), c.nodes[i].InspectLog())
	}
}

// A partitioned leader steps down with CheckQuorum (thesis §6.2), and does
// not without it.
func TestClusterCheckQuorum(t *testing.T) {
	for _, on := range []bool{false, true} {
		c := newCluster(t, 3, NewFactory(Options{CheckQuorum: on}), 8)
		c.one(cmd(0))
		l := c.leader()
		c.isolate(l)
		c.steps(2*checkQuorumTicks + 1)
		_, still := c.nodes[l].GetState()
		assert.Equal(t, !on, still, "CheckQuorum=%v: isolated leader still leads", on)
		c.heal()
		c.one(cmd(1))
	}
}

// With PreVote (thesis §9.6), a node cut off from the cluster does not
// inflate its term, and on its return it does not depose the leader.
func TestClusterPreVote(t *testing.T) {
	for _, on := range []bool{false, true} {
		c := newCluster(t, 3, NewFactory(Options{PreVote: on}), 9)
		c.one(cmd(0))
		l := c.leader()
		f := (l + 1) % 3
		termBefore, _ := c.nodes[f].GetState()
		c.isolate(f)
		c.steps(1000)
		termAfter, _ := c.nodes[f].GetState()
		if on {
			assert.Equal(t, termBefore, termAfter, "PreVote: isolated node's term")
		} else {
			assert.Greater(t, termAfter, termBefore+5, "without PreVote the term inflates")
		}
		c.heal()
		c.one(cmd(1))
		if on {
			assert.Equal(t, l, c.leader(), "PreVote: the returning node deposed the leader")
			lt, _ := c.nodes[l].GetState()
			assert.Equal(t, termBefore, lt)
		}
	}
}

// Both options at once, with crashes.
func TestClusterPreVoteCheckQuorum(t *testing.T) {
	c := newCluster(t, 5, NewFactory(Options{PreVote: true, CheckQuorum: true}), 10)
	for i := range 30 {
		c.one(cmd(i))
		if i%10 == 5 {
			l := c.leader()
			c.isolate(l)
			c.steps(100)
			_, ok := c.nodes[l].GetState()
			require.False(t, ok)
			c.heal()
		}
	}
}

// Snapshots (§7): the service snapshots every 10 entries; a follower that
// was down gets the leader's snapshot by InstallSnapshot and then the
// rest; a restarted node comes back from its snapshot.
func TestClusterSnapshots(t *testing.T) {
	c := newCluster(t, 3, New, 11)
	c.snapEvery = 10
	c.one(cmd(0))
	l := c.leader()
	f := (l + 1) % 3
	c.crash(f)
	for i := range 55 {
		c.one(cmd(i + 1))
	}
	require.Equal(t, 50, c.nodes[l].Inspect().SnapshotIndex)
	c.restart(f)
	last := c.one(cmd(100))
	require.True(t, c.run(200, func() bool { return c.appliedAll(last) }))
	assert.Positive(t, c.snapshots)
	st := c.nodes[f].Inspect()
	assert.GreaterOrEqual(t, st.SnapshotIndex, 50)
	assert.Equal(t, last, st.LastApplied)

	// Restart everyone: each comes back from its snapshot and nothing is
	// applied twice (the harness checks order).
	for i := range 3 {
		c.crash(i)
		c.restart(i)
		st := c.nodes[i].Inspect()
		assert.Equal(t, st.SnapshotIndex, st.LastApplied)
		assert.Equal(t, st.SnapshotIndex, st.CommitIndex)
	}
	c.one(cmd(101))
	// The persisted state stays small: the log is compacted.
	for i := range 3 {
		assert.Less(t, c.pers[i].StateSize(), 400)
	}
}

// The same seed gives the same run, message for message.
func TestClusterDeterministic(t *testing.T) {
	run := func() []int {
		c := newCluster(t, 5, NewFactory(Options{PreVote: true}), 12)
		var out []int
		for i := range 20 {
			c.one(cmd(i))
			if i == 10 {
				c.crash(c.leader())
			}
			out = append(out, c.rpcs, c.bytes)
		}
		return out
	}
	require.Equal(t, run(), run())
}

// BenchmarkClusterCommit measures the cost of committing one entry on three
// nodes, one Start per step, including the harness's encoding.
func BenchmarkClusterCommit(b *testing.B) {
	c := newCluster(b, 3, New, 13)
	l := c.waitLeader()
	payload := bytes.Repeat([]byte{'x'}, 100)
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		c.nodes[l].Start(payload)
		c.step()
	}
	b.StopTimer()
	b.ReportMetric(float64(c.rpcs)/float64(b.N), "rpcs/op")
}
