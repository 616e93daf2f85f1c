package soak_test

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/raftlab/raftlab/raft"
	"github.com/raftlab/raftlab/raftapi"
	"github.com/raftlab/raftlab/soak"
)

// TestShardsCoverTheRangeOnce: the shards of any range list every seed of
// it exactly once, in increasing order.
func TestShardsCoverTheRangeOnce(t *testing.T) {
	for _, tc := range []struct {
		first  uint64
		n      int
		shards int
	}{{0, 10, 1}, {0, 10, 3}, {5, 7, 4}, {17, 100, 7}, {3, 2, 5}, {1 << 63, 33, 8}, {^uint64(0) - 9, 10, 3}} {
		t.Run(fmt.Sprintf("%d+%d/%d", tc.first, tc.n, tc.shards), func(t *testing.T) {
			seen := map[uint64]int{}
			for i := range tc.shards {
				seeds := soak.Shard{Index: i, Count: tc.shards}.Seeds(tc.first, tc.n)
				for k, s := range seeds {
					seen[s]++
					assert.Equal(t, uint64(i), s%uint64(tc.shards), "seed %d is in shard %d", s, i)
					if k > 0 {
						assert.Greater(t, s, seeds[k-1])
					}
				}
			}
			require.Len(t, seen, tc.n)
			for k := range tc.n {
				assert.Equal(t, 1, seen[tc.first+uint64(k)], "seed %d", tc.first+uint64(k))
			}
		})
	}
	assert.Equal(t, []uint64{0, 1, 2}, soak.Shard{}.Seeds(0, 3), "the zero shard is the whole range")
}

func TestParseShard(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want soak.Shard
		err  string
	}{
		{"0/1", soak.Shard{Index: 0, Count: 1}, ""},
		{"3/8", soak.Shard{Index: 3, Count: 8}, ""},
		{"8/8", soak.Shard{}, "bad shard 8/8"},
		{"-1/4", soak.Shard{}, "bad shard -1/4"},
		{"1/0", soak.Shard{}, "bad shard 1/0"},
		{"2", soak.Shard{}, `bad shard "2"`},
		{"a/b", soak.Shard{}, `bad shard "a/b"`},
	} {
		got, err := soak.ParseShard(tc.in)
		if tc.err != "" {
			require.ErrorIs(t, err, soak.ErrBadShard, tc.in)
			assert.ErrorContains(t, err, tc.err)
			continue
		}
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got)
		assert.Equal(t, tc.in, got.String())
	}
}

// TestMergeOfShardsIsTheUnshardedReport: shard reports, written as JSON,
// read back and merged, equal the report of one run over the whole range
// (wall times aside), failures listed included.
func TestMergeOfShardsIsTheUnshardedReport(t *testing.T) {
	neverSaves := func(me, peers int, env raftapi.Env) raftapi.Node {
		return raft.New(me, peers, brokenEnv{Env: env, forget: true})
	}
	o := soak.Options{Mixes: []string{"crashes", "partitions"}, Seeds: 10, FirstSeed: 3, Duration: 2 * time.Second,
		Factory: neverSaves, Implementation: "never saves", MaxFailures: 2, Parallel: 2}
	noWall := func(r *soak.Report) *soak.Report {
		r.Total.Wall = 0
		for i := range r.Mixes {
			r.Mixes[i].Wall = 0
		}
		return r
	}
	whole, err := soak.Run(context.Background(), o)
	require.NoError(t, err)
	require.Greater(t, whole.Mixes[0].Violations, o.MaxFailures, "the test needs more failures than a report lists")

	var shards []*soak.Report
	for _, i := range []int{2, 0, 1} { // in any order
		so := o
		so.Shard = soak.Shard{Index: i, Count: 3}
		rep, err := soak.Run(context.Background(), so)
		require.NoError(t, err)
		var buf bytes.Buffer
		require.NoError(t, rep.WriteJSON(&buf))
		back, err := soak.ReadReport(&buf)
		require.NoError(t, err)
		require.Equal(t, rep, back, "a report survives JSON")
		shards = append(shards, back)
	}
	merged, err := soak.Merge(shards...)
	require.NoError(t, err)
	assert.Equal(t, noWall(whole), noWall(merged))

	_, err = soak.Merge(shards[0], shards[1])
	assert.ErrorContains(t, err, "missing shards 1/3")
	_, err = soak.Merge(shards[0], shards[0], shards[1], shards[2])
	assert.ErrorContains(t, err, "given twice")
	other := *shards[1]
	other.Duration = time.Second
	_, err = soak.Merge(shards[0], &other, shards[2])
	assert.ErrorContains(t, err, "differ in duration")
	partial := *shards[1]
	partial.Mixes = append([]soak.MixReport(nil), partial.Mixes...)
	partial.Mixes[1].Runs--
	_, err = soak.Merge(shards[0], &partial, shards[2])
	assert.ErrorContains(t, err, "incomplete")
	_, err = soak.ReadReport(bytes.NewBufferString(`{"format": "something else", "version": 1}`))
	assert.ErrorContains(t, err, "not a soak report")
}
