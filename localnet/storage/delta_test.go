package storage

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// raftLikeState is a state shaped like Raft's: a header whose fields
// (term, vote, entry count as varints) change, then entries, new ones at
// the end.
func raftLikeState(term, vote int, entries [][]byte) []byte {
	b := binary.AppendUvarint(nil, 1)
	b = binary.AppendVarint(b, int64(term))
	b = binary.AppendVarint(b, int64(vote))
	b = binary.AppendUvarint(b, uint64(len(entries)))
	for _, e := range entries {
		b = binary.AppendUvarint(b, uint64(len(e)))
		b = append(b, e...)
	}
	return b
}

// Saves of random Raft-like changes (appends, truncations, term and vote
// changes, a new snapshot that compacts the log) read back exactly after
// every save, and most of them are written as deltas.
func TestDeltaSavesReadBack(t *testing.T) {
	for seed := range uint64(20) {
		rng := rand.New(rand.NewPCG(seed, 11))
		dir := t.TempDir()
		opts := Options{NoSync: true, CompactBytes: 64 << 10}
		s, err := Open(dir, opts)
		require.NoError(t, err)
		var entries [][]byte
		term, vote := 1, 0
		snap := []byte("snapshot 0")
		entry := func() []byte {
			e := make([]byte, 20+rng.IntN(200))
			for i := range e {
				e[i] = byte(rng.IntN(4)) // repetitive, like padded values
			}
			return e
		}
		for step := range 300 {
			switch op := rng.IntN(20); {
			case op < 12:
				for range 1 + rng.IntN(10) {
					entries = append(entries, entry())
				}
			case op < 14 && len(entries) > 0:
				entries = entries[:rng.IntN(len(entries))]
			case op < 16:
				term++
			case op < 17:
				vote = rng.IntN(300) - 1 // a varint of one or two bytes
			case op < 18:
				entries = entries[len(entries)/2:]
				snap = fmt.Appendf(nil, "snapshot %d", step)
			default:
				entries = append(entries, bytes.Repeat([]byte{7}, 2000)) // a long one
			}
			state := raftLikeState(term, vote, entries)
			require.NoError(t, s.Save(state, snap), "seed %d step %d", seed, step)
			if step%25 == 0 || step == 299 {
				require.NoError(t, s.Close())
				requireHolds(t, dir, state, snap)
				deltas := s.Stats().Deltas
				s, err = Open(dir, opts)
				require.NoError(t, err)
				if step == 299 {
					assert.Positive(t, deltas, "seed %d: some saves are deltas", seed)
				}
			}
		}
		require.NoError(t, s.Close())
	}
}

// A long run of small deltas of a large state is cut into chains that
// recovery rebuilds in bounded work: at most maxChain state bytes a chain
// (a reopen once rebuilt every delta of a 4 MiB file, copying the whole
// state for each). Every chain still reads back exactly, across reopens.
func TestDeltaChainsAreBounded(t *testing.T) {
	dir := t.TempDir()
	opts := Options{NoSync: true, CompactBytes: 64 << 10} // maxChain 1 MiB
	s, err := Open(dir, opts)
	require.NoError(t, err)
	entries := [][]byte{bytes.Repeat([]byte{1}, 60<<10)} // a 60 KB state
	var state []byte
	for i := range 200 {
		entries = append(entries, []byte{byte(i), 2, 3})
		state = raftLikeState(1, 0, entries)
		require.NoError(t, s.Save(state, nil))
		assert.LessOrEqual(t, s.chain, s.maxChain(), "save %d", i)
		if i == 100 { // a reopen in the middle of a chain carries its length on
			chain := s.chain
			require.NoError(t, s.Close())
			s, err = Open(dir, opts)
			require.NoError(t, err)
			assert.Equal(t, chain, s.chain)
		}
	}
	st := s.Stats() // since the reopen
	assert.Greater(t, st.Deltas, st.Saves*3/4, "most saves are still deltas")
	assert.Less(t, st.Deltas, st.Saves, "some saves start a new chain with a whole state")
	require.NoError(t, s.Close())
	requireHolds(t, dir, state, nil)
}

// findDelta's change rebuilds the state, whatever the two states are.
func TestFindDelta(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	random := func(n int) []byte {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.IntN(3))
		}
		return b
	}
	for i := range 2000 {
		prev := random(rng.IntN(3000))
		var next []byte
		switch i % 4 {
		case 0: // appended
			next = append(bytes.Clone(prev), random(rng.IntN(500))...)
		case 1: // a different head, the rest kept, appended
			k := min(len(prev), rng.IntN(20))
			next = append(append(random(rng.IntN(20)), prev[k:]...), random(rng.IntN(500))...)
		case 2: // truncated
			next = bytes.Clone(prev[:rng.IntN(len(prev)+1)])
		default: // unrelated
			next = random(rng.IntN(3000))
		}
		d, ok := findDelta(prev, next)
		if !ok {
			continue
		}
		got := append(append(bytes.Clone(d.head), prev[d.keepOff:d.keepOff+d.keepLen]...), d.tail...)
		require.Equal(t, next, got, "case %d", i)
		assert.GreaterOrEqual(t, d.keepLen, len(next)/2)
	}
	d, ok := findDelta(bytes.Repeat([]byte{1}, 4000), append([]byte{9, 9}, bytes.Repeat([]byte{1}, 4100)...))
	require.True(t, ok)
	assert.Len(t, d.head, 2)
}

// A delta record torn at any byte, or damaged at any byte, leaves the save
// before it; a delta whose kept bytes lie past the previous state, under a
// valid checksum, is corruption, not a torn write.
func TestTornDeltaRecord(t *testing.T) {
	prev := raftLikeState(1, 0, [][]byte{bytes.Repeat([]byte("a"), 600), bytes.Repeat([]byte("b"), 300)})
	next := raftLikeState(1, 0, [][]byte{bytes.Repeat([]byte("a"), 600), bytes.Repeat([]byte("b"), 300), []byte("new entry")})
	dir, recs := buildLog(t, Options{}, [][2][]byte{{prev, []byte("snap")}, {next, []byte("snap")}})
	last := recs[len(recs)-1]
	require.Less(t, last.Size, int64(len(next)), "the last save is a delta")
	orig, err := os.ReadFile(last.Path)
	require.NoError(t, err)
	damage := func(what string, data []byte) {
		require.NoError(t, os.WriteFile(last.Path, data, 0o644), what)
		requireHolds(t, dir, prev, []byte("snap"))
	}
	for cut := last.Offset; cut < last.Offset+last.Size; cut++ {
		damage(fmt.Sprintf("cut at %d", cut), bytes.Clone(orig[:cut]))
	}
	for at := last.Offset; at < last.Offset+last.Size; at++ {
		data := bytes.Clone(orig)
		data[at] ^= 0x5a
		damage(fmt.Sprintf("byte %d damaged", at), data)
	}
	require.NoError(t, os.WriteFile(last.Path, orig, 0o644))
	requireHolds(t, dir, next, []byte("snap"))

	// The same record, rewritten to keep bytes the previous state lacks.
	bad := appendDeltaRecord(nil, 1, last.Seq, 5000, delta{keepOff: 0, keepLen: 5000})
	data := append(bytes.Clone(orig[:last.Offset]), bad...)
	require.NoError(t, os.WriteFile(last.Path, data, 0o644))
	_, err = Open(dir, Options{NoSync: true})
	require.ErrorIs(t, err, ErrCorrupt)
}

// A store a version-1 build wrote is read, and written on without delta
// records (which that build could not read), until a compaction starts a
// version-2 file.
func TestVersion1FilesStayReadable(t *testing.T) {
	big := func(i int) []byte {
		return raftLikeState(1, 0, [][]byte{bytes.Repeat([]byte("x"), 1000), fmt.Appendf(nil, "%d", i)})
	}
	dir, _ := buildLog(t, Options{}, [][2][]byte{{big(0), []byte("snap")}})
	path := filepath.Join(dir, fileNames[0])
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	setVersion(data, 1)
	require.NoError(t, os.WriteFile(path, data, 0o644))
	requireHolds(t, dir, big(0), []byte("snap"))

	s, err := Open(dir, Options{NoSync: true, CompactBytes: 16 << 10})
	require.NoError(t, err)
	for i := 1; s.Stats().Compactions == 0; i++ {
		require.NoError(t, s.Save(big(i), []byte("snap")))
		if s.Stats().Compactions == 0 {
			require.Zero(t, s.Stats().Deltas, "no delta in a version-1 file")
		}
	}
	require.NoError(t, s.Save(big(-1), []byte("snap")))
	assert.Equal(t, int64(1), s.Stats().Deltas, "deltas in the version-2 file the compaction started")
	require.NoError(t, s.Close())
	requireHolds(t, dir, big(-1), []byte("snap"))
}

// BenchmarkSaveGrowingLog saves a Raft-like state durably: a log that
// grows by a 2 KB batch a save, compacted (with a new snapshot) every 100
// saves, next to a 110 KB snapshot: what a localnet leader writes. With
// deltas, and without (as in a version-1 file):
//
//	go test ./localnet/storage -run '^$' -bench GrowingLog -benchtime 3s
func BenchmarkSaveGrowingLog(b *testing.B) {
	for _, c := range []struct {
		name           string
		deltas, nosync bool
	}{{"delta", true, false}, {"whole", false, false}, {"delta/nosync", true, true}, {"whole/nosync", false, true}} {
		deltas := c.deltas
		b.Run(c.name, func(b *testing.B) {
			s, err := Open(b.TempDir(), Options{NoSync: c.nosync})
			require.NoError(b, err)
			defer func() { require.NoError(b, s.Close()) }()
			s.whole = !deltas
			snap := bytes.Repeat([]byte("s"), 110<<10)
			var entries [][]byte
			var written int64
			for i := 0; b.Loop(); i++ {
				if i%100 == 0 {
					entries = entries[:0]
					snap[i%len(snap)]++
				}
				entries = append(entries, bytes.Repeat([]byte{byte(i)}, 2<<10))
				before := s.Stats().BytesWritten
				if err := s.Save(raftLikeState(1, 0, entries), snap); err != nil {
					b.Fatal(err)
				}
				written += s.Stats().BytesWritten - before
			}
			b.ReportMetric(float64(written)/float64(b.N), "B-written/op")
		})
	}
}
